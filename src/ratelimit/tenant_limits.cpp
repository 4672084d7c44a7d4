#include "ratelimit/tenant_limits.h"

#include <algorithm>

#include "http/message.h"
#include "ratelimit/redis_limiter.h"

namespace tenantd::ratelimit {
namespace {

constexpr std::array<const char*, 5> kKindNames = {"plan", "credential", "auth_route",
                                                   "failed_auth_ip", "failed_auth_key"};
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
  keys.ip = "fa:ip:" + req.remote_ip;
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

template <typename Shared, typename Local>
base::Result<Verdict> TenantLimits::Either(Shared&& shared, Local&& local) const {
  if (shared_) {
    base::Result<Verdict> v = shared();
    if (v || v.error().code != base::ErrorCode::kUnavailable) return v;
    local_fallbacks_.fetch_add(1, std::memory_order_relaxed);
    if (options_.fail_closed) {
      return base::MakeError(base::ErrorCode::kUnavailable, "rate_limiter_unavailable",
                             "Rate limits cannot be checked right now; retry shortly.",
                             v.error().log_detail);
    }
  }
  return local();
}

base::Result<Verdict> TenantLimits::CheckFailedAuth(const FailedAuthKeys& keys,
                                                    std::chrono::steady_clock::time_point now) {
  const Charge charges[] = {{keys.ip, {options_.failures_per_ip, options_.window}},
                            {keys.key, {options_.failures_per_key, options_.window}}};
  const std::span<const Charge> used(charges, keys.key.empty() ? 1 : 2);
  TENANTD_TRY(const Verdict v,
              Either([&] { return shared_->Peek(used); },
                     [&] { return base::Result<Verdict>(local_.Peek(used, Ns(now))); }));
  if (!v.decision.allowed) Refused(v.refused_by == 0 ? Kind::kFailedAuthIp : Kind::kFailedAuthKey);
  return v;
}

void TenantLimits::CountFailedAuth(const FailedAuthKeys& keys,
                                   std::chrono::steady_clock::time_point now) {
  const Charge charges[] = {{keys.ip, {options_.failures_per_ip, options_.window}},
                            {keys.key, {options_.failures_per_key, options_.window}}};
  const std::span<const Charge> used(charges, keys.key.empty() ? 1 : 2);
  // Nothing to report if it fails: the refusal stands either way.
  (void)Either(
      [&]() -> base::Result<Verdict> {
        TENANTD_RETURN_IF_ERROR(shared_->Count(used));
        return Verdict{};
      },
      [&] {
        local_.Count(used, Ns(now));
        return base::Result<Verdict>(Verdict{});
      });
}

Decision TenantLimits::FailedAuthBudget(std::string_view ip,
                                        std::chrono::steady_clock::time_point now) const {
  const std::string key = "fa:ip:" + std::string(ip);
  const Charge charge{key, {options_.failures_per_ip, options_.window}};
  const std::span<const Charge> used(&charge, 1);
  // Only for headers: when Redis fails, this process's view will do.
  auto v = Either([&] { return shared_->Peek(used); },
                  [&] { return base::Result<Verdict>(local_.Peek(used, Ns(now))); });
  return v ? v->decision : local_.Peek(used, Ns(now)).decision;
}

base::Result<Verdict> TenantLimits::Admit(std::string_view plan_name, std::string_view tenant_id,
                                          std::string_view credential, const http::Request& req,
                                          std::chrono::steady_clock::time_point now) {
  const config::Plan& plan = PlanOf(plan_name);
  const std::string tenant_key = "t:" + std::string(tenant_id);
  const std::string credential_key = "c:" + std::string(credential);
  const std::string auth_route_key = "ta:" + std::string(tenant_id);
  const Charge charges[] = {{tenant_key, {plan.requests_per_minute, options_.window}},
                            {credential_key, {plan.CredentialLimit(), options_.window}},
                            {auth_route_key, {plan.auth_requests_per_minute, options_.window}}};
  const std::span<const Charge> used(charges, IsAuthRoute(req) ? 3 : 2);
  TENANTD_TRY(const Verdict v,
              Either([&] { return shared_->Acquire(used); },
                     [&] { return base::Result<Verdict>(local_.Acquire(used, Ns(now))); }));
  if (!v.decision.allowed) {
    Refused(v.refused_by == 0   ? Kind::kPlan
            : v.refused_by == 1 ? Kind::kCredential
                                : Kind::kAuthRoute);
  }
  return v;
}

bool TenantLimits::IsAuthRoute(const http::Request& req) {
  const std::string_view path = req.Path();
  if (path == "/v1/session") return req.method == "POST";
  if (path.starts_with("/v1/api-keys")) return req.method != "GET" && req.method != "HEAD";
  if (path.starts_with("/v1/sessions")) return req.method == "DELETE";
  return false;
}

std::size_t TenantLimits::Purge(std::chrono::steady_clock::time_point now) {
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

}  // namespace tenantd::ratelimit
