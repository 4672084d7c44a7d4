#include "ratelimit/tenant_limits.h"

#include <algorithm>

#include "http/message.h"
#include "http/problem.h"
#include "http/stage.h"

namespace tenantd::ratelimit {
namespace {

using boost::asio::awaitable;

constexpr std::array<const char*, 7> kKindNames = {
    "plan",           "credential",  "auth_route", "failed_auth_ip", "failed_auth_key",
    "public_file_ip", "user_auth_ip"};

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
    g.charges[g.size] = {keys.key,
                         {keys.key_limit ? keys.key_limit : o.failures_per_key, o.window}};
    g.kinds[g.size++] = Kind::kFailedAuthKey;
  }
  return g;
}

}  // namespace

TenantLimits::TenantLimits(TenantLimitsOptions options, RateLimiter& limiter)
    : options_(std::move(options)), limiter_(limiter) {
  const config::Plan* free = options_.plans.Find("free");
  fallback_ = free ? *free : config::Plan{"free"};
}

FailedAuthKeys TenantLimits::ForCredentials(std::string_view ip, std::string_view key) {
  FailedAuthKeys keys;
  if (!ip.empty()) keys.ip = "fa:ip:" + std::string(ip);
  if (!key.empty()) keys.key = "fa:key:" + std::string(key);
  return keys;
}

FailedAuthKeys TenantLimits::AddressOnly(std::string_view ip) {
  FailedAuthKeys keys;
  keys.ip = "fa:ip:" + std::string(ip);
  return keys;
}

FailedAuthKeys TenantLimits::ForSignIn(std::string_view ip, std::string_view email) const {
  FailedAuthKeys keys;
  if (!ip.empty()) keys.ip = "fa:ip:" + std::string(ip);
  keys.key = "fa:email:" + std::string(email);
  keys.key_limit = options_.signin_failures_per_email;
  return keys;
}

awaitable<base::Result<Verdict>> TenantLimits::CheckFailedAuth(
    const FailedAuthKeys& keys, std::chrono::steady_clock::time_point now) {
  const Gates gates = GatesOf(keys, options_);
  const std::span<const Charge> used = gates.used();
  if (used.empty()) co_return Verdict{};
  base::Result<Verdict> v = co_await limiter_.Gate(used, now);
  if (v && !v->decision.allowed) Refused(gates.kinds[v->refused_by]);
  co_return v;
}

awaitable<void> TenantLimits::CountFailedAuth(const FailedAuthKeys& keys,
                                              std::chrono::steady_clock::time_point now) {
  const Gates gates = GatesOf(keys, options_);
  if (gates.size > 0) co_await limiter_.Count(gates.used(), now);
}

awaitable<Decision> TenantLimits::FailedAuthBudget(
    std::string_view ip, std::chrono::steady_clock::time_point now) const {
  if (ip.empty()) co_return Decision{};  // nothing is counted without an address
  const std::string key = "fa:ip:" + std::string(ip);
  const Charge charge{key, {options_.failures_per_ip, options_.window}};
  const base::Result<Verdict> v = co_await limiter_.Peek(std::span(&charge, 1), now);
  if (v) co_return v->decision;
  // Only for headers: a limiter that cannot say reports the full budget.
  co_return Decision{true, options_.failures_per_ip, options_.failures_per_ip, Nanos(0), Nanos(0)};
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
  // The failed-authentication counts first, checked again (never counted)
  // in the same call that counts the request: with Redis, a count another
  // node reached since the gate still refuses.
  const Gates g = presented ? GatesOf(*presented, options_) : Gates{};
  std::array<Charge, 5> charges{};
  std::size_t n = 0;
  for (const Charge& c : g.used()) charges[n++] = c;
  charges[n++] = {tenant_key, {plan.requests_per_minute, options_.window}};
  charges[n++] = {credential_key, {plan.CredentialLimit(), options_.window}};
  if (IsAuthRoute(req))
    charges[n++] = {auth_route_key, {plan.auth_requests_per_minute, options_.window}};

  TENANTD_CO_TRY(Verdict v, co_await limiter_.Acquire(std::span(charges.data(), n), g.size, now));
  Admission out;
  out.verdict = v;
  if (!v.decision.allowed && v.refused_by < g.size) {
    out.throttled = true;
    Refused(g.kinds[v.refused_by]);
    co_return out;
  }
  out.verdict.refused_by -= std::min(out.verdict.refused_by, g.size);
  CountRefusal(out.verdict);
  co_return out;
}

awaitable<base::Result<Decision>> TenantLimits::AdmitPublicFile(
    std::string_view ip, uint64_t per_hour, std::chrono::steady_clock::time_point now) {
  const std::string key = "pf:ip:" + std::string(ip);
  const Charge charge{key, {per_hour, std::chrono::hours(1)}};
  TENANTD_CO_TRY(Verdict v, co_await limiter_.Acquire(std::span(&charge, 1), 0, now));
  if (!v.decision.allowed) Refused(Kind::kPublicFileIp);
  co_return v.decision;
}

awaitable<base::Result<Decision>> TenantLimits::AdmitUserAuth(
    std::string_view ip, std::chrono::steady_clock::time_point now) {
  if (ip.empty()) co_return Decision{};
  const std::string key = "ua:ip:" + std::string(ip);
  const Charge charge{key, {options_.user_auth_requests_per_ip, options_.window}};
  TENANTD_CO_TRY(Verdict v, co_await limiter_.Acquire(std::span(&charge, 1), 0, now));
  if (!v.decision.allowed) Refused(Kind::kUserAuthIp);
  co_return v.decision;
}

void TenantLimits::CountRefusal(const Verdict& v) {
  if (v.decision.allowed) return;
  Refused(v.refused_by == 0   ? Kind::kPlan
          : v.refused_by == 1 ? Kind::kCredential
                              : Kind::kAuthRoute);
}

bool TenantLimits::IsAuthRoute(const http::Request& req) {
  const std::string_view path = req.Path();
  if (path == "/v1/session") return req.method == "POST";
  if (path.starts_with("/v1/api-keys")) return req.method != "GET" && req.method != "HEAD";
  if (path.starts_with("/v1/sessions")) return req.method == "DELETE";
  return false;
}

std::size_t TenantLimits::Purge(std::chrono::steady_clock::time_point now) {
  return limiter_.Purge(now);
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
  out += "tenantd_rate_limit_local_fallbacks_total " + std::to_string(limiter_.local_fallbacks()) +
         "\n";
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
