// The HTTP request parser with the server's limits (src/http/request_parser.h),
// driven as the server drives it: bytes arrive in reads of a fuzzed size,
// several requests may follow each other on the connection, a body is read
// buffered (string_body) or streamed into a small buffer (buffer_body).
//
// Input: byte 0 = read size, byte 1 = flags (streamed body, no body
// allowed), the rest = what the client sends.
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "check.h"
#include "http/request_parser.h"

namespace {

namespace bhttp = boost::beast::http;
using tenantd::http::ParseStatus;
using tenantd::http::RequestParser;

class Connection {
 public:
  Connection(std::string_view input, std::size_t step) : input_(input), step_(step) {}
  boost::beast::flat_buffer& buffer() { return buffer_; }

  // One read after Put() asked for more; false at the end of the input.
  bool Read() {
    // What the server reads may sit unparsed in its buffer: bounded.
    FUZZ_CHECK(buffer_.size() < tenantd::http::kMaxUnparsedBytes);
    if (offset_ == input_.size()) return false;
    const std::size_t n = std::min(step_, input_.size() - offset_);
    auto dst = buffer_.prepare(n);
    std::memcpy(dst.data(), input_.data() + offset_, n);
    buffer_.commit(n);
    offset_ += n;
    return true;
  }

 private:
  std::string_view input_;
  std::size_t step_;
  std::size_t offset_ = 0;
  boost::beast::flat_buffer buffer_;
};

// Parses until the parser is done or refuses; the final status.
template <class Body>
ParseStatus Drive(RequestParser<Body>& parser, Connection& conn, bool header_only) {
  for (;;) {
    const ParseStatus s = parser.Put(conn.buffer());
    if (s == ParseStatus::kNeedMore) {
      if (!conn.Read()) return parser.PutEof();
      continue;
    }
    if (s != ParseStatus::kDone) return s;
    if (parser.get().is_done() || (header_only && parser.get().is_header_done())) return s;
    if constexpr (std::is_same_v<Body, bhttp::buffer_body>) {
      // The handler's buffer is full: it takes the bytes and offers it again.
      static char sink[512];
      parser.get().get().body().data = sink;
      parser.get().get().body().size = sizeof sink;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t step = (data[0] & 0x80) ? (static_cast<std::size_t>(data[0] & 0x7f) + 1) * 512
                                            : std::size_t{data[0]} + 1;
  const bool streamed = data[1] & 1;
  const std::uint64_t body_limit = (data[1] & 2) ? 0 : 4096;
  Connection conn(std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), step);

  for (int request = 0; request < 8; ++request) {
    RequestParser<bhttp::string_body> head;
    if (Drive(head, conn, true) != ParseStatus::kDone) return 0;  // refused: the server closes
    const auto& h = head.get().get();
    FUZZ_CHECK(h.target().size() <= tenantd::http::kMaxRequestLineBytes);
    if (h.find(bhttp::field::transfer_encoding) != h.end()) {
      // Accepted only as chunked, alone, in HTTP/1.1, without Content-Length.
      FUZZ_CHECK(head.get().chunked() && h.version() == 11 &&
                 h.find(bhttp::field::content_length) == h.end());
    }
    if (streamed) {
      RequestParser<bhttp::buffer_body> body(std::move(head));
      body.set_body_limit(body_limit != 0 ? body_limit : UINT64_MAX);
      char first[512];
      body.get().get().body().data = first;
      body.get().get().body().size = sizeof first;
      if (Drive(body, conn, false) != ParseStatus::kDone) return 0;
    } else {
      head.set_body_limit(body_limit);
      if (Drive(head, conn, false) != ParseStatus::kDone) return 0;
      FUZZ_CHECK(head.get().get().body().size() <= body_limit);
    }
  }
  return 0;
}
