#include "users/invite_handlers.h"

#include <boost/json.hpp>

#include "auth/directory.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "mail/templates.h"
#include "session/session_binder.h"
#include "users/member_handlers.h"
#include "users/passwords.h"
#include "users/signed_in.h"
#include "users/tenant_choice.h"
#include "users/user_json.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

constexpr auto kInviteLifetime = std::chrono::hours(24 * 7);
constexpr std::size_t kTokenChars = 43;  // 256 random bits in base62

boost::json::object InviteJson(const control::Invite& i) {
  return {{"id", i.id},
          {"email", i.email},
          {"role", i.role},
          {"invited_by", i.invited_by},
          {"created_at", base::FormatRfc3339(i.created_at)},
          {"expires_at", base::FormatRfc3339(i.expires_at)}};
}

base::Error InvalidToken() {
  return base::InvalidArgument("invalid_token",
                               "The link is unknown, was used already or has expired.");
}

struct InviteInput {
  std::string email;
  std::string role;
};

base::Result<InviteInput> ReadInvite(const Request& req) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors = http::UnknownFields(body, {"email", "role"});
  std::optional<std::string> email, role;
  http::ReadString(body, "email", email, errors);
  http::ReadString(body, "role", role, errors);
  const std::optional<std::string> normalized = email ? NormalizeEmail(*email) : std::nullopt;
  if (!normalized) errors.push_back({"email", "An email address is required."});
  if (!role) errors.push_back({"role", "A role is required: a built-in name or a role id."});
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return InviteInput{*normalized, *role};
}

// The inviter's name for the email: the user, else nobody in particular.
awaitable<std::string> InviterName(const UserServices& s, const http::AuthFacts& auth) {
  if (auth.user_id.empty()) co_return std::string();
  const base::Result<std::optional<control::User>> user = co_await s.people.FindUser(auth.user_id);
  if (!user || !*user) co_return std::string();
  co_return (*user)->name.empty() ? (*user)->email : (*user)->name;
}

struct Acceptance {
  std::optional<std::string> name;
  std::optional<std::string> password;
  std::string token;
};

base::Result<Acceptance> ReadAcceptance(const Request& req) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors = http::UnknownFields(body, {"token", "name", "password"});
  Acceptance a;
  std::optional<std::string> token;
  http::ReadString(body, "token", token, errors);
  http::ReadString(body, "name", a.name, errors);
  http::ReadString(body, "password", a.password, errors);
  if (!token || token->empty() || token->size() > 128) {
    errors.push_back({"token", "The token from the invite link is required."});
  }
  if (a.password) {
    if (auto e = CheckNewPassword("password", *a.password)) errors.push_back(std::move(*e));
  }
  if (a.name && a.name->size() > 200) errors.push_back({"name", "At most 200 bytes."});
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  a.token = std::move(*token);
  return a;
}

// A new user made by accepting: verified (the invite reached the address),
// with a personal tenant like any sign-up.
awaitable<base::Result<std::string>> SignUpInvitee(const UserServices& s,
                                                   const control::Invite& invite,
                                                   const Acceptance& a) {
  TENANTD_CO_TRY(std::string hash, co_await s.passwords.Hash(*a.password));
  control::NewUser user;
  user.email = invite.email;
  user.name = a.name.value_or("");
  user.password_hash = std::move(hash);
  user.email_verified = true;
  control::NewTenant personal;
  personal.slug = PersonalSlug();
  personal.name = user.name.empty() ? "Personal" : user.name;
  const control::TenantProvisioning provisioning = PersonalProvisioning(s);
  TENANTD_CO_TRY(auto made, co_await s.people.SignUp(user, std::move(personal), provisioning));
  co_return made.first.id;
}

}  // namespace

awaitable<Response> CreateInvite(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<InviteInput> in = ReadInvite(req);
  if (!in) co_return http::ErrorResponse(in.error(), ctx.request_id);
  if (ctx.tenant->kind == "personal") {
    co_return http::ErrorResponse(
        base::MakeError(base::ErrorCode::kAlreadyExists, "personal_tenant",
                        "A personal tenant has one member; create an org tenant to share."),
        ctx.request_id);
  }
  base::Result<bool> known = co_await s.people.RoleExists(ctx.auth.tenant_id, in->role);
  if (!known) co_return http::ErrorResponse(known.error(), ctx.request_id);
  if (!*known) {
    co_return http::ErrorResponse(
        base::ValidationFailed(
            {{"role", "No such role: owner, admin, member, viewer or a rol_ id."}}),
        ctx.request_id);
  }
  if (in->role == "owner" && !ActsAsOwner(ctx.auth)) {
    co_return http::ErrorResponse(OwnerRequired(), ctx.request_id);
  }
  const std::string token = crypto::RandomBase62(kTokenChars);
  const base::TimePoint expires =
      std::chrono::floor<std::chrono::milliseconds>(s.clock.Now()) + kInviteLifetime;
  const std::string invited_by = !ctx.auth.user_id.empty() ? ctx.auth.user_id : ctx.auth.key_id;
  base::Result<control::Invite> invite = co_await s.people.CreateInvite(
      ctx.auth.tenant_id, in->email, in->role, invited_by, crypto::Sha256Hex(token), expires);
  if (!invite) co_return http::ErrorResponse(invite.error(), ctx.request_id);

  mail::InviteEmail email;
  email.inviter_name = co_await InviterName(s, ctx.auth);
  email.tenant_name = ctx.tenant->name;
  email.role = in->role;
  email.link = AuthLink(s, "invite", token);
  email.expires_in = "7 days";
  const mail::EmailContent content = mail::RenderInvite(email);
  const base::Status queued = co_await SendEmail(s, "invite", in->email, content);
  if (!queued) co_return http::ErrorResponse(queued.error(), ctx.request_id);
  co_return Json(201, boost::json::object{{"invite", InviteJson(*invite)}});
}

awaitable<Response> ListInvites(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<std::vector<control::Invite>> invites =
      co_await s.people.Invites(ctx.auth.tenant_id);
  if (!invites) co_return http::ErrorResponse(invites.error(), ctx.request_id);
  boost::json::array data;
  for (const control::Invite& i : *invites) data.push_back(InviteJson(i));
  co_return Json(200, boost::json::object{{"data", std::move(data)}});
}

awaitable<Response> DeleteInvite(const UserServices& s, Request& req, RequestContext& ctx) {
  const std::string id(req.PathParam("id"));
  base::Result<bool> deleted = co_await s.people.DeleteInvite(ctx.auth.tenant_id, id);
  if (!deleted) co_return http::ErrorResponse(deleted.error(), ctx.request_id);
  if (!*deleted) co_return http::ErrorResponse(base::NotFound("No such invite."), ctx.request_id);
  co_return Response::NoContent();
}

awaitable<Response> AcceptInvite(const UserServices& s, const SignedIn& signed_in, Request& req,
                                 RequestContext& ctx) {
  base::Result<Acceptance> in = ReadAcceptance(req);
  if (!in) co_return http::ErrorResponse(in.error(), ctx.request_id);
  base::Result<std::optional<control::Invite>> found =
      co_await s.people.FindInvite(crypto::Sha256Hex(in->token));
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found) co_return http::ErrorResponse(InvalidToken(), ctx.request_id);
  const control::Invite& invite = **found;

  // Signed in: the invite must be for this user's email. Otherwise a new
  // user signs up with the invited email.
  std::string user_id;
  if (CookieHash(req, s.cookies)) {
    if (std::optional<Response> refused = co_await signed_in.OnRequest(req, ctx)) {
      co_return std::move(*refused);
    }
    base::Result<std::optional<control::User>> user = co_await s.people.FindUser(ctx.auth.user_id);
    if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
    if (!*user || (*user)->email != invite.email) {
      co_return http::ErrorResponse(
          base::MakeError(base::ErrorCode::kPermissionDenied, "invite_email_mismatch",
                          "This invite is for another email address; sign in with that one."),
          ctx.request_id);
    }
    user_id = (*user)->id;
  } else {
    if (!in->password) {
      co_return http::ErrorResponse(
          base::ValidationFailed({{"password", "Sign in first, or choose a password to sign up."}}),
          ctx.request_id);
    }
    base::Result<std::string> created = co_await SignUpInvitee(s, invite, *in);
    if (!created && created.error().problem_code == "email_taken") {
      co_return http::ErrorResponse(
          base::MakeError(base::ErrorCode::kUnauthenticated, "not_signed_in",
                          "This email has an account: sign in, then accept the invite."),
          ctx.request_id);
    }
    if (!created) co_return http::ErrorResponse(created.error(), ctx.request_id);
    user_id = std::move(*created);
  }
  base::Result<bool> accepted = co_await s.people.AcceptInvite(invite, user_id);
  if (!accepted) co_return http::ErrorResponse(accepted.error(), ctx.request_id);
  if (!*accepted) co_return http::ErrorResponse(InvalidToken(), ctx.request_id);

  // The session now serves the tenant joined.
  base::Result<std::optional<ActiveTenant>> joined =
      co_await MemberTenant(s, user_id, invite.tenant_id);
  if (!joined) co_return http::ErrorResponse(joined.error(), ctx.request_id);
  if (!*joined) co_return http::ErrorResponse(NotAMember(), ctx.request_id);
  const base::Status started = co_await StartUserSession(s, req, ctx, user_id, invite.tenant_id);
  if (!started) co_return http::ErrorResponse(started.error(), ctx.request_id);
  Response res = Json(200, boost::json::object{{"tenant", TenantBrief(*(*joined)->tenant)},
                                               {"role", (*joined)->access->role_name}});
  session::SessionBinder::AddCookie(ctx, res);
  co_return res;
}

}  // namespace tenantd::users
