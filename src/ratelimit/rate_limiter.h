// Where rate-limit counts live (api.md §7): in this process
// (InProcessLimiter), or in Redis, shared by every node, falling back to
// this process while Redis is away (SharedLimiter). TenantLimits decides
// which keys a request is counted against and with which policy; a
// RateLimiter only keeps the counts, with the GCRA of ratelimit/gcra.h.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "ratelimit/gcra.h"

namespace tenantd::ratelimit {

// One key checked against one policy.
struct Charge {
  std::string_view key;  // e.g. "t:<tenant id>"; distinct purposes use distinct prefixes
  Policy policy;
};

// The answer for a set of charges checked together.
struct Verdict {
  Decision decision;           // the most restrictive of the charges (gcra.h)
  std::size_t refused_by = 0;  // index of the refusing charge when !decision.allowed
};

// Thread-safe. The calls are coroutines for the event loop: a limiter in
// Redis waits for its answer without blocking the loop. `charges` must
// outlive the call (co_await it at once). Errors: kUnavailable
// "rate_limiter_unavailable", only from a SharedLimiter configured to fail
// closed while Redis is unreachable.
class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~RateLimiter() = default;

  // Counts a request against charges[gates..] only if every charge
  // conforms at `now`: a request refused by one limit uses up none of the
  // others. The first `gates` charges are checked, never counted (the
  // failed-authentication counts a request must not have reached). The
  // decision of an admitted request is that of its counted charges; a
  // refused one reports the refusal (refused_by indexes `charges`).
  virtual boost::asio::awaitable<base::Result<Verdict>> Acquire(std::span<const Charge> charges,
                                                                std::size_t gates,
                                                                TimePoint now) = 0;
  // What a request would meet now; counts nothing.
  virtual boost::asio::awaitable<base::Result<Verdict>> Peek(std::span<const Charge> charges,
                                                             TimePoint now) = 0;
  // Peek for the failed-authentication gate before any secret is checked,
  // which every request with credentials passes: may answer from what this
  // process already knows instead of asking a server (SharedLimiter).
  virtual boost::asio::awaitable<base::Result<Verdict>> Gate(std::span<const Charge> charges,
                                                             TimePoint now) = 0;
  // Counts one event against each charge that still conforms (failed
  // authentications, counted after the fact, never beyond the limit).
  virtual boost::asio::awaitable<void> Count(std::span<const Charge> charges, TimePoint now) = 0;
  // Drops what no longer limits anything (call periodically); returns how
  // many keys this process still holds.
  virtual std::size_t Purge(TimePoint now) = 0;
  // Checks a shared limiter answered from this process's counts instead
  // (Redis away), for /metrics; 0 for one that is not shared.
  virtual uint64_t local_fallbacks() const { return 0; }
};

}  // namespace tenantd::ratelimit
