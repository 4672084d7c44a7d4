#include "outbox/auth_link.h"

namespace tenantd::outbox {
namespace {

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

}  // namespace

std::string AuthLink(std::string_view base, std::string_view action, std::string_view token) {
  while (base.ends_with('/')) base.remove_suffix(1);
  return std::string(base) + "/auth/" + std::string(action) + "?token=" + PercentEncode(token);
}

}  // namespace tenantd::outbox
