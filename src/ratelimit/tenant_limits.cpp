#include "ratelimit/tenant_limits.h"

#include <algorithm>

#include "http/message.h"
#include "http/problem.h"
#include "http/stage.h"
#include "ratelimit/redis_limiter.h"

namespace tenantd::ratelimit {
namespace {

using boost::asio::awaitable;

constexpr std::array<const char*, 6> kKindNames = {
    "plan", "credential", "auth_route", "failed_auth_ip", "failed_auth_key", "public_file_ip"};
// api.md §4 lists API keys by their first 12 characters; the throttle keys
// on the same prefix, so a flood of guesses under one prefix is one key.
constexpr std::size_t kApiKeyPrefixChars = 12;
// Caps what an attacker-chosen header can make us store per key.
constexpr std::size_t kMaxAppKeyChars = 64;

int64_t Ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<Nanos>(t.time_since_epoch()).count();
}

uint64_t CeilSeconds(Nanos d) {
  constexpr int64_t kSecond = 1000000000;
  return d.count() <= 0 ? 0 : static_cast<uint64_t>((d.count() + kSecond - 1) / kSecond);
}

// The failed-authentication gates of `keys`: its IP and its key, either
// left out when empty (no address: a request tenantd built from a verify
// call; no key: a bare secret header without its key).
struct Gates {
  std::array<Charge, 2> charges{};
  std::array<Kind, 2> kinds{};
  std::size_t size = 0;
  std::span<const Charge> used() const { return {charges.data(), size}; }
};

Gates GatesOf(const FailedAuthKeys& keys, const TenantLimitsOptions& o) {
  Gates g;
  if (!keys.ip.empty()) {
    g.charges[g.size] = {keys.ip, {o.failures_per_ip, o.window}};
    g.kinds[g.size++] = Kind::kFailedAuthIp;
  }
  if (!keys.key.empty()) {
    g.charges[g.size] = {keys.key, {o.failures_per_key, o.window}};
    g.kinds[g.size++] = Kind::kFailedAuthKey;
  }
  return g;
}

}  // namespace

TenantLimits::TenantLimits(TenantLimitsOptions options, InProcessLimiter& local,
                           RedisLimiter* shared)
    : options_(std::move(options)), local_(local), shared_(shared) {
  const config::Plan* free = options_.plans.Find("free");
  fallback_ = free ? *free : config::Plan{"free"};
}

std::optional<FailedAuthKeys> TenantLimits::PresentedCredentials(const http::Request& req) {
  const auto app_key = req.headers.Get("X-App-Key");
  const auto authorization = req.headers.Get("Authorization");
  if (!app_key && !authorization && !req.headers.Get("X-App-Secret") &&
      !req.headers.Get("X-App-Signature")) {
    return std::nullopt;
  }
  FailedAuthKeys keys;
  if (!req.remote_ip.empty()) keys.ip = "fa:ip:" + req.remote_ip;
  // The same precedence as the resolution: app credentials before API keys.
  if (app_key) {
    keys.key = "fa:key:" + std::string(app_key->substr(0, kMaxAppKeyChars));
  } else if (authorization) {
    std::string_view token = *authorization;
    if (token.size() > 7) token.remove_prefix(7);  // "Bearer "
    keys.key = "fa:key:" + std::string(token.substr(0, kApiKeyPrefixChars));
  }
  return keys;
}

FailedAuthKeys TenantLimits::AddressOnly(std::string_view ip) {
  return FailedAuthKeys{"fa:ip:" + std::string(ip), ""};
}

template <typename T>
bool TenantLimits::FallsBack(base::Result<T>& v) const {
  if (v || v.error().code != base::ErrorCode::kUnavailable) return false;
  local_fallbacks_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.fail_closed) return true;
  v = base::MakeError(base::ErrorCode::kUnavailable, "rate_limiter_unavailable",
                      "Rate limits cannot be checked right now; retry shortly.",
                      v.error().log_detail);
  return false;
}

awaitable<base::Result<Verdict>> TenantLimits::CheckFailedAuth(
    const FailedAuthKeys& keys, std::chrono::steady_clock::time_point now) {
  const Gates gates = GatesOf(keys, options_);
  const std::span<const Charge> used = gates.used();
  base::Result<Verdict> v = Verdict{};
  if (used.empty()) co_return v;
  if (shared_ && shared_->available()) {
    v = Tripped(used, now);  // no round trip: see the class comment
  } else {
    bool local = true;
    if (shared_) {
      v = co_await shared_->Peek(used);
      local = FallsBack(v);
    }
    if (local) v = local_.Peek(used, Ns(now));
  }
  if (v && !v->decision.allowed) Refused(gates.kinds[v->refused_by]);
  co_return v;
}

awaitable<void> TenantLimits::CountFailedAuth(const FailedAuthKeys& keys,
                                              std::chrono::steady_clock::time_point now) {
  const Gates gates = GatesOf(keys, options_);
  const std::span<const Charge> used = gates.used();
  if (used.empty()) co_return;
  if (shared_) {
    base::Result<std::vector<Decision>> next = co_await shared_->Count(used);
    if (next) {
      for (std::size_t i = 0; i < next->size() && i < used.size(); ++i) {
        RememberTripped(used[i].key, (*next)[i], now);
      }
    }
    // Nothing to report if it fails: the refusal stands either way.
    if (!FallsBack(next)) co_return;
  }
  local_.Count(used, Ns(now));
}

awaitable<Decision> TenantLimits::FailedAuthBudget(
    std::string_view ip, std::chrono::steady_clock::time_point now) const {
  if (ip.empty()) co_return Decision{};  // nothing is counted without an address
  const std::string key = "fa:ip:" + std::string(ip);
  const Charge charge{key, {options_.failures_per_ip, options_.window}};
  const std::span<const Charge> used(&charge, 1);
  if (shared_) {
    base::Result<Verdict> v = co_await shared_->Peek(used);
    // Only for headers: when Redis fails, this process's view will do.
    if (v) co_return v->decision;
    FallsBack(v);
  }
  co_return local_.Peek(used, Ns(now)).decision;
}

awaitable<base::Result<Admission>> TenantLimits::Admit(std::string_view plan_name,
                                                       std::string_view tenant_id,
                                                       std::string_view credential,
                                                       const http::Request& req,
                                                       const FailedAuthKeys* presented,
                                                       std::chrono::steady_clock::time_point now) {
  const config::Plan& plan = PlanOf(plan_name);
  const std::string tenant_key = "t:" + std::string(tenant_id);
  const std::string credential_key = "c:" + std::string(credential);
  const std::string auth_route_key = "ta:" + std::string(tenant_id);
  // Gates first (Redis only): the failed-authentication counts, checked
  // again in the same round trip.
  const Gates g = presented ? GatesOf(*presented, options_) : Gates{};
  const std::size_t gates = g.size;
  const Charge charges[] = {{tenant_key, {plan.requests_per_minute, options_.window}},
                            {credential_key, {plan.CredentialLimit(), options_.window}},
                            {auth_route_key, {plan.auth_requests_per_minute, options_.window}}};
  const std::span<const Charge> tenant_charges(charges, IsAuthRoute(req) ? 3 : 2);

  Admission out;
  if (shared_) {
    // Gate keys sit right before the tenant charges: skip the unused ones.
    std::array<Charge, 5> gated{};
    std::size_t n = 0;
    for (const Charge& c : g.used()) gated[n++] = c;
    for (const Charge& c : tenant_charges) gated[n++] = c;
    base::Result<Verdict> v = co_await shared_->Acquire(std::span(gated.data(), n), gates);
    if (!FallsBack(v)) {
      if (!v) co_return v.error();
      out.verdict = *v;
      if (!v->decision.allowed && v->refused_by < gates) {
        out.throttled = true;
        RememberTripped(gated[v->refused_by].key, v->decision, now);
        Refused(g.kinds[v->refused_by]);
        co_return out;
      }
      out.verdict.refused_by -= std::min(out.verdict.refused_by, gates);
      CountRefusal(out.verdict);
      co_return out;
    }
  }
  out.verdict = local_.Acquire(tenant_charges, Ns(now));
  CountRefusal(out.verdict);
  co_return out;
}

awaitable<base::Result<Decision>> TenantLimits::AdmitPublicFile(
    std::string_view ip, uint64_t per_hour, std::chrono::steady_clock::time_point now) {
  const std::string key = "pf:ip:" + std::string(ip);
  const Charge charge{key, {per_hour, std::chrono::hours(1)}};
  const std::span<const Charge> used(&charge, 1);
  base::Result<Verdict> v = Verdict{};
  bool local = true;
  if (shared_) {
    v = co_await shared_->Acquire(used);
    local = FallsBack(v);
  }
  if (local) v = local_.Acquire(used, Ns(now));
  if (!v) co_return v.error();
  if (!v->decision.allowed) Refused(Kind::kPublicFileIp);
  co_return v->decision;
}

void TenantLimits::CountRefusal(const Verdict& v) {
  if (v.decision.allowed) return;
  Refused(v.refused_by == 0   ? Kind::kPlan
          : v.refused_by == 1 ? Kind::kCredential
                              : Kind::kAuthRoute);
}

Verdict TenantLimits::Tripped(std::span<const Charge> charges,
                              std::chrono::steady_clock::time_point now) const {
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

void TenantLimits::RememberTripped(std::string_view key, const Decision& next,
                                   std::chrono::steady_clock::time_point now) {
  if (next.allowed || key.empty()) return;
  std::lock_guard lock(tripped_mu_);
  auto& entry = tripped_[std::string(key)];
  entry = {now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(next.retry_after),
           next};
}

bool TenantLimits::IsAuthRoute(const http::Request& req) {
  const std::string_view path = req.Path();
  if (path == "/v1/session") return req.method == "POST";
  if (path.starts_with("/v1/api-keys")) return req.method != "GET" && req.method != "HEAD";
  if (path.starts_with("/v1/sessions")) return req.method == "DELETE";
  return false;
}

std::size_t TenantLimits::Purge(std::chrono::steady_clock::time_point now) {
  {
    std::lock_guard lock(tripped_mu_);
    std::erase_if(tripped_, [now](const auto& entry) { return entry.second.first <= now; });
  }
  return local_.PurgeExpired(Ns(now));
}

void TenantLimits::Render(std::string& out) const {
  out +=
      "# HELP tenantd_rate_limited_total Requests answered 429 by the limit that refused them.\n";
  out += "# TYPE tenantd_rate_limited_total counter\n";
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    out += "tenantd_rate_limited_total{kind=\"";
    out += kKindNames[i];
    out += "\"} ";
    out += std::to_string(refused_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
  out +=
      "# HELP tenantd_rate_limit_local_fallbacks_total Rate-limit checks that Redis could not "
      "answer.\n";
  out += "# TYPE tenantd_rate_limit_local_fallbacks_total counter\n";
  out += "tenantd_rate_limit_local_fallbacks_total " +
         std::to_string(local_fallbacks_.load(std::memory_order_relaxed)) + "\n";
}

const config::Plan& TenantLimits::PlanOf(std::string_view name) const {
  const config::Plan* plan = options_.plans.Find(name);
  return plan ? *plan : fallback_;
}

void TenantLimits::Refused(Kind kind) {
  refused_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
}

void AddRateLimitHeaders(const Decision& d, http::Headers& headers) {
  const std::string limit = std::to_string(d.limit);
  const std::string remaining = std::to_string(d.remaining);
  const std::string reset = std::to_string(CeilSeconds(d.reset));
  headers.Add("RateLimit-Limit", limit);
  headers.Add("RateLimit-Remaining", remaining);
  headers.Add("RateLimit-Reset", reset);
  headers.Add("X-RateLimit-Limit", limit);
  headers.Add("X-RateLimit-Remaining", remaining);
  headers.Add("X-RateLimit-Reset", reset);
  if (!d.allowed) {
    headers.Add("Retry-After", std::to_string(std::max<uint64_t>(1, CeilSeconds(d.retry_after))));
  }
}

http::RateLimitFacts FactsOf(const Decision& d) {
  return {d.limit, d.remaining, CeilSeconds(d.reset)};
}

void AddRateLimitHeaders(const http::RateLimitFacts& facts, http::Headers& headers) {
  Decision d;
  d.limit = facts.limit;
  d.remaining = facts.remaining;
  d.reset = std::chrono::seconds(facts.reset_seconds);
  AddRateLimitHeaders(d, headers);
}

http::Response RateLimitedResponse(const Decision& d, std::string_view detail,
                                   std::string_view request_id) {
  http::Response res = http::ProblemResponse(429, "rate_limited", detail, request_id);
  AddRateLimitHeaders(d, res.headers);
  return res;
}

}  // namespace tenantd::ratelimit
