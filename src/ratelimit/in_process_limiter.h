// Rate-limit counts kept in this process: exact within the process, one
// GCRA time stamp per key (ratelimit/gcra.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ratelimit/rate_limiter.h"

namespace tenantd::ratelimit {

// Thread-safe: keys are spread over mutex-guarded shards, so event-loop
// threads rarely meet on one lock. Memory is bounded by the keys used
// within one window: a key whose budget is full again carries no
// information and PurgeExpired() drops it.
class InProcessLimiter : public RateLimiter {
 public:
  // RateLimiter: never fails, never waits.
  boost::asio::awaitable<base::Result<Verdict>> Acquire(std::span<const Charge> charges,
                                                        std::size_t gates, TimePoint now) override;
  boost::asio::awaitable<base::Result<Verdict>> Peek(std::span<const Charge> charges,
                                                     TimePoint now) override;
  boost::asio::awaitable<base::Result<Verdict>> Gate(std::span<const Charge> charges,
                                                     TimePoint now) override;
  boost::asio::awaitable<void> Count(std::span<const Charge> charges, TimePoint now) override;
  std::size_t Purge(TimePoint now) override;

  // The same, synchronous, at `now` in nanoseconds on any steady clock
  // (the same for every call). An empty span is allowed (an unlimited
  // decision).
  Verdict Acquire(std::span<const Charge> charges, int64_t now, std::size_t gates = 0);
  Verdict Peek(std::span<const Charge> charges, int64_t now) const;
  void Count(std::span<const Charge> charges, int64_t now);
  // Drops keys that are back to a full budget; returns how many remain.
  std::size_t PurgeExpired(int64_t now);

 private:
  static constexpr std::size_t kShards = 64;
  // Lets a string_view find a std::string key without a copy.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, int64_t, KeyHash, std::equal_to<>> tat;  // key -> GCRA TAT
  };
  template <typename Fn>
  Verdict Locked(std::span<const Charge> charges, Fn&& per_key) const;

  mutable std::array<Shard, kShards> shards_;
};

}  // namespace tenantd::ratelimit
