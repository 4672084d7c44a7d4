// The email side of api.md §11: verifying an address, recovering a lost
// password, and the emails sign-up sends. Tokens are 256 random bits, sent
// only in the email, stored only as SHA-256, single-use and short-lived
// (verification 24 h, reset 1 h). Recover answers 202 whether or not the
// address has an account: nothing tells which emails exist.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/stage.h"
#include "users/services.h"

namespace tenantd::users {

// Queues the verification email of a new user.
boost::asio::awaitable<base::Status> SendVerification(const UserServices& s,
                                                      const control::User& user);
// Queues the notice of a sign-up attempt with `user`'s email, with a reset
// link (the owner may have forgotten they have an account).
boost::asio::awaitable<base::Status> SendSignUpAttempt(const UserServices& s,
                                                       const control::User& user);

// POST /auth/v1/verify-email {"token"}.
boost::asio::awaitable<http::Response> VerifyEmail(const UserServices& s, http::Request& req,
                                                   http::RequestContext& ctx);
// POST /auth/v1/recover {"email"}: 202 always.
boost::asio::awaitable<http::Response> Recover(const UserServices& s, http::Request& req,
                                               http::RequestContext& ctx);
// POST /auth/v1/reset {"token", "password"}: every session of the user ends.
boost::asio::awaitable<http::Response> ResetPassword(const UserServices& s, http::Request& req,
                                                     http::RequestContext& ctx);

}  // namespace tenantd::users
