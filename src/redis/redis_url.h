// REDIS_URL: `redis://[user:pass@]host:port/db` (api.md §9, docs/configuration.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret.h"

namespace tenantd::redis {

struct RedisUrl {
  std::string host;
  uint16_t port = 6379;
  int db = 0;
  std::string user;       // "" = the default user
  base::Secret password;  // empty = no AUTH

  // The URL with the password replaced by "***": what logs and /readyz show.
  std::string Masked() const;
};

// Parses `text`; kInvalidArgument naming what is wrong (never echoing the
// password). Port defaults to 6379, db to 0; user and password are
// percent-decoded.
base::Result<RedisUrl> ParseRedisUrl(std::string_view text);

}  // namespace tenantd::redis
