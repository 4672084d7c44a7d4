// The access stage of every tenant route (api.md §4 and §7): who a request
// is for, and whether it may run now, as one straight line —
//
//   failed-authentication gate  (ratelimit: 429 before any secret is looked at)
//   → authenticate              (auth: the identity, or 401/403)
//   → admit                     (ratelimit: the plan, credential and route-group limits)
//   → bind the session          (session: slide, keep, rotate or start)
//
// Each step belongs to its own module and knows nothing of the others;
// only this stage calls them, in this order. It fills the request context
// (ctx.auth, ctx.tenant, ctx.rate_limit), which is all handlers read about
// who the request is for, and every answer behind it carries the
// RateLimit-* headers of the step that counted it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string_view>

#include "base/clock.h"
#include "http/stage.h"

namespace tenantd::auth {
class Authenticator;
class AuthFailureCounters;
}  // namespace tenantd::auth
namespace tenantd::ratelimit {
class TenantLimits;
}
namespace tenantd::session {
class SessionBinder;
}

namespace tenantd::access {

class TenantAccess : public http::Stage {
 public:
  // Everything passed must outlive the stage. `limits` may be null: no rate
  // limits (and no RateLimit-* headers).
  TenantAccess(const auth::Authenticator& authenticator, const session::SessionBinder& sessions,
               auth::AuthFailureCounters& failures, ratelimit::TenantLimits* limits,
               const base::Clock& clock = base::ServerClock());

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  // RateLimit-* and, when a session was started or slid, Set-Cookie.
  void OnResponse(const http::RequestContext& ctx, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;

  // The admission step alone, for a request proven by other means (a
  // presigned file link): counted against `tenant`'s plan and against
  // `credential` (e.g. "link:<file id>") like any other request of it.
  // Fills ctx.rate_limit; a 429 (or a limiter's 503) when refused.
  boost::asio::awaitable<std::optional<http::Response>> Admit(const http::Request& req,
                                                              http::RequestContext& ctx,
                                                              const control::Tenant& tenant,
                                                              std::string_view credential) const;

  const session::SessionBinder& sessions() const { return sessions_; }

 private:
  // Authenticate, admit and bind. `gate`: the request's failed-
  // authentication keys when it presents credentials, else null.
  struct Gate;
  boost::asio::awaitable<std::optional<http::Response>> Run(http::Request& req,
                                                            http::RequestContext& ctx,
                                                            const Gate* gate) const;

  const auth::Authenticator& authenticator_;
  const session::SessionBinder& sessions_;
  auth::AuthFailureCounters& failures_;
  ratelimit::TenantLimits* limits_;
  const base::Clock& clock_;
};

}  // namespace tenantd::access
