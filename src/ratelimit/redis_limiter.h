// Rate-limit state in Redis, shared exactly by every tenantd process using
// the same server: the GCRA of ratelimit/gcra.h as one Lua script, so a
// check of several keys is one atomic round trip, timed by Redis's own
// clock (nodes' clocks may differ; the server's is the one that counts).
#pragma once

#include <span>

#include "base/error.h"
#include "ratelimit/in_process_limiter.h"

namespace tenantd::redis {
class RedisClient;
}

namespace tenantd::ratelimit {

// Thread-safe. Keys are stored as "tenantd:rl:<key>" holding the TAT in
// microseconds of Redis time, and expire when their budget is full again,
// so Redis holds only what still limits something. Errors: the client's
// (kUnavailable when Redis cannot be reached).
class RedisLimiter {
 public:
  explicit RedisLimiter(redis::RedisClient& client);

  // As InProcessLimiter's; the `now` of those is Redis's TIME here.
  base::Result<Verdict> Acquire(std::span<const Charge> charges);
  base::Result<Verdict> Peek(std::span<const Charge> charges);
  base::Status Count(std::span<const Charge> charges);

 private:
  base::Result<Verdict> Run(std::string_view mode, std::span<const Charge> charges);

  redis::RedisClient& client_;
};

}  // namespace tenantd::ratelimit
