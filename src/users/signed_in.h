// The stage of the /auth/v1/ routes that act for a signed-in user (api.md
// §11): the request's sid cookie must name a live user session whose user
// is active and has not changed their password since it started. Unlike a
// tenant route it does not need the user to still belong to the session's
// tenant: a user removed from it can still switch to another. Slides the
// session like any cookie request and fills ctx.auth (mode "user", the
// user, the session's tenant and the session itself).
#pragma once

#include "base/clock.h"
#include "control/people.h"
#include "http/stage.h"

namespace tenantd::session {
class SessionBinder;
class SessionCookies;
class SessionStore;
}  // namespace tenantd::session

namespace tenantd::users {

class SignedIn : public http::Stage {
 public:
  // Everything passed must outlive the stage.
  SignedIn(control::People& people, session::SessionStore& sessions,
           const session::SessionCookies& cookies, const session::SessionBinder& binder,
           const base::Clock& clock)
      : people_(people), sessions_(sessions), cookies_(cookies), binder_(binder), clock_(clock) {}

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void OnResponse(const http::RequestContext& ctx, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;

 private:
  control::People& people_;
  session::SessionStore& sessions_;
  const session::SessionCookies& cookies_;
  const session::SessionBinder& binder_;
  const base::Clock& clock_;
};

// The store hash of the request's sid cookie when it is correctly signed.
std::optional<std::string> CookieHash(const http::Request& req,
                                      const session::SessionCookies& cookies);

}  // namespace tenantd::users
