// Sign-up, sign-in and sign-out (api.md §11): the routes that need no session.
#include <boost/json.hpp>

#include "base/ids.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "ratelimit/tenant_limits.h"
#include "session/session_binder.h"
#include "session/session_cookie.h"
#include "session/session_store.h"
#include "users/account_handlers.h"
#include "users/email_handlers.h"
#include "users/signed_in.h"
#include "users/tenant_choice.h"
#include "users/user_json.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

constexpr std::size_t kMaxNameBytes = 200;

struct SignUpInput {
  std::string email;
  std::string password;
  std::string name;
};

base::Result<SignUpInput> ReadSignUp(const Request& req) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors = http::UnknownFields(body, {"email", "password", "name"});
  std::optional<std::string> email, password, name;
  http::ReadString(body, "email", email, errors);
  http::ReadString(body, "password", password, errors);
  http::ReadString(body, "name", name, errors);
  const std::optional<std::string> normalized = email ? NormalizeEmail(*email) : std::nullopt;
  if (!normalized) errors.push_back({"email", "An email address is required (ada@example.com)."});
  if (!password) {
    errors.push_back({"password", "A password is required."});
  } else if (auto e = CheckNewPassword("password", *password)) {
    errors.push_back(std::move(*e));
  }
  if (name && name->size() > kMaxNameBytes) errors.push_back({"name", "At most 200 bytes."});
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return SignUpInput{*normalized, std::move(*password), name.value_or("")};
}

// The answer to a sign-up with an email that has an account: the same
// shape as a real one, with ids that match no record and a cookie that
// serves nothing, so that it cannot be told apart (api.md §11). The
// address's owner gets a notice instead of a verification email.
awaitable<Response> DecoySignUp(const UserServices& s, const Request& req, RequestContext& ctx,
                                const SignUpInput& in) {
  base::Result<std::optional<control::UserCredentials>> owner =
      co_await s.people.FindCredentials(in.email);
  if (!owner) co_return http::ErrorResponse(owner.error(), ctx.request_id);
  if (*owner) {
    const base::Status noticed = co_await SendSignUpAttempt(s, (*owner)->user);
    if (!noticed) co_return http::ErrorResponse(noticed.error(), ctx.request_id);
  }
  control::User user;
  user.id = base::NewId("usr");
  user.email = in.email;
  user.name = in.name;
  user.account_id = base::NewId("acc");
  user.personal_tenant_id = user.last_tenant_id = base::NewId("ten");
  user.created_at = user.updated_at = std::chrono::floor<std::chrono::milliseconds>(s.clock.Now());
  control::Tenant tenant;
  tenant.id = user.personal_tenant_id;
  tenant.slug = PersonalSlug();
  tenant.name = in.name.empty() ? "Personal" : in.name;
  tenant.kind = "personal";
  boost::json::object brief = TenantBrief(tenant);
  brief["role"] = "owner";
  Response res = Json(201, boost::json::object{{"user", UserJson(user)}, {"tenant", brief}});
  ctx.auth.set_cookie = s.binder.UserCookie(req, s.cookies.Mint().cookie_value);
  session::SessionBinder::AddCookie(ctx, res);
  co_return res;
}

Response InvalidCredentials(const RequestContext& ctx) {
  return http::ErrorResponse(
      base::MakeError(base::ErrorCode::kUnauthenticated, "invalid_credentials",
                      "The email or password is not correct."),
      ctx.request_id);
}

struct SignInInput {
  std::string email;  // normalized; "" when not an address (no user has it)
  std::string password;
  std::optional<std::string> tenant;
};

base::Result<SignInInput> ReadSignIn(const Request& req) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors = http::UnknownFields(body, {"email", "password", "tenant"});
  std::optional<std::string> email, password, tenant;
  http::ReadString(body, "email", email, errors);
  http::ReadString(body, "password", password, errors);
  http::ReadString(body, "tenant", tenant, errors);
  if (!email) errors.push_back({"email", "The email address is required."});
  if (!password) errors.push_back({"password", "The password is required."});
  if (password && password->size() > kMaxPasswordBytes) {
    errors.push_back({"password", "At most 1024 bytes."});
  }
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return SignInInput{NormalizeEmail(*email).value_or(""), std::move(*password), std::move(tenant)};
}

}  // namespace

awaitable<Response> SignUp(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<SignUpInput> in = ReadSignUp(req);
  if (!in) co_return http::ErrorResponse(in.error(), ctx.request_id);
  // Hashed first, whether the email is taken or not: both answers cost the same.
  base::Result<std::string> hash = co_await s.passwords.Hash(in->password);
  if (!hash) co_return http::ErrorResponse(hash.error(), ctx.request_id);
  control::NewUser user;
  user.email = in->email;
  user.name = in->name;
  user.password_hash = std::move(*hash);
  control::NewTenant tenant;
  tenant.slug = PersonalSlug();
  tenant.name = in->name.empty() ? "Personal" : in->name;
  const control::TenantProvisioning provisioning = PersonalProvisioning(s);
  base::Result<std::pair<control::User, control::CreatedTenant>> made =
      co_await s.people.SignUp(user, std::move(tenant), provisioning);
  if (!made && made.error().problem_code == "email_taken") {
    co_return co_await DecoySignUp(s, req, ctx, *in);
  }
  if (!made) co_return http::ErrorResponse(made.error(), ctx.request_id);
  const control::User& created = made->first;
  const control::Tenant& personal = made->second.tenant;
  const base::Status queued = co_await SendVerification(s, created);
  if (!queued) co_return http::ErrorResponse(queued.error(), ctx.request_id);
  const base::Status started = co_await StartUserSession(s, req, ctx, created.id, personal.id);
  if (!started) co_return http::ErrorResponse(started.error(), ctx.request_id);
  boost::json::object brief = TenantBrief(personal);
  brief["role"] = "owner";
  Response res = Json(201, boost::json::object{{"user", UserJson(created)}, {"tenant", brief}});
  session::SessionBinder::AddCookie(ctx, res);
  co_return res;
}

awaitable<Response> SignIn(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<SignInInput> in = ReadSignIn(req);
  if (!in) co_return http::ErrorResponse(in.error(), ctx.request_id);

  // Failed sign-ins are throttled per client IP and per email (api.md §7,
  // §11), before any password is looked at.
  std::optional<ratelimit::FailedAuthKeys> gate;
  if (s.limits) {
    gate = s.limits->ForSignIn(req.remote_ip, in->email);
    const base::Result<ratelimit::Verdict> throttled =
        co_await s.limits->CheckFailedAuth(*gate, s.clock.Steady());
    if (!throttled) co_return http::ErrorResponse(throttled.error(), ctx.request_id);
    if (!throttled->decision.allowed) {
      co_return ratelimit::RateLimitedResponse(
          throttled->decision,
          "Too many failed sign-ins from this address or for this email; retry after the time in "
          "Retry-After.",
          ctx.request_id);
    }
  }

  std::optional<control::UserCredentials> found;
  if (!in->email.empty()) {
    base::Result<std::optional<control::UserCredentials>> read =
        co_await s.people.FindCredentials(in->email);
    if (!read) co_return http::ErrorResponse(read.error(), ctx.request_id);
    found = std::move(*read);
  }
  // An unknown email costs the same hashing as a wrong password.
  bool verified = false;
  if (found) {
    verified = co_await s.passwords.Verify(in->password, found->password_hash);
  } else {
    co_await s.passwords.VerifyNobody(in->password);
  }
  if (!verified) {
    if (gate) co_await s.limits->CountFailedAuth(*gate, s.clock.Steady());
    co_return InvalidCredentials(ctx);
  }
  control::User& user = found->user;
  if (user.status != control::UserStatus::kActive) {
    co_return http::ErrorResponse(
        base::MakeError(base::ErrorCode::kPermissionDenied, "user_suspended",
                        "This user is suspended; ask the operator."),
        ctx.request_id);
  }

  base::Result<std::optional<ActiveTenant>> chosen = std::optional<ActiveTenant>();
  if (in->tenant) {
    chosen = co_await MemberTenant(s, user.id, *in->tenant);
  } else {
    chosen = co_await DefaultTenant(s, user);
  }
  if (!chosen) co_return http::ErrorResponse(chosen.error(), ctx.request_id);
  if (!*chosen) co_return http::ErrorResponse(NotAMember(), ctx.request_id);
  const ActiveTenant& active = **chosen;
  const base::Status started = co_await StartUserSession(s, req, ctx, user.id, active.tenant->id);
  if (!started) co_return http::ErrorResponse(started.error(), ctx.request_id);
  const base::Status recorded = co_await s.people.RecordSignIn(user.id, active.tenant->id, true);
  if (!recorded) co_return http::ErrorResponse(recorded.error(), ctx.request_id);
  user.last_sign_in_at = std::chrono::floor<std::chrono::milliseconds>(s.clock.Now());

  base::Result<std::vector<control::TenantMembership>> memberships =
      co_await s.people.MembershipsOf(user.id);
  if (!memberships) co_return http::ErrorResponse(memberships.error(), ctx.request_id);
  boost::json::array list;
  for (const control::TenantMembership& m : *memberships) list.push_back(MembershipJson(m));
  Response res = Json(200, boost::json::object{{"user", UserJson(user)},
                                               {"tenant", TenantBrief(*active.tenant)},
                                               {"role", active.access->role_name},
                                               {"memberships", std::move(list)}});
  session::SessionBinder::AddCookie(ctx, res);
  co_return res;
}

awaitable<Response> SignOut(const UserServices& s, Request& req, RequestContext& ctx) {
  if (const std::optional<std::string> hash = CookieHash(req, s.cookies)) {
    const base::Result<bool> destroyed = co_await s.sessions.DestroyAsync(*hash);
    if (!destroyed) co_return http::ErrorResponse(destroyed.error(), ctx.request_id);
  }
  s.binder.Forget(req, ctx);
  Response res = Response::NoContent();
  session::SessionBinder::AddCookie(ctx, res);
  co_return res;
}

}  // namespace tenantd::users
