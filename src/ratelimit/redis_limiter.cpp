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
// key.
// Returns, for "count", per key: allowed (0/1), remaining, reset (µs) and
// retry-after (µs); for the others, the one decision that answers the
// request, as InProcessLimiter picks it (gcra.h MostRestrictive), among the
// counted keys and any gate that refuses: its key's index (from 0) and the
// same four numbers.
// Every call into Redis from Lua costs about a microsecond of Redis's
// time, and so does each number returned: one MGET, a SET only for what is
// counted, and five numbers back keep the hot path lean.
const redis::Script& GcraScript() {
  static const redis::Script script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local mode = ARGV[1]
local gates = tonumber(ARGV[2])
local stored = redis.call('MGET', unpack(KEYS))
local out, after_of = {}, {}
local all = true
local best, best_allowed, best_remaining, best_reset, best_retry = 0, true, 0, 0, 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i + 1])
  local interval = math.ceil(tonumber(ARGV[2 * i + 2]) / limit)
  local tolerance = (limit - 1) * interval
  local base = math.max(tonumber(stored[i] or '0'), now)
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
  local reset = math.max(after - now, 0)
  after_of[i] = after
  if mode == 'count' then
    out[4 * i - 3] = allowed and 1 or 0
    out[4 * i - 2] = remaining
    out[4 * i - 1] = reset
    out[4 * i] = retry
  elseif i > gates or not allowed then
    local take = best == 0
    if not take then
      if allowed ~= best_allowed then take = not allowed
      elseif not allowed then take = retry > best_retry
      elseif remaining ~= best_remaining then take = remaining < best_remaining
      else take = reset > best_reset end
    end
    if take then
      best, best_allowed, best_remaining, best_reset, best_retry =
          i, allowed, remaining, reset, retry
    end
  end
end
if mode == 'count' then return out end
if mode == 'acquire' and all then
  for i = gates + 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%d', after_of[i]), 'PX',
               math.max(1, math.ceil((after_of[i] - now) / 1000)))
  end
end
return {best - 1, best_allowed and 1 or 0, best_remaining, best_reset, best_retry}
)lua");
  return script;
}

int64_t Micros(Nanos d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

Decision DecisionAt(const redis::Reply& reply, std::size_t at, uint64_t limit) {
  const auto field = [&](std::size_t k) { return reply.elements[at + k].integer; };
  Decision d;
  d.allowed = field(0) == 1;
  d.limit = limit;
  d.remaining = static_cast<uint64_t>(field(1));
  d.reset = std::chrono::microseconds(field(2));
  d.retry_after = std::chrono::microseconds(field(3));
  return d;
}

bool IsIntegerArray(const redis::Reply& reply, std::size_t size) {
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() != size) return false;
  for (const redis::Reply& e : reply.elements) {
    if (e.type != redis::Reply::Type::kInteger) return false;
  }
  return true;
}

// "count": four integers per key.
base::Result<std::vector<Decision>> DecodeCount(const redis::Reply& reply,
                                                std::span<const Charge> charges) {
  if (!IsIntegerArray(reply, 4 * charges.size())) {
    return base::Internal("redis rate-limit script: unexpected reply");
  }
  std::vector<Decision> decisions;
  decisions.reserve(charges.size());
  for (std::size_t i = 0; i < charges.size(); ++i) {
    decisions.push_back(DecisionAt(reply, 4 * i, charges[i].policy.limit));
  }
  return decisions;
}

// "acquire", "peek": the deciding key's index and its decision.
base::Result<Verdict> DecodeVerdict(const redis::Reply& reply, std::span<const Charge> charges) {
  if (!IsIntegerArray(reply, 5) || reply.elements[0].integer < 0 ||
      static_cast<std::size_t>(reply.elements[0].integer) >= charges.size()) {
    return base::Internal("redis rate-limit script: unexpected reply");
  }
  const auto at = static_cast<std::size_t>(reply.elements[0].integer);
  Verdict v;
  v.decision = DecisionAt(reply, 1, charges[at].policy.limit);
  if (!v.decision.allowed) v.refused_by = at;
  return v;
}

}  // namespace

RedisLimiter::RedisLimiter(redis::RedisClient& client) : client_(client) {}

boost::asio::awaitable<base::Result<redis::Reply>> RedisLimiter::Run(
    std::string mode, std::span<const Charge> charges, std::size_t gates) {
  std::vector<std::string> keys;
  std::vector<std::string> args = {std::move(mode), std::to_string(gates)};
  keys.reserve(charges.size());
  args.reserve(2 + 2 * charges.size());
  for (const Charge& c : charges) {
    keys.push_back("tenantd:rl:" + std::string(c.key));
    args.push_back(std::to_string(c.policy.limit));
    args.push_back(std::to_string(Micros(c.policy.window)));
  }
  co_return co_await client_.EvalAsync(GcraScript(), keys, args);
}

boost::asio::awaitable<base::Result<Verdict>> RedisLimiter::Acquire(std::span<const Charge> charges,
                                                                    std::size_t gates) {
  const base::Result<redis::Reply> reply = co_await Run("acquire", charges, gates);
  if (!reply) co_return reply.error();
  co_return DecodeVerdict(*reply, charges);
}

boost::asio::awaitable<base::Result<Verdict>> RedisLimiter::Peek(std::span<const Charge> charges) {
  const base::Result<redis::Reply> reply = co_await Run("peek", charges, 0);
  if (!reply) co_return reply.error();
  co_return DecodeVerdict(*reply, charges);
}

boost::asio::awaitable<base::Result<std::vector<Decision>>> RedisLimiter::Count(
    std::span<const Charge> charges) {
  const base::Result<redis::Reply> reply = co_await Run("count", charges, 0);
  if (!reply) co_return reply.error();
  co_return DecodeCount(*reply, charges);
}

bool RedisLimiter::available() const { return client_.is_up(); }

}  // namespace tenantd::ratelimit
