#include "ratelimit/redis_limiter.h"

#include <string>
#include <vector>

#include "redis/redis_client.h"

namespace tenantd::ratelimit {
namespace {

// GCRA over several keys (gcra.cpp is the reference; this is the same
// arithmetic in microseconds, which Lua's doubles hold exactly).
// KEYS: the keys. ARGV[1]: the mode: "acquire" (count on all if all
// conform), "peek" (count nothing) or "count" (count on each that conforms,
// and report what the next request would meet); ARGV[2]: how many leading
// keys are gates, checked but never counted; then limit and window (µs) per
// key. Returns, per key, allowed (0/1), remaining, reset (µs) and
// retry-after (µs).
const redis::Script& GcraScript() {
  static const redis::Script script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local mode = ARGV[1]
local gates = tonumber(ARGV[2])
local out, tats = {}, {}
local all = true
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  local interval = math.ceil(window / limit)
  local tolerance = (limit - 1) * interval
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  local base = math.max(tat, now)
  local allowed = base - now <= tolerance
  local counts = allowed and mode ~= 'peek' and i > gates
  local after = base
  if counts then after = base + interval end
  if mode == 'count' then
    if counts then
      redis.call('SET', KEYS[i], string.format('%d', after), 'PX',
                 math.max(1, math.ceil((after - now) / 1000)))
    end
    base = after
    allowed = base - now <= tolerance
  end
  local remaining, retry = 0, 0
  if allowed then
    local slack = tolerance - (after - now)
    if slack >= 0 then remaining = math.min(math.floor(slack / interval) + 1, limit) end
  else
    all = false
    retry = base - now - tolerance
  end
  tats[i] = after
  out[4 * i - 3] = allowed and 1 or 0
  out[4 * i - 2] = remaining
  out[4 * i - 1] = math.max(after - now, 0)
  out[4 * i] = retry
end
if mode == 'acquire' and all then
  for i = gates + 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%d', tats[i]), 'PX',
               math.max(1, math.ceil((tats[i] - now) / 1000)))
  end
end
return out
)lua");
  return script;
}

int64_t Micros(Nanos d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

}  // namespace

RedisLimiter::RedisLimiter(redis::RedisClient& client) : client_(client) {}

base::Result<std::vector<Decision>> RedisLimiter::Run(std::string_view mode,
                                                      std::span<const Charge> charges,
                                                      std::size_t gates) {
  std::vector<std::string> keys;
  std::vector<std::string> args = {std::string(mode), std::to_string(gates)};
  for (const Charge& c : charges) {
    keys.push_back("tenantd:rl:" + std::string(c.key));
    args.push_back(std::to_string(c.policy.limit));
    args.push_back(std::to_string(Micros(c.policy.window)));
  }
  TENANTD_TRY(redis::Reply reply, client_.Eval(GcraScript(), keys, args));
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() != 4 * charges.size()) {
    return base::Internal("redis rate-limit script: unexpected reply");
  }
  std::vector<Decision> decisions;
  for (std::size_t i = 0; i < charges.size(); ++i) {
    const auto field = [&](std::size_t k) { return reply.elements[4 * i + k].integer; };
    Decision d;
    d.allowed = field(0) == 1;
    d.limit = charges[i].policy.limit;
    d.remaining = static_cast<uint64_t>(field(1));
    d.reset = std::chrono::microseconds(field(2));
    d.retry_after = std::chrono::microseconds(field(3));
    decisions.push_back(d);
  }
  return decisions;
}

namespace {

// The most restrictive decision, as InProcessLimiter reports it.
Verdict Combine(const std::vector<Decision>& decisions) {
  Verdict v;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const Decision& d = decisions[i];
    if (i == 0 || &MostRestrictive(v.decision, d) == &d) {
      v.decision = d;
      if (!d.allowed) v.refused_by = i;
    }
  }
  return v;
}

}  // namespace

base::Result<Verdict> RedisLimiter::Acquire(std::span<const Charge> charges, std::size_t gates) {
  TENANTD_TRY(const std::vector<Decision> decisions, Run("acquire", charges, gates));
  return Combine(decisions);
}

base::Result<Verdict> RedisLimiter::Peek(std::span<const Charge> charges) {
  TENANTD_TRY(const std::vector<Decision> decisions, Run("peek", charges, 0));
  return Combine(decisions);
}

base::Result<std::vector<Decision>> RedisLimiter::Count(std::span<const Charge> charges) {
  return Run("count", charges, 0);
}

bool RedisLimiter::available() const { return client_.is_up(); }

}  // namespace tenantd::ratelimit
