// The signed-in user's own routes (api.md §11): who they are, their name
// and password, their tenants and their sessions. Each runs behind
// SignedIn, so ctx.auth names the user, the session and its tenant.
#include "users/account_handlers.h"

#include <boost/json.hpp>

#include "base/time.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "session/session_binder.h"
#include "session/session_store.h"
#include "tenant_db/provisioning.h"
#include "users/tenant_choice.h"
#include "users/user_json.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

constexpr std::size_t kMaxNameBytes = 200;

// Success for a coroutine returning a Status: GCC 12 warns, wrongly, that
// `co_return base::Status()` reads an uninitialised error.
base::Status Done() { return {}; }

base::Error UserGone() {
  return base::MakeError(base::ErrorCode::kUnauthenticated, "not_signed_in",
                         "Sign in first: POST /auth/v1/signin sets the sid cookie.");
}

awaitable<base::Result<boost::json::array>> MembershipList(const UserServices& s,
                                                           std::string_view user_id) {
  TENANTD_CO_TRY(std::vector<control::TenantMembership> memberships,
                 co_await s.people.MembershipsOf(user_id));
  boost::json::array list;
  for (const control::TenantMembership& m : memberships) list.push_back(MembershipJson(m));
  co_return list;
}

// {"user", "memberships", "tenant", "role"}: GET /auth/v1/user's answer.
awaitable<base::Result<boost::json::object>> UserView(const UserServices& s,
                                                      const RequestContext& ctx) {
  TENANTD_CO_TRY(std::optional<control::User> user, co_await s.people.FindUser(ctx.auth.user_id));
  if (!user) co_return UserGone();
  TENANTD_CO_TRY(boost::json::array memberships, co_await MembershipList(s, user->id));
  TENANTD_CO_TRY(std::optional<ActiveTenant> active,
                 co_await MemberTenant(s, user->id, ctx.auth.tenant_id));
  boost::json::object view{{"user", UserJson(*user)}, {"memberships", std::move(memberships)}};
  // A session whose tenant the user left serves only /auth/v1/ until a switch.
  view["tenant"] = active ? boost::json::value(TenantBrief(*active->tenant)) : nullptr;
  view["role"] = active ? boost::json::value(active->access->role_name) : nullptr;
  co_return view;
}

struct UserPatch {
  std::optional<std::string> name;
  std::optional<std::string> password;
  std::optional<std::string> current_password;
};

base::Result<UserPatch> ReadUserPatch(const Request& req) {
  TENANTD_TRY(boost::json::object body, http::ParseJsonObject(req));
  std::vector<base::FieldError> errors =
      http::UnknownFields(body, {"name", "password", "current_password"});
  UserPatch p;
  http::ReadString(body, "name", p.name, errors);
  http::ReadString(body, "password", p.password, errors);
  http::ReadString(body, "current_password", p.current_password, errors);
  if (p.name && p.name->size() > kMaxNameBytes) errors.push_back({"name", "At most 200 bytes."});
  if (p.password) {
    if (auto e = CheckNewPassword("password", *p.password)) errors.push_back(std::move(*e));
    if (!p.current_password) {
      errors.push_back({"current_password", "Changing the password needs the current one."});
    }
  }
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return p;
}

// A new password: every session of the user started before now ends
// (sessions_valid_after), this request gets a fresh one, and the others
// leave the store.
awaitable<base::Status> ChangePassword(const UserServices& s, const Request& req,
                                       RequestContext& ctx, const UserPatch& patch) {
  TENANTD_CO_TRY(std::optional<std::string> stored,
                 co_await s.people.PasswordHash(ctx.auth.user_id));
  if (!stored) co_return UserGone();
  const bool verified = co_await s.passwords.Verify(*patch.current_password, *stored);
  if (!verified) {
    co_return base::MakeError(base::ErrorCode::kPermissionDenied, "invalid_credentials",
                              "The current password is not correct.");
  }
  TENANTD_CO_TRY(std::string hash, co_await s.passwords.Hash(*patch.password));
  const base::TimePoint now = std::chrono::floor<std::chrono::milliseconds>(s.clock.Now());
  TENANTD_CO_RETURN_IF_ERROR(co_await s.people.SetPassword(ctx.auth.user_id, hash, now));
  const std::string user_id = ctx.auth.user_id;
  const std::string tenant_id = ctx.auth.tenant_id;
  TENANTD_CO_RETURN_IF_ERROR(co_await StartUserSession(s, req, ctx, user_id, tenant_id));
  TENANTD_CO_TRY(int64_t revoked,
                 co_await s.sessions.RevokeAllForUserAsync(user_id, ctx.auth.session_hash));
  (void)revoked;
  co_return Done();
}

}  // namespace

awaitable<Response> ShowUser(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<boost::json::object> view = co_await UserView(s, ctx);
  if (!view) co_return http::ErrorResponse(view.error(), ctx.request_id);
  co_return Json(200, *view);
}

awaitable<Response> UpdateUser(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<UserPatch> patch = ReadUserPatch(req);
  if (!patch) co_return http::ErrorResponse(patch.error(), ctx.request_id);
  if (patch->name) {
    base::Result<control::User> renamed = co_await s.people.Rename(ctx.auth.user_id, *patch->name);
    if (!renamed) co_return http::ErrorResponse(renamed.error(), ctx.request_id);
  }
  if (patch->password) {
    const base::Status changed = co_await ChangePassword(s, req, ctx, *patch);
    if (!changed) co_return http::ErrorResponse(changed.error(), ctx.request_id);
  }
  base::Result<boost::json::object> view = co_await UserView(s, ctx);
  if (!view) co_return http::ErrorResponse(view.error(), ctx.request_id);
  co_return Json(200, *view);
}

awaitable<Response> SwitchTenant(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors = http::UnknownFields(*body, {"tenant"});
  std::optional<std::string> tenant;
  http::ReadString(*body, "tenant", tenant, errors);
  if (!tenant) errors.push_back({"tenant", "The tenant's id or slug is required."});
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  base::Result<std::optional<ActiveTenant>> chosen =
      co_await MemberTenant(s, ctx.auth.user_id, *tenant);
  if (!chosen) co_return http::ErrorResponse(chosen.error(), ctx.request_id);
  if (!*chosen) co_return http::ErrorResponse(NotAMember(), ctx.request_id);
  const ActiveTenant& active = **chosen;
  const std::string user_id = ctx.auth.user_id;
  // The old session id ends here: the switch is a new session.
  const base::Status started = co_await StartUserSession(s, req, ctx, user_id, active.tenant->id);
  if (!started) co_return http::ErrorResponse(started.error(), ctx.request_id);
  const base::Status recorded = co_await s.people.RecordSignIn(user_id, active.tenant->id, false);
  if (!recorded) co_return http::ErrorResponse(recorded.error(), ctx.request_id);
  co_return Json(200, boost::json::object{{"tenant", TenantBrief(*active.tenant)},
                                          {"role", active.access->role_name}});
}

awaitable<Response> CreateTenant(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors = http::UnknownFields(*body, {"slug", "name", "account"});
  std::optional<std::string> slug, name, account;
  http::ReadString(*body, "slug", slug, errors);
  http::ReadString(*body, "name", name, errors);
  http::ReadString(*body, "account", account, errors);
  if (!slug) errors.push_back({"slug", "A slug is required."});
  if (!name) errors.push_back({"name", "A name is required."});
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  base::Result<std::optional<control::User>> user = co_await s.people.FindUser(ctx.auth.user_id);
  if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
  if (!*user) co_return http::ErrorResponse(UserGone(), ctx.request_id);
  const std::string account_id = account.value_or((*user)->account_id);
  if (account_id != (*user)->account_id) {
    base::Result<bool> may = co_await s.people.MayUseAccount((*user)->id, account_id);
    if (!may) co_return http::ErrorResponse(may.error(), ctx.request_id);
    if (!*may) {
      co_return http::ErrorResponse(
          base::MakeError(base::ErrorCode::kPermissionDenied, "not_billing_contact",
                          "Tenants go on your own account or on one you are a billing contact of."),
          ctx.request_id);
    }
  }
  control::NewTenant t;
  t.slug = std::move(*slug);
  t.name = std::move(*name);
  t.kind = "org";
  t.account_id = account_id;
  t.owner_user_id = (*user)->id;
  base::Result<control::CreatedTenant> created =
      co_await tenant_db::CreateTenant(s.store, s.databases, t, &s.provisioning_workers);
  if (!created) co_return http::ErrorResponse(created.error(), ctx.request_id);
  boost::json::object brief = TenantBrief(created->tenant);
  brief["role"] = "owner";
  co_return Json(201, boost::json::object{{"tenant", std::move(brief)}});
}

awaitable<Response> ListSessions(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<std::vector<session::SessionRecord>> live =
      co_await s.sessions.ListLiveForUserAsync(ctx.auth.user_id, s.clock.Now());
  if (!live) co_return http::ErrorResponse(live.error(), ctx.request_id);
  boost::json::array data;
  for (const session::SessionRecord& r : *live) {
    data.push_back(UserSessionJson(r, r.id == ctx.auth.session_id));
  }
  co_return Json(200, boost::json::object{{"data", std::move(data)}});
}

awaitable<Response> RevokeSession(const UserServices& s, Request& req, RequestContext& ctx) {
  const std::string id(req.PathParam("id"));
  base::Result<bool> revoked = co_await s.sessions.RevokeForUserAsync(ctx.auth.user_id, id);
  if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  if (!*revoked) co_return http::ErrorResponse(base::NotFound("No such session."), ctx.request_id);
  if (id == ctx.auth.session_id) s.binder.Forget(req, ctx);
  co_return Response::NoContent();
}

awaitable<Response> RevokeOtherSessions(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<int64_t> revoked =
      co_await s.sessions.RevokeAllForUserAsync(ctx.auth.user_id, ctx.auth.session_hash);
  if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  co_return Json(200, boost::json::object{{"revoked", *revoked}});
}

}  // namespace tenantd::users
