// The handlers of /auth/v1/ (api.md §11): sign-up, sign-in, sign-out,
// switching tenant, the signed-in user, their tenants and sessions.
// Routes behind the SignedIn stage find the user in ctx.auth.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/stage.h"
#include "users/services.h"

namespace tenantd::users {

using UserHandler = boost::asio::awaitable<http::Response> (*)(const UserServices&, http::Request&,
                                                               http::RequestContext&);

// sign_in_handlers.cpp: no session needed.
boost::asio::awaitable<http::Response> SignUp(const UserServices& s, http::Request& req,
                                              http::RequestContext& ctx);
boost::asio::awaitable<http::Response> SignIn(const UserServices& s, http::Request& req,
                                              http::RequestContext& ctx);
boost::asio::awaitable<http::Response> SignOut(const UserServices& s, http::Request& req,
                                               http::RequestContext& ctx);

// account_handlers.cpp: behind SignedIn.
boost::asio::awaitable<http::Response> ShowUser(const UserServices& s, http::Request& req,
                                                http::RequestContext& ctx);
boost::asio::awaitable<http::Response> UpdateUser(const UserServices& s, http::Request& req,
                                                  http::RequestContext& ctx);
boost::asio::awaitable<http::Response> SwitchTenant(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> CreateTenant(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> ListSessions(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> RevokeSession(const UserServices& s, http::Request& req,
                                                     http::RequestContext& ctx);
boost::asio::awaitable<http::Response> RevokeOtherSessions(const UserServices& s,
                                                           http::Request& req,
                                                           http::RequestContext& ctx);

}  // namespace tenantd::users
