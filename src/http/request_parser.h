// Parses one HTTP/1.1 request from the bytes a connection received, under
// the limits of api.md §1, without sockets (the server reads, this parses;
// the fuzz target drives it the same way).
//
// Beast's own async_read runs its parser inside an Asio completion handler,
// where an exception it throws (a trailer field over 64 KiB) ends the
// process; and it lets chunk-size lines and trailers grow without bound. So
// the parser is fed here, by hand: nothing it throws escapes, and the read
// buffer never holds more unparsed bytes than ReadLimit() allows.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tenantd::http {

inline constexpr std::size_t kMaxRequestLineBytes = 8 * 1024;  // 414 above
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;      // 431 above
// Per request: the bytes of chunked framing that carry no data (chunk
// extensions, leading zeros of chunk sizes, the trailer section): 431 above.
inline constexpr std::size_t kMaxChunkFramingBytes = 16 * 1024;
// Read at most this much at a time after Put() answered kNeedMore. With the
// limits above, a connection's read buffer never holds more than
// kMaxUnparsedBytes: memory per connection is bounded before any
// authentication, whatever the client sends.
inline constexpr std::size_t kReadChunkBytes = 64 * 1024;
// Beast counts the request line into its header limit: allow both maxima
// (the overflow is classified by RequestParser).
inline constexpr std::size_t kParserHeaderLimit = kMaxRequestLineBytes + kMaxHeaderBytes + 1024;
inline constexpr std::size_t kMaxUnparsedBytes = kParserHeaderLimit + kReadChunkBytes;

enum class ParseStatus {
  kDone,            // progress: the header or the message is complete, or a body buffer is full
  kNeedMore,        // read at most ReadLimit() more bytes, then Put() again
  kUriTooLong,      // 414
  kHeaderTooLarge,  // 431
  kChunkFramingTooLarge,       // 431
  kBodyTooLarge,               // 413
  kBadTransferEncoding,        // 400: the body length cannot be determined
  kUnsupportedTransferCoding,  // 501
  kMalformed,                  // 400
  kEndOfStream,                // the connection closed before the request was complete
};

// RFC 9112 §6.1/§6.3 for a request carrying Transfer-Encoding (`codings`:
// every Transfer-Encoding field value, joined by ", "): kDone when the body
// is chunked and nothing else; kBadTransferEncoding when chunked is not the
// final coding, appears twice, comes with Content-Length or in HTTP/1.0
// (the body length is then unknown: a smuggling vector); otherwise
// kUnsupportedTransferCoding (gzip, or a coding the server does not know).
ParseStatus CheckTransferEncoding(std::string_view codings, bool has_content_length,
                                  unsigned version);

// Counts the framing bytes of a chunked body that carry no data; Beast calls
// it for each chunk header (see parser::on_chunk_header).
class ChunkFramingBudget {
 public:
  void operator()(std::uint64_t size, boost::beast::string_view extensions,
                  boost::beast::error_code& ec);
  // The bytes handed to the current put(): the chunk-size digits are found
  // by looking back from the extensions, the trailer section by looking
  // ahead from them, never outside these bounds.
  void set_input(const char* begin, const char* end) {
    input_begin_ = begin;
    input_end_ = end;
  }
  std::size_t used() const { return used_; }
  bool exceeded() const { return used_ > kMaxChunkFramingBytes; }

 private:
  std::size_t used_ = 0;
  const char* input_begin_ = nullptr;
  const char* input_end_ = nullptr;
};

template <class Body>
class RequestParser {
 public:
  using BeastParser = boost::beast::http::request_parser<Body>;

  RequestParser();
  // Continues the request whose header `header` parsed, with a body of type
  // Body (Beast allows the switch before the body is begun).
  template <class OtherBody>
  explicit RequestParser(RequestParser<OtherBody>&& header);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  BeastParser& get() { return *parser_; }
  const BeastParser& get() const { return *parser_; }

  // Largest accepted body, once the header is done; 0 accepts none. A
  // larger Content-Length, or chunks adding up to more, are kBodyTooLarge.
  void set_body_limit(std::uint64_t limit);

  // Parses what `buffer` holds, consuming the bytes parsed. Returns kDone
  // once the header is complete (and checked: Transfer-Encoding, limits), on
  // each step of the body after that, and when the message is complete.
  // Never throws.
  ParseStatus Put(boost::beast::flat_buffer& buffer);
  // The peer closed the connection.
  ParseStatus PutEof();

 private:
  template <class>
  friend class RequestParser;

  ParseStatus Classify(const boost::beast::error_code& ec) const;
  ParseStatus CheckHeader();
  // Put() stops waiting for more once this many bytes are left unparsed.
  std::size_t UnparsedLimit() const;

  // Behind unique_ptr: the budget and parser keep their addresses when
  // this object is moved (the parser refers to the budget).
  std::unique_ptr<BeastParser> parser_;
  std::unique_ptr<ChunkFramingBudget> budget_;
  bool header_checked_ = false;
  bool body_too_large_ = false;
};

extern template class RequestParser<boost::beast::http::string_body>;
extern template class RequestParser<boost::beast::http::buffer_body>;

template <class Body>
template <class OtherBody>
RequestParser<Body>::RequestParser(RequestParser<OtherBody>&& header)
    : parser_(std::make_unique<BeastParser>(std::move(*header.parser_))),
      budget_(std::move(header.budget_)),
      header_checked_(header.header_checked_) {
  parser_->on_chunk_header(*budget_);
}

}  // namespace tenantd::http
