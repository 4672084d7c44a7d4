// Rate-limit state kept in this process: exact within the process, one
// GCRA time stamp per key (ratelimit/gcra.h).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

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

// Thread-safe: keys are spread over mutex-guarded shards, so event-loop
// threads rarely meet on one lock. Memory is bounded by the keys used
// within one window: a key whose budget is full again carries no
// information and PurgeExpired() drops it.
class InProcessLimiter {
 public:
  // Checks every charge at `now` (nanoseconds on any steady clock, the same
  // for every call) and counts the request against all of them only if all
  // conform: a request refused by one limit uses up none of the others.
  // An empty span is allowed (an unlimited decision).
  Verdict Acquire(std::span<const Charge> charges, int64_t now);
  // As Acquire, but counts nothing: would a request conform now?
  Verdict Peek(std::span<const Charge> charges, int64_t now) const;
  // Counts one event against each charge that still conforms (failed
  // authentications: counted after the fact, never beyond the limit).
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
