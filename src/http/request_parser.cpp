// GCC 12 at -O2 with the sanitizers takes the boost::optional Beast's
// parser returns from content_length_unchecked() for maybe-uninitialized
// once put() is instantiated here: a false positive in Boost's header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "http/request_parser.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <exception>
#include <vector>

namespace tenantd::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// A chunk-size line may also carry its CRLFs and up to 16 significant hex
// digits beyond what the budget counts.
constexpr std::size_t kChunkLineSlack = 64;

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::size_t HexDigits(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 16) {
    v /= 16;
    ++n;
  }
  return n;
}

}  // namespace

ParseStatus CheckTransferEncoding(std::string_view codings, bool has_content_length,
                                  unsigned version) {
  if (has_content_length || version < 11) return ParseStatus::kBadTransferEncoding;
  std::vector<std::string_view> list;
  while (!codings.empty()) {
    const auto comma = codings.find(',');
    const std::string_view item = TrimOws(codings.substr(0, comma));
    if (!item.empty()) list.push_back(item);  // empty list elements are allowed
    codings = comma == std::string_view::npos ? std::string_view() : codings.substr(comma + 1);
  }
  if (list.empty() || !beast::iequals(list.back(), "chunked")) {
    return ParseStatus::kBadTransferEncoding;
  }
  for (std::size_t i = 0; i + 1 < list.size(); ++i) {
    if (beast::iequals(list[i], "chunked")) return ParseStatus::kBadTransferEncoding;
  }
  return list.size() == 1 ? ParseStatus::kDone : ParseStatus::kUnsupportedTransferCoding;
}

void ChunkFramingBudget::operator()(std::uint64_t size, beast::string_view extensions,
                                    beast::error_code& ec) {
  // The size's digits end where the extensions begin; more of them than
  // the value needs are leading zeros, as idle as an extension.
  std::size_t digits = 0;
  for (const char* p = extensions.data(); p > input_begin_ && IsHexDigit(p[-1]); --p) ++digits;
  const std::size_t padding = digits > HexDigits(size) ? digits - HexDigits(size) : 0;
  used_ += extensions.size() + padding;
  if (size == 0) {
    // The last chunk: Beast calls this once the whole trailer section is
    // buffered (up to the first CRLF CRLF) and before it parses its fields,
    // so a section over the budget is refused before any field is stored.
    const char* line_end = extensions.data() + extensions.size();
    const std::string_view rest(line_end, static_cast<std::size_t>(input_end_ - line_end));
    const std::size_t eom = rest.find("\r\n\r\n");
    if (eom != std::string_view::npos) used_ += eom;
  }
  if (exceeded()) ec = bhttp::error::bad_chunk_extension;
}

template <class Body>
RequestParser<Body>::RequestParser()
    : parser_(std::make_unique<BeastParser>()), budget_(std::make_unique<ChunkFramingBudget>()) {
  parser_->header_limit(static_cast<std::uint32_t>(kParserHeaderLimit));
  parser_->body_limit(UINT64_MAX);  // set per route once the header is known
  parser_->on_chunk_header(*budget_);
}

template <class Body>
void RequestParser<Body>::set_body_limit(std::uint64_t limit) {
  parser_->body_limit(limit);
  // Beast compares Content-Length with the limit only as the header ends.
  const auto length = parser_->is_header_done() ? parser_->content_length() : boost::none;
  body_too_large_ = length && *length > limit;
}

template <class Body>
std::size_t RequestParser<Body>::UnparsedLimit() const {
  if (!parser_->is_header_done()) return kParserHeaderLimit;
  // Only a chunk-size line or the trailer section waits for more bytes.
  const std::size_t left = kMaxChunkFramingBytes - std::min(budget_->used(), kMaxChunkFramingBytes);
  return left + kChunkLineSlack;
}

template <class Body>
ParseStatus RequestParser<Body>::Classify(const beast::error_code& ec) const {
  if (ec == bhttp::error::header_limit) {
    // The start line was parsed (and consumed) if the target is known.
    const auto target = parser_->get().target();
    return target.empty() || target.size() > kMaxRequestLineBytes ? ParseStatus::kUriTooLong
                                                                  : ParseStatus::kHeaderTooLarge;
  }
  if (budget_->exceeded()) return ParseStatus::kChunkFramingTooLarge;
  if (ec == bhttp::error::body_limit) return ParseStatus::kBodyTooLarge;
  if (ec == bhttp::error::bad_transfer_encoding) return ParseStatus::kBadTransferEncoding;
  return ParseStatus::kMalformed;
}

template <class Body>
ParseStatus RequestParser<Body>::CheckHeader() {
  const auto& h = parser_->get();
  if (h.target().size() > kMaxRequestLineBytes) return ParseStatus::kUriTooLong;
  std::size_t header_bytes = 0;
  std::string codings;
  for (const auto& f : h) {
    header_bytes += f.name_string().size() + f.value().size() + 4;
    if (f.name() == bhttp::field::transfer_encoding) {
      if (!codings.empty()) codings += ", ";
      codings.append(f.value().data(), f.value().size());
    }
  }
  if (header_bytes > kMaxHeaderBytes) return ParseStatus::kHeaderTooLarge;
  if (h.find(bhttp::field::transfer_encoding) != h.end()) {
    const bool has_length = h.find(bhttp::field::content_length) != h.end();
    const ParseStatus te = CheckTransferEncoding(codings, has_length, h.version());
    if (te != ParseStatus::kDone) return te;
    // Beast must frame the body the way the check above read the field.
    if (!parser_->chunked()) return ParseStatus::kBadTransferEncoding;
  }
  return ParseStatus::kDone;
}

template <class Body>
ParseStatus RequestParser<Body>::Put(beast::flat_buffer& buffer) {
  if (body_too_large_) return ParseStatus::kBodyTooLarge;
  if (parser_->is_done()) return ParseStatus::kDone;
  if (buffer.size() == 0) return ParseStatus::kNeedMore;
  const bool header_was_done = parser_->is_header_done();
  beast::error_code ec;
  std::size_t used = 0;
  const char* input = static_cast<const char*>(buffer.data().data());
  budget_->set_input(input, input + buffer.size());
  try {
    used = parser_->put(buffer.data(), ec);
  } catch (const std::exception&) {
    // Beast's field container throws for a name or value over 64 KiB (as a
    // trailer can be); whatever it is, it is the client's malformed input.
    return ParseStatus::kMalformed;
  }
  buffer.consume(used);
  if (ec == bhttp::error::need_buffer) return ParseStatus::kDone;  // the body buffer is full
  if (ec == bhttp::error::need_more) {
    if (buffer.size() < UnparsedLimit()) return ParseStatus::kNeedMore;
    if (!parser_->is_header_done()) return Classify(bhttp::error::header_limit);
    return ParseStatus::kChunkFramingTooLarge;
  }
  if (ec) return Classify(ec);
  if (!header_was_done && parser_->is_header_done() && !header_checked_) {
    header_checked_ = true;
    return CheckHeader();
  }
  return used > 0 || parser_->is_done() ? ParseStatus::kDone : ParseStatus::kNeedMore;
}

template <class Body>
ParseStatus RequestParser<Body>::PutEof() {
  if (!parser_->got_some()) return ParseStatus::kEndOfStream;
  beast::error_code ec;
  parser_->put_eof(ec);
  return !ec && parser_->is_done() ? ParseStatus::kDone : ParseStatus::kEndOfStream;
}

template class RequestParser<bhttp::string_body>;
template class RequestParser<bhttp::buffer_body>;

}  // namespace tenantd::http
