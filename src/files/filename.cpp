#include "files/filename.h"

#include <optional>
#include <vector>

namespace tenantd::files {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value with the UTF-8 charset (case-insensitive, no language
// tag needed): "UTF-8''caf%C3%A9.txt". nullopt when `raw` is not one.
std::optional<std::string> DecodeExtValue(std::string_view raw) {
  constexpr std::string_view kPrefix = "utf-8''";
  if (raw.size() < kPrefix.size()) return std::nullopt;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    const char c = raw[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kPrefix[i]) return std::nullopt;
  }
  std::string out;
  for (std::size_t i = kPrefix.size(); i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && HexValue(raw[i + 1]) >= 0 &&
        HexValue(raw[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(raw[i + 1]) * 16 + HexValue(raw[i + 2]));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsControl(std::string_view s, std::size_t i, std::size_t len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (len == 1) return c < 0x20 || c == 0x7F;
  // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
  return len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

}  // namespace

std::string SanitizeFilename(std::string_view raw) {
  const std::optional<std::string> decoded = DecodeExtValue(raw);
  std::string_view name = decoded ? std::string_view(*decoded) : raw;
  if (const std::size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  // Clean, then trim, then cut: padding must not use up the length budget.
  std::string clean;
  clean.reserve(name.size());
  std::vector<std::size_t> starts;  // where each character of `clean` begins
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t len = Utf8SequenceLength(name, i);
    if (len == 0) {
      starts.push_back(clean.size());
      clean += '_';
      ++i;
      continue;
    }
    if (!IsControl(name, i, len)) {
      starts.push_back(clean.size());
      clean.append(name.substr(i, len));
    }
    i += len;
  }
  const std::size_t first = clean.find_first_not_of(" .");
  if (first == std::string::npos) return std::string(kDefaultFilename);
  const std::size_t end = clean.find_last_not_of(" .") + 1;
  // The longest run of whole characters from `first` that fits the limit:
  // the last character boundary at most 255 bytes on.
  std::size_t cut = end;
  if (end - first > kMaxFilenameBytes) {
    for (const std::size_t start : starts) {
      if (start < first) continue;
      if (start - first > kMaxFilenameBytes) break;
      cut = start;
    }
    while (cut > first && (clean[cut - 1] == ' ' || clean[cut - 1] == '.')) --cut;
  }
  return clean.substr(first, cut - first);
}

std::string ContentDisposition(std::string_view filename) {
  std::string fallback;  // quoted-string of printable ASCII, without '"' and '\'
  std::string encoded;   // RFC 5987 attr-char or %XX
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : filename) {
    const auto c = static_cast<unsigned char>(ch);
    const bool printable = c >= 0x20 && c < 0x7F;
    fallback += printable && c != '"' && c != '\\' && c != '%' ? ch : '_';
    const bool attr_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos;
    if (attr_char) {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0x0F];
    }
  }
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace tenantd::files
