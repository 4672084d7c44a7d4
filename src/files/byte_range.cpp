#include "files/byte_range.h"

#include <charconv>
#include <optional>

#include "base/text.h"

namespace tenantd::files {
namespace {

std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

ByteRange ParseRange(std::string_view header, uint64_t size) {
  ByteRange whole;
  std::string_view spec = base::TrimAsciiSpace(header);
  constexpr std::string_view kUnit = "bytes=";
  if (spec.size() <= kUnit.size()) return whole;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    const char c = spec[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kUnit[i]) return whole;
  }
  spec.remove_prefix(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: see header
  spec = base::TrimAsciiSpace(spec);
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = spec.substr(0, dash);
  const std::string_view b = spec.substr(dash + 1);
  ByteRange r;
  r.kind = ByteRange::Kind::kPart;
  if (a.empty()) {  // suffix: the last n bytes
    const auto n = ParseNumber(b);
    if (!n) return whole;
    if (*n == 0 || size == 0) return ByteRange{ByteRange::Kind::kUnsatisfiable};
    r.first = *n >= size ? 0 : size - *n;
    r.last = size - 1;
    return r;
  }
  const auto first = ParseNumber(a);
  if (!first) return whole;
  std::optional<uint64_t> last;
  if (!b.empty()) {
    last = ParseNumber(b);
    if (!last || *last < *first) return whole;  // invalid, so ignored
  }
  if (*first >= size) return ByteRange{ByteRange::Kind::kUnsatisfiable};
  r.first = *first;
  r.last = last && *last < size ? *last : size - 1;
  return r;
}

}  // namespace tenantd::files
