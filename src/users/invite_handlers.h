// Invites (api.md §11): a member with members:write invites an email to
// the tenant with a role; the invitee gets a single-use link (7 days) and
// accepts it signed in (with the invited email) or by signing up with it.
// Tokens are stored only as SHA-256; the answer never depends on whether
// the email already has an account.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/stage.h"
#include "users/services.h"

namespace tenantd::users {

class SignedIn;

boost::asio::awaitable<http::Response> CreateInvite(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> ListInvites(const UserServices& s, http::Request& req,
                                                   http::RequestContext& ctx);
boost::asio::awaitable<http::Response> DeleteInvite(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
// POST /auth/v1/invites/accept: `signed_in` checks the cookie when there is one.
boost::asio::awaitable<http::Response> AcceptInvite(const UserServices& s,
                                                    const SignedIn& signed_in, http::Request& req,
                                                    http::RequestContext& ctx);

}  // namespace tenantd::users
