#include "base/text.h"

#include <string>

namespace tenantd::base {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Decodes the code point starting at s[i] and advances i past it; false on
// anything that is not well-formed UTF-8 (overlong forms, surrogates, values
// beyond U+10FFFF, truncated sequences).
bool NextCodePoint(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    cp = lead;
    i += 1;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + length > s.size()) return false;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += length;
  return true;
}

}  // namespace

std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Names end up in admin UIs, logs and terminals, where control characters
// (C0, DEL, C1) could forge log lines or move the cursor.
std::optional<FieldError> CheckName(std::string_view raw, std::size_t max_bytes) {
  const std::string_view name = TrimAsciiSpace(raw);
  if (name.empty()) return FieldError{"name", "Name is required."};
  if (name.size() > max_bytes) {
    return FieldError{"name", "Name must be at most " + std::to_string(max_bytes) + " bytes long."};
  }
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    if (!NextCodePoint(name, i, cp)) return FieldError{"name", "Name must be valid UTF-8."};
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return FieldError{"name", "Name must not contain control characters."};
    }
  }
  return std::nullopt;
}

}  // namespace tenantd::base
