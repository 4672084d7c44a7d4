// /v1/session and /v1/sessions (api.md §4 "Sessions").
#pragma once

#include "base/clock.h"
#include "http/stage.h"
#include "session/session_binder.h"
#include "session/session_store.h"

namespace tenantd::tenant_api {

struct SessionHandlers {
  const session::SessionBinder& binder;
  session::SessionStore& sessions;
  const base::Clock& clock;  // which sessions are live

  using Fn = boost::asio::awaitable<http::Response> (SessionHandlers::*)(
      http::Request&, http::RequestContext&) const;
  http::Handler Bind(Fn fn) const {
    return [self = *this, fn](http::Request& req, http::RequestContext& ctx) {
      return (self.*fn)(req, ctx);
    };
  }

  // GET /v1/session: the request's session (404 when it has none).
  boost::asio::awaitable<http::Response> Current(http::Request& req,
                                                 http::RequestContext& ctx) const;
  // POST /v1/session: sign in; 201 with a fresh session (200 for cookie-only).
  boost::asio::awaitable<http::Response> Start(http::Request& req, http::RequestContext& ctx) const;
  // DELETE /v1/session: sign out and clear the cookie.
  boost::asio::awaitable<http::Response> End(http::Request& req, http::RequestContext& ctx) const;
  // GET /v1/sessions: the tenant's live sessions.
  boost::asio::awaitable<http::Response> List(http::Request& req, http::RequestContext& ctx) const;
  // DELETE /v1/sessions/{id}.
  boost::asio::awaitable<http::Response> Revoke(http::Request& req,
                                                http::RequestContext& ctx) const;
  // DELETE /v1/sessions.
  boost::asio::awaitable<http::Response> RevokeAll(http::Request& req,
                                                   http::RequestContext& ctx) const;
};

}  // namespace tenantd::tenant_api
