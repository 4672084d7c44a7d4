// Binding a tenant request to its session (api.md §4 "Sessions"), the last
// step of the access stage and the work of POST/DELETE /v1/session: a
// cookie-only request slides its session; credentials keep a session of
// the same tenant and mode, rotate one of another, and (app credentials
// only) start one when there is none. Fills ctx.auth's session fields and
// the Set-Cookie the answer carries.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "http/stage.h"
#include "session/session_store.h"

namespace tenantd::session {

class SessionCookies;

struct SessionBinderOptions {
  std::chrono::milliseconds session_ttl{7200000};  // sessions of app credentials and API keys
  std::chrono::milliseconds user_session_ttl{2592000000};  // a signed-in user's (30 days)
  bool force_secure_cookies = false;
  const base::Clock* clock = &base::ServerClock();
};

// Thread-safe; built once at start-up and shared.
class SessionBinder {
 public:
  // Both must outlive the binder.
  SessionBinder(SessionBinderOptions options, SessionStore& sessions,
                const SessionCookies& cookies);

  // After authentication filled ctx.auth: `live` is the live session the
  // request's cookie named, if any. Without a reachable session store a
  // request proven by credentials is served all the same, without a
  // session; one proven by its session cannot slide it and fails.
  boost::asio::awaitable<base::Status> Bind(const http::Request& req, http::RequestContext& ctx,
                                            const std::optional<SessionRecord>& live) const;
  // POST /v1/session: makes sure a request authenticated by credentials has
  // a fresh session (replacing one it came with); a cookie-only request
  // keeps its own.
  boost::asio::awaitable<base::Status> Start(const http::Request& req,
                                             http::RequestContext& ctx) const;
  // Signing a user in (api.md §11): a new user session for ctx.auth's
  // user_id and tenant_id (mode "user"), replacing the session with hash
  // `previous_hash` if any (a fresh id on every sign-in and switch: no
  // session fixation). Sets the cookie.
  boost::asio::awaitable<base::Status> StartForUser(
      const http::Request& req, http::RequestContext& ctx,
      const std::optional<std::string>& previous_hash) const;
  // Destroys the request's session and arranges for its cookie to be cleared.
  boost::asio::awaitable<base::Status> End(const http::Request& req,
                                           http::RequestContext& ctx) const;
  // The request's session was revoked by other means: forget it and clear
  // its cookie.
  void Forget(const http::Request& req, http::RequestContext& ctx) const;

  // A Set-Cookie value that sets `cookie_value` for a user session's
  // lifetime, as StartForUser would.
  std::string UserCookie(const http::Request& req, std::string_view cookie_value) const;

  // Adds the Set-Cookie that ctx.auth holds, if any, to `res`.
  static void AddCookie(const http::RequestContext& ctx, http::Response& res);

 private:
  bool SecureCookies(const http::Request& req) const {
    return options_.force_secure_cookies || req.is_tls;
  }
  std::chrono::milliseconds TtlFor(const std::string& user_id) const {
    return user_id.empty() ? options_.session_ttl : options_.user_session_ttl;
  }
  // Starts a session for ctx.auth (destroying `previous_hash`'s), sets the cookie.
  boost::asio::awaitable<base::Status> Mint(const http::Request& req, http::RequestContext& ctx,
                                            const std::optional<std::string>& previous_hash) const;

  SessionBinderOptions options_;
  SessionStore& sessions_;
  const SessionCookies& cookies_;
};

}  // namespace tenantd::session
