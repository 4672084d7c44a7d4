#include "ratelimit/in_process_limiter.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace tenantd::ratelimit {
namespace {

constexpr std::size_t kMaxCharges = 8;  // a request checks a handful of limits

std::size_t ShardOf(std::string_view key, std::size_t shards) {
  return std::hash<std::string_view>{}(key) % shards;
}

}  // namespace

// Locks the shards of every charge in ascending order (so two requests
// sharing keys cannot deadlock) and runs per_key(charge, tat&) for each,
// where a fresh key reads as 0.
template <typename Fn>
Verdict InProcessLimiter::Locked(std::span<const Charge> charges, Fn&& per_key) const {
  std::array<std::size_t, kMaxCharges> order{};
  const std::size_t n = std::min(charges.size(), kMaxCharges);
  for (std::size_t i = 0; i < n; ++i) order[i] = ShardOf(charges[i].key, kShards);
  std::sort(order.begin(), order.begin() + n);
  const auto end = std::unique(order.begin(), order.begin() + n);
  std::array<std::unique_lock<std::mutex>, kMaxCharges> locks;
  for (auto it = order.begin(); it != end; ++it) {
    locks[it - order.begin()] = std::unique_lock(shards_[*it].mutex);
  }
  return per_key(n);
}

Verdict InProcessLimiter::Acquire(std::span<const Charge> charges, int64_t now, std::size_t gates) {
  return Locked(charges, [&](std::size_t n) {
    Verdict admitted, refused;
    bool counted_any = false;
    std::array<int64_t*, kMaxCharges> slots{};
    std::array<int64_t, kMaxCharges> next{};
    for (std::size_t i = 0; i < n; ++i) {
      auto& map = shards_[ShardOf(charges[i].key, kShards)].tat;
      const auto it = map.find(charges[i].key);
      const int64_t tat = it == map.end() ? 0 : it->second;
      const bool counted = i >= gates;
      const GcraResult r = Gcra(charges[i].policy, tat, now, /*consume=*/counted);
      if (!r.decision.allowed) {
        if (refused.decision.allowed ||
            &MostRestrictive(refused.decision, r.decision) == &r.decision) {
          refused = {r.decision, i};
        }
      } else if (counted) {
        if (!counted_any || &MostRestrictive(admitted.decision, r.decision) == &r.decision) {
          admitted.decision = r.decision;
        }
        counted_any = true;
      }
      next[i] = r.tat;
      slots[i] = it == map.end() ? nullptr : &it->second;
    }
    if (!refused.decision.allowed) return refused;
    for (std::size_t i = gates; i < n; ++i) {
      if (slots[i]) {
        *slots[i] = next[i];
      } else {
        shards_[ShardOf(charges[i].key, kShards)].tat.emplace(charges[i].key, next[i]);
      }
    }
    return admitted;
  });
}

Verdict InProcessLimiter::Peek(std::span<const Charge> charges, int64_t now) const {
  return Locked(charges, [&](std::size_t n) {
    Verdict v;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& map = shards_[ShardOf(charges[i].key, kShards)].tat;
      const auto it = map.find(charges[i].key);
      const GcraResult r =
          Gcra(charges[i].policy, it == map.end() ? 0 : it->second, now, /*consume=*/false);
      if (i == 0 || &MostRestrictive(v.decision, r.decision) == &r.decision) {
        v.decision = r.decision;
        if (!r.decision.allowed) v.refused_by = i;
      }
    }
    return v;
  });
}

void InProcessLimiter::Count(std::span<const Charge> charges, int64_t now) {
  Locked(charges, [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto& map = shards_[ShardOf(charges[i].key, kShards)].tat;
      int64_t& tat = map.try_emplace(std::string(charges[i].key), 0).first->second;
      tat = Gcra(charges[i].policy, tat, now, /*consume=*/true).tat;
    }
    return Verdict{};
  });
}

std::size_t InProcessLimiter::PurgeExpired(int64_t now) {
  std::size_t remaining = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    std::erase_if(shard.tat, [now](const auto& entry) { return entry.second <= now; });
    remaining += shard.tat.size();
  }
  return remaining;
}

namespace {

int64_t Ns(RateLimiter::TimePoint t) {
  return std::chrono::duration_cast<Nanos>(t.time_since_epoch()).count();
}

}  // namespace

boost::asio::awaitable<base::Result<Verdict>> InProcessLimiter::Acquire(
    std::span<const Charge> charges, std::size_t gates, TimePoint now) {
  co_return Acquire(charges, Ns(now), gates);
}

boost::asio::awaitable<base::Result<Verdict>> InProcessLimiter::Peek(
    std::span<const Charge> charges, TimePoint now) {
  co_return Peek(charges, Ns(now));
}

boost::asio::awaitable<base::Result<Verdict>> InProcessLimiter::Gate(
    std::span<const Charge> charges, TimePoint now) {
  co_return Peek(charges, Ns(now));
}

boost::asio::awaitable<void> InProcessLimiter::Count(std::span<const Charge> charges,
                                                     TimePoint now) {
  Count(charges, Ns(now));
  co_return;
}

std::size_t InProcessLimiter::Purge(TimePoint now) { return PurgeExpired(Ns(now)); }

}  // namespace tenantd::ratelimit
