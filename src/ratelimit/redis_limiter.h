// Rate-limit state in Redis, shared exactly by every tenantd process using
// the same server: the GCRA of ratelimit/gcra.h as one Lua script, so a
// check of several keys is one atomic round trip, timed by Redis's own
// clock (nodes' clocks may differ; the server's is the one that counts).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "ratelimit/rate_limiter.h"

namespace tenantd::redis {
class RedisClient;
struct Reply;
}  // namespace tenantd::redis

namespace tenantd::ratelimit {

// Thread-safe; call from a coroutine on an event loop, where the checks of
// all its requests are pipelined over one connection (redis_client.h) and
// the loop never waits for Redis. Keys are stored as "tenantd:rl:<key>" holding the TAT in
// microseconds of Redis time, and expire when their budget is full again,
// so Redis holds only what still limits something. Errors: the client's
// (kUnavailable when Redis cannot be reached).
class RedisLimiter {
 public:
  explicit RedisLimiter(redis::RedisClient& client);

  // As InProcessLimiter's; the `now` of those is Redis's TIME here. The
  // first `gates` charges of Acquire are checked, never counted: the request
  // is admitted only if they conform too (and refused_by may name one);
  // the decision of an admitted request is that of the counted charges.
  // `charges` must outlive the call (co_await it at once).
  boost::asio::awaitable<base::Result<Verdict>> Acquire(std::span<const Charge> charges,
                                                        std::size_t gates = 0);
  boost::asio::awaitable<base::Result<Verdict>> Peek(std::span<const Charge> charges);
  // Counts one event against each charge that conforms, and returns per
  // charge what the next request would meet (allowed, retry_after).
  boost::asio::awaitable<base::Result<std::vector<Decision>>> Count(
      std::span<const Charge> charges);
  // False while Redis is known to be down (calls then fail at once).
  bool available() const;

 private:
  boost::asio::awaitable<base::Result<redis::Reply>> Run(std::string mode,
                                                         std::span<const Charge> charges,
                                                         std::size_t gates);

  redis::RedisClient& client_;
};

}  // namespace tenantd::ratelimit
