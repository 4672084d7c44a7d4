// The authentication stage of every /v1/ route (api.md §4): resolves the
// request to exactly one tenant and proves it, or answers 401/403. Fills
// ctx.auth; binds, starts, slides or rotates the session and sends its
// cookie. The order of checks, and which failures win, follow §4 exactly.
// It also applies the rate limits of §7, because two of them hinge on
// authentication: failed-authentication throttling answers 429 before any
// secret is checked, and the plan and credential limits need the tenant
// and credential just proven. Every answer of a route behind this stage
// carries the RateLimit-* headers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "http/stage.h"

namespace tenantd::control {
struct Tenant;
}
namespace tenantd::session {
class SessionStore;
class SessionCookies;
}  // namespace tenantd::session
namespace tenantd::ratelimit {
class TenantLimits;
struct FailedAuthKeys;
}  // namespace tenantd::ratelimit

namespace tenantd::auth {

class Directory;
class ReplayCache;

struct TenantAuthOptions {
  std::string base_domain;  // "" = subdomains identify nothing
  bool dev_mode = false;    // ?tenant=<slug> identifies
  std::chrono::milliseconds session_ttl{7200000};
  bool force_secure_cookies = false;
  std::chrono::seconds signature_skew{300};
  // Signed dates, replays, session expiry, rate limits (base/clock.h).
  const base::Clock* clock = &base::ServerClock();
};

// Counts refused authentications by problem code, for /metrics.
class AuthFailureCounters {
 public:
  static constexpr std::array<const char*, 11> kReasons = {
      "missing_credentials",   "invalid_credentials", "invalid_signature", "request_expired",
      "content_hash_mismatch", "replayed_request",    "key_revoked",       "key_expired",
      "tenant_suspended",      "tenant_mismatch",     "insufficient_scope"};
  void Count(std::string_view reason);
  // Prometheus family tenantd_auth_failures_total{reason="…"}.
  void Render(std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kReasons.size()> counts_{};
};

class TenantAuth : public http::Stage {
 public:
  // Everything passed must outlive the stage.
  // `limits` may be null: no rate limits (and no RateLimit-* headers).
  TenantAuth(TenantAuthOptions options, Directory& directory, session::SessionStore& sessions,
             const session::SessionCookies& cookies, ReplayCache& replays,
             AuthFailureCounters& failures, ratelimit::TenantLimits* limits = nullptr);

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void OnResponse(const http::RequestContext& ctx, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;  // auth_doc.cpp

  // POST /v1/session: makes sure a request authenticated by credentials has
  // a fresh session (replacing one it came with); a cookie-only request
  // keeps its own.
  boost::asio::awaitable<base::Status> StartSession(const http::Request& req,
                                                    http::RequestContext& ctx) const;
  // Destroys the request's session and arranges for its cookie to be cleared.
  boost::asio::awaitable<base::Status> EndSession(const http::Request& req,
                                                  http::RequestContext& ctx) const;

  bool SecureCookies(const http::Request& req) const {
    return options_.force_secure_cookies || req.is_tls;
  }

 private:
  // §4: who the request is for, or the refusal; then the tenant limits of
  // §7. `presented`: the request's failed-authentication keys, if any.
  boost::asio::awaitable<std::optional<http::Response>> Authenticate(
      http::Request& req, http::RequestContext& ctx,
      const ratelimit::FailedAuthKeys* presented) const;
  // Starts a session for ctx.auth (destroying `previous_hash`'s), sets the cookie.
  boost::asio::awaitable<base::Status> BindSession(
      const http::Request& req, http::RequestContext& ctx,
      const std::optional<std::string>& previous_hash) const;

  TenantAuthOptions options_;
  Directory& directory_;
  session::SessionStore& sessions_;
  const session::SessionCookies& cookies_;
  ReplayCache& replays_;
  AuthFailureCounters& failures_;
  ratelimit::TenantLimits* limits_;
};

// A stage that answers 403 insufficient_scope unless ctx.auth holds `scope`.
class RequireScope : public http::Stage {
 public:
  RequireScope(std::string scope, AuthFailureCounters& failures)
      : scope_(std::move(scope)), failures_(failures) {}
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void Describe(http::RouteDoc& doc) const override;  // auth_doc.cpp

 private:
  std::string scope_;
  AuthFailureCounters& failures_;
};

}  // namespace tenantd::auth
