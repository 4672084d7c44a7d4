#include "ratelimit/shared_limiter.h"

#include <mutex>
#include <vector>

#include "ratelimit/redis_limiter.h"

namespace tenantd::ratelimit {

using boost::asio::awaitable;

SharedLimiter::SharedLimiter(RedisLimiter& redis, InProcessLimiter& local, bool fail_closed)
    : redis_(redis), local_(local), fail_closed_(fail_closed) {}

template <typename T>
bool SharedLimiter::FallsBack(base::Result<T>& v) const {
  if (v || v.error().code != base::ErrorCode::kUnavailable) return false;
  local_fallbacks_.fetch_add(1, std::memory_order_relaxed);
  if (!fail_closed_) return true;
  v = base::MakeError(base::ErrorCode::kUnavailable, "rate_limiter_unavailable",
                      "Rate limits cannot be checked right now; retry shortly.",
                      v.error().log_detail);
  return false;
}

awaitable<base::Result<Verdict>> SharedLimiter::Acquire(std::span<const Charge> charges,
                                                        std::size_t gates, TimePoint now) {
  base::Result<Verdict> v = co_await redis_.Acquire(charges, gates);
  if (FallsBack(v)) co_return co_await local_.Acquire(charges, gates, now);
  if (v && !v->decision.allowed && v->refused_by < gates) {
    RememberTripped(charges[v->refused_by].key, v->decision, now);
  }
  co_return v;
}

awaitable<base::Result<Verdict>> SharedLimiter::Peek(std::span<const Charge> charges,
                                                     TimePoint now) {
  base::Result<Verdict> v = co_await redis_.Peek(charges);
  if (FallsBack(v)) co_return co_await local_.Peek(charges, now);
  co_return v;
}

awaitable<base::Result<Verdict>> SharedLimiter::Gate(std::span<const Charge> charges,
                                                     TimePoint now) {
  if (redis_.available()) co_return Tripped(charges, now);  // no round trip
  co_return co_await Peek(charges, now);
}

awaitable<void> SharedLimiter::Count(std::span<const Charge> charges, TimePoint now) {
  base::Result<std::vector<Decision>> next = co_await redis_.Count(charges);
  if (next) {
    for (std::size_t i = 0; i < next->size() && i < charges.size(); ++i) {
      RememberTripped(charges[i].key, (*next)[i], now);
    }
  }
  // Nothing to report if it fails: the refusal being counted stands anyway.
  if (FallsBack(next)) co_await local_.Count(charges, now);
}

Verdict SharedLimiter::Tripped(std::span<const Charge> charges, TimePoint now) const {
  Verdict v;
  v.decision.limit = charges.empty() ? 0 : charges[0].policy.limit;
  std::shared_lock lock(tripped_mu_);
  for (std::size_t i = 0; i < charges.size(); ++i) {
    const auto it = tripped_.find(std::string(charges[i].key));
    if (it == tripped_.end() || it->second.first <= now) continue;
    Decision d = it->second.second;
    const Nanos left = std::chrono::duration_cast<Nanos>(it->second.first - now);
    d.reset -= d.retry_after - left;  // both count down from when it was learned
    d.retry_after = left;
    if (v.decision.allowed || d.retry_after > v.decision.retry_after) {
      v.decision = d;
      v.refused_by = i;
    }
  }
  return v;
}

void SharedLimiter::RememberTripped(std::string_view key, const Decision& next, TimePoint now) {
  if (next.allowed || key.empty()) return;
  std::lock_guard lock(tripped_mu_);
  tripped_[std::string(key)] = {
      now + std::chrono::duration_cast<TimePoint::duration>(next.retry_after), next};
}

std::size_t SharedLimiter::Purge(TimePoint now) {
  {
    std::lock_guard lock(tripped_mu_);
    std::erase_if(tripped_, [now](const auto& entry) { return entry.second.first <= now; });
  }
  return local_.Purge(now);
}

}  // namespace tenantd::ratelimit
