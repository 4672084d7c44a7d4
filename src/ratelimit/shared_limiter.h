// Rate-limit counts in Redis, shared exactly by every node (RedisLimiter's
// one script per check), with this process's own counts while Redis is
// unreachable — or, configured to fail closed, 503 rate_limiter_unavailable.
//
// The failed-authentication gate that every request with credentials
// passes before its secret is checked costs no round trip: it is answered
// from the counts this process saw reached when it counted failures or
// when Redis refused a request by one (Acquire checks the gates again in
// the same round trip that counts the request, so a count reached on
// another node still refuses the request there, and is remembered here).
#pragma once

#include <atomic>
#include <chrono>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "ratelimit/in_process_limiter.h"
#include "ratelimit/rate_limiter.h"

namespace tenantd::ratelimit {

class RedisLimiter;

class SharedLimiter : public RateLimiter {
 public:
  // Both must outlive this object. `fail_closed`: with Redis unreachable,
  // answer errors instead of counting in `local` (each node then admits up
  // to a full limit: N nodes at most N x the limit).
  SharedLimiter(RedisLimiter& redis, InProcessLimiter& local, bool fail_closed);

  boost::asio::awaitable<base::Result<Verdict>> Acquire(std::span<const Charge> charges,
                                                        std::size_t gates, TimePoint now) override;
  boost::asio::awaitable<base::Result<Verdict>> Peek(std::span<const Charge> charges,
                                                     TimePoint now) override;
  boost::asio::awaitable<base::Result<Verdict>> Gate(std::span<const Charge> charges,
                                                     TimePoint now) override;
  boost::asio::awaitable<void> Count(std::span<const Charge> charges, TimePoint now) override;
  std::size_t Purge(TimePoint now) override;
  uint64_t local_fallbacks() const override {
    return local_fallbacks_.load(std::memory_order_relaxed);
  }

 private:
  // After a call to Redis: true when its answer `v` is unavailable and the
  // caller is to use the local counts instead; with fail_closed, it turns
  // `v` into 503 rate_limiter_unavailable and says false.
  template <typename T>
  bool FallsBack(base::Result<T>& v) const;
  // The failed-authentication counts known to be reached.
  Verdict Tripped(std::span<const Charge> charges, TimePoint now) const;
  void RememberTripped(std::string_view key, const Decision& next, TimePoint now);

  RedisLimiter& redis_;
  InProcessLimiter& local_;
  bool fail_closed_;
  mutable std::atomic<uint64_t> local_fallbacks_{0};
  mutable std::shared_mutex tripped_mu_;  // read on every request, written rarely
  // key -> until when it refuses, and the decision to report meanwhile.
  std::unordered_map<std::string, std::pair<TimePoint, Decision>>
      tripped_;  // guarded by tripped_mu_
};

}  // namespace tenantd::ratelimit
