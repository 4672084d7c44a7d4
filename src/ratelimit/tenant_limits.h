// The rate limits of tenant requests (api.md §7, docs/api.md "Rate
// limits"): which keys a request is counted against, with which policy,
// and how the answer reports it. The access stage (access/tenant_access.h)
// calls it at the points §7 names. The counts live in a RateLimiter: this
// process's, or Redis's shared by every node (ratelimit/rate_limiter.h).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "config/plans.h"
#include "ratelimit/rate_limiter.h"

namespace tenantd::http {
struct Request;
struct Response;
struct RateLimitFacts;
class Headers;
}  // namespace tenantd::http

namespace tenantd::ratelimit {

struct TenantLimitsOptions {
  config::Plans plans = config::Plans::Defaults();
  std::chrono::milliseconds window{60000};
  uint64_t failures_per_ip = 10;
  uint64_t failures_per_key = 100;
  uint64_t signin_failures_per_email = 10;
  // Requests a window one client IP may make to the user routes that need
  // no session (sign-up, sign-in, recover, reset, verify, accept).
  uint64_t user_auth_requests_per_ip = 60;
};

// Which limit refused a request, for /metrics.
enum class Kind {
  kPlan,
  kCredential,
  kAuthRoute,
  kFailedAuthIp,
  kFailedAuthKey,
  kPublicFileIp,
  kUserAuthIp
};

// What a request is counted against, derived once from the request.
struct FailedAuthKeys {
  std::string ip;          // "fa:ip:<client ip>", "" when the request has no address
  std::string key;         // "fa:key:<app key or API key prefix>", "" when none was presented
  uint64_t key_limit = 0;  // failures a window under `key`; 0 = failures_per_key
};

// The answer of Admit.
struct Admission {
  Verdict verdict;
  // Refused by a failed-authentication count (with Redis, a count that
  // another process reached after this one last looked), not a tenant limit.
  bool throttled = false;
};

// Thread-safe; built once at start-up and shared. The checks are
// coroutines, for the event loop (a limiter in Redis answers without
// blocking it). Arguments passed by reference must outlive the call
// (co_await it at once). Their errors are the limiter's.
class TenantLimits {
 public:
  // `limiter` must outlive this object.
  TenantLimits(TenantLimitsOptions options, RateLimiter& limiter);

  // The failed-authentication keys of a request from `ip` ("" = no
  // address: a request built from a verify call) presenting credentials
  // under `key` (auth::PresentedKey; "" = a secret without its key).
  static FailedAuthKeys ForCredentials(std::string_view ip, std::string_view key);
  // The keys of a failure that names no key (a wrong admin token): the
  // client address's count only.
  static FailedAuthKeys AddressOnly(std::string_view ip);
  // The keys of a sign-in (api.md §11): its client IP and the email tried,
  // which has its own, lower, limit (signin_failures_per_email).
  FailedAuthKeys ForSignIn(std::string_view ip, std::string_view email) const;

  // Before any secret is checked: refused once either count is reached.
  boost::asio::awaitable<base::Result<Verdict>> CheckFailedAuth(
      const FailedAuthKeys& keys, std::chrono::steady_clock::time_point now);
  // After verification failed: counts one failure against both keys.
  boost::asio::awaitable<void> CountFailedAuth(const FailedAuthKeys& keys,
                                               std::chrono::steady_clock::time_point now);
  // The client IP's failed-authentication budget, for the headers of an
  // answer given before any tenant limit applied (a full one when the
  // limiter cannot say). Counts nothing.
  boost::asio::awaitable<Decision> FailedAuthBudget(
      std::string_view ip, std::chrono::steady_clock::time_point now) const;

  // An authenticated request: counted against its tenant's plan, its
  // credential ("api_key:<key id>" or "app:<tenant id>") and, on the auth
  // route group, the plan's stricter auth limit; all or nothing. A tenant
  // whose plan is not configured (any more) gets the `free` plan's limits.
  // `presented`: the request's failed-authentication keys, if any.
  boost::asio::awaitable<base::Result<Admission>> Admit(std::string_view plan,
                                                        std::string_view tenant_id,
                                                        std::string_view credential,
                                                        const http::Request& req,
                                                        const FailedAuthKeys* presented,
                                                        std::chrono::steady_clock::time_point now);

  // A public file download (api.md §14, no credentials): counted against
  // its client IP, `per_hour` (>= 1) requests an hour.
  boost::asio::awaitable<base::Result<Decision>> AdmitPublicFile(
      std::string_view ip, uint64_t per_hour, std::chrono::steady_clock::time_point now);

  // A request to a user route that needs no session (api.md §11: sign-up,
  // sign-in, …), counted against its client IP, user_auth_requests_per_ip
  // a window. An empty IP is not counted.
  boost::asio::awaitable<base::Result<Decision>> AdmitUserAuth(
      std::string_view ip, std::chrono::steady_clock::time_point now);

  // Signing in (POST /v1/session) and managing API keys and sessions.
  static bool IsAuthRoute(const http::Request& req);

  // Drops state that no longer limits anything (call periodically).
  std::size_t Purge(std::chrono::steady_clock::time_point now);

  // Prometheus families tenantd_rate_limited_total{kind="…"} and
  // tenantd_rate_limit_local_fallbacks_total (RateLimiter::local_fallbacks).
  void Render(std::string& out) const;

 private:
  const config::Plan& PlanOf(std::string_view name) const;
  void Refused(Kind kind);
  // Counts a refusal of the tenant charges (plan, credential, auth route).
  void CountRefusal(const Verdict& v);

  TenantLimitsOptions options_;
  config::Plan fallback_;
  RateLimiter& limiter_;
  std::array<std::atomic<uint64_t>, 7> refused_{};
};

// RateLimit-Limit/-Remaining/-Reset and their X-RateLimit-* twins, plus
// Retry-After when the decision refused (seconds, rounded up, at least 1).
void AddRateLimitHeaders(const Decision& d, http::Headers& headers);
// The budget an answer reports (RequestContext::rate_limit), and its headers.
http::RateLimitFacts FactsOf(const Decision& d);
void AddRateLimitHeaders(const http::RateLimitFacts& facts, http::Headers& headers);
// 429 rate_limited saying `detail`, with the headers of `d`.
http::Response RateLimitedResponse(const Decision& d, std::string_view detail,
                                   std::string_view request_id);

}  // namespace tenantd::ratelimit
