#include "users/email_handlers.h"

#include <boost/json.hpp>

#include "crypto/crypto.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "mail/templates.h"
#include "session/session_store.h"
#include "users/passwords.h"
#include "users/user_json.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

constexpr std::size_t kTokenChars = 43;  // 256 random bits in base62
constexpr auto kVerificationLifetime = std::chrono::hours(24);
constexpr auto kResetLifetime = std::chrono::hours(1);

// A new single-use token of `purpose` for the user; the token itself.
awaitable<base::Result<std::string>> NewToken(const UserServices& s, std::string_view purpose,
                                              std::string_view user_id,
                                              std::chrono::hours lifetime) {
  const std::string token = crypto::RandomBase62(kTokenChars);
  const base::TimePoint expires = s.clock.Now() + lifetime;
  TENANTD_CO_RETURN_IF_ERROR(
      co_await s.people.AddUserToken(purpose, user_id, crypto::Sha256Hex(token), expires));
  co_return token;
}

base::Error InvalidToken() {
  return base::InvalidArgument("invalid_token",
                               "The link is unknown, was used already or has expired.");
}

// {"token"} plus the named string fields, all required.
base::Result<boost::json::object> ReadTokenBody(const Request& req,
                                                std::initializer_list<std::string_view> fields) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors = http::UnknownFields(body, fields);
  for (std::string_view f : fields) {
    const auto it = body.find(f);
    if (it == body.end() || !it->value().is_string() || it->value().as_string().empty()) {
      errors.push_back({std::string(f), "Required, a string."});
    }
  }
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return body;
}

std::string Field(const boost::json::object& body, std::string_view name) {
  return std::string(body.at(name).as_string());
}

}  // namespace

awaitable<base::Status> SendVerification(const UserServices& s, const control::User& user) {
  TENANTD_CO_TRY(std::string token, co_await NewToken(s, "verify", user.id, kVerificationLifetime));
  mail::VerificationEmail email;
  email.recipient_name = user.name;
  email.link = AuthLink(s, "verify", token);
  email.expires_in = "24 hours";
  const mail::EmailContent content = mail::RenderVerification(email);
  co_return co_await SendEmail(s, "verification", user.email, content);
}

awaitable<base::Status> SendSignUpAttempt(const UserServices& s, const control::User& user) {
  TENANTD_CO_TRY(std::string token, co_await NewToken(s, "reset", user.id, kResetLifetime));
  mail::SignupAttemptEmail email;
  email.recipient_name = user.name;
  email.reset_link = AuthLink(s, "reset", token);
  email.expires_in = "1 hour";
  const mail::EmailContent content = mail::RenderSignupAttempt(email);
  co_return co_await SendEmail(s, "signup_attempt", user.email, content);
}

awaitable<Response> VerifyEmail(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = ReadTokenBody(req, {"token"});
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  const std::string hash = crypto::Sha256Hex(Field(*body, "token"));
  base::Result<std::optional<std::string>> user_id =
      co_await s.people.ConsumeUserToken("verify", hash);
  if (!user_id) co_return http::ErrorResponse(user_id.error(), ctx.request_id);
  if (!*user_id) co_return http::ErrorResponse(InvalidToken(), ctx.request_id);
  const base::Status marked = co_await s.people.MarkEmailVerified(**user_id);
  if (!marked) co_return http::ErrorResponse(marked.error(), ctx.request_id);
  base::Result<std::optional<control::User>> user = co_await s.people.FindUser(**user_id);
  if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
  if (!*user) co_return http::ErrorResponse(InvalidToken(), ctx.request_id);
  co_return Json(200, boost::json::object{{"user", UserJson(**user)}});
}

awaitable<Response> Recover(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = ReadTokenBody(req, {"email"});
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  const std::optional<std::string> email = NormalizeEmail(Field(*body, "email"));
  if (email) {
    base::Result<std::optional<control::UserCredentials>> found =
        co_await s.people.FindCredentials(*email);
    if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
    if (*found && (*found)->user.status == control::UserStatus::kActive) {
      const control::User& user = (*found)->user;
      base::Result<std::string> token = co_await NewToken(s, "reset", user.id, kResetLifetime);
      if (!token) co_return http::ErrorResponse(token.error(), ctx.request_id);
      mail::PasswordResetEmail reset;
      reset.recipient_name = user.name;
      reset.link = AuthLink(s, "reset", *token);
      reset.expires_in = "1 hour";
      const mail::EmailContent content = mail::RenderPasswordReset(reset);
      const base::Status queued = co_await SendEmail(s, "password_reset", user.email, content);
      if (!queued) co_return http::ErrorResponse(queued.error(), ctx.request_id);
    }
  }
  co_return Json(202, boost::json::object{{"status",
                                           "If the address has an account, a reset "
                                           "link is on its way."}});
}

awaitable<Response> ResetPassword(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = ReadTokenBody(req, {"token", "password"});
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  const std::string password = Field(*body, "password");
  if (auto e = CheckNewPassword("password", password)) {
    co_return http::ErrorResponse(base::ValidationFailed({std::move(*e)}), ctx.request_id);
  }
  // Hashed before the token is spent: a failure here leaves the link usable.
  base::Result<std::string> hash = co_await s.passwords.Hash(password);
  if (!hash) co_return http::ErrorResponse(hash.error(), ctx.request_id);
  const std::string token_hash = crypto::Sha256Hex(Field(*body, "token"));
  base::Result<std::optional<std::string>> user_id =
      co_await s.people.ConsumeUserToken("reset", token_hash);
  if (!user_id) co_return http::ErrorResponse(user_id.error(), ctx.request_id);
  if (!*user_id) co_return http::ErrorResponse(InvalidToken(), ctx.request_id);
  const base::TimePoint now = std::chrono::floor<std::chrono::milliseconds>(s.clock.Now());
  const base::Status set = co_await s.people.SetPassword(**user_id, *hash, now);
  if (!set) co_return http::ErrorResponse(set.error(), ctx.request_id);
  // Every session ends: sessions_valid_after refuses them everywhere; the
  // store forgets them too.
  base::Result<int64_t> revoked = co_await s.sessions.RevokeAllForUserAsync(**user_id, "");
  if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  // The link reached the address: it is verified too.
  const base::Status verified = co_await s.people.MarkEmailVerified(**user_id);
  if (!verified) co_return http::ErrorResponse(verified.error(), ctx.request_id);
  co_return Response::NoContent();
}

}  // namespace tenantd::users
