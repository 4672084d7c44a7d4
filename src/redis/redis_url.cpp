#include "redis/redis_url.h"

#include <charconv>

namespace tenantd::redis {
namespace {

base::Error Invalid(std::string why) {
  return base::InvalidArgument("invalid_config", "invalid REDIS_URL: " + std::move(why) +
                                                     " (redis://[user:pass@]host:port/db)");
}

bool ParseNumber(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out <= max;
}

// %XX escapes, so a password may hold ':', '@' or '/'.
bool Unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != s.data() + i + 3) return false;
    out += static_cast<char>(value);
    i += 2;
  }
  return true;
}

}  // namespace

std::string RedisUrl::Masked() const {
  std::string out = "redis://";
  if (!user.empty() || !password.empty()) out += user + (password.empty() ? "@" : ":***@");
  out += host + ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

base::Result<RedisUrl> ParseRedisUrl(std::string_view text) {
  constexpr std::string_view kScheme = "redis://";
  if (!text.starts_with(kScheme)) return Invalid("must start with redis://");
  std::string_view rest = text.substr(kScheme.size());
  RedisUrl url;
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const std::size_t colon = userinfo.find(':');
    std::string user, password;
    if (!Unescape(userinfo.substr(0, colon), user)) return Invalid("bad %-escape in the user");
    if (colon != std::string_view::npos && !Unescape(userinfo.substr(colon + 1), password)) {
      return Invalid("bad %-escape in the password");
    }
    url.user = std::move(user);
    url.password = base::Secret(std::move(password));
  }
  std::string_view hostport = rest.substr(0, rest.find('/'));
  const std::string_view path =
      rest.size() > hostport.size() ? rest.substr(hostport.size() + 1) : std::string_view();
  if (const std::size_t colon = hostport.rfind(':');
      colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    uint64_t port = 0;
    if (!ParseNumber(hostport.substr(colon + 1), 65535, port) || port == 0) {
      return Invalid("port must be 1-65535");
    }
    url.port = static_cast<uint16_t>(port);
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return Invalid("no host");
  url.host = std::string(hostport);
  if (!path.empty()) {
    uint64_t db = 0;
    if (!ParseNumber(path, 65535, db)) return Invalid("db must be a number");
    url.db = static_cast<int>(db);
  }
  return url;
}

}  // namespace tenantd::redis
