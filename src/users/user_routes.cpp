#include "users/user_routes.h"

#include "users/account_handlers.h"
#include "users/auth_pages.h"
#include "users/email_handlers.h"
#include "users/invite_handlers.h"
#include "users/member_handlers.h"
#include "users/user_docs.h"

namespace tenantd::users {

UserRoutes::UserRoutes(const UserRoutesDeps& deps)
    : tenant_access_(deps.tenant_access),
      people_(deps.store),
      passwords_(deps.password_workers),
      services_{deps.store,    people_,      passwords_,  deps.databases, deps.provisioning_workers,
                deps.sessions, deps.cookies, deps.binder, deps.directory, deps.limits,
                deps.outbox,   deps.clock},
      signed_in_(people_, deps.sessions, deps.cookies, deps.binder, deps.clock),
      auth_limit_(deps.limits, deps.clock),
      members_read_("members:read", deps.failures),
      members_write_("members:write", deps.failures) {}

void UserRoutes::Register(http::Router& router) const {
  const UserServices* s = &services_;
  const http::Stage* limit = &auth_limit_;
  const auto bind = [s](UserHandler fn) -> http::Handler {
    return [s, fn](http::Request& req, http::RequestContext& ctx) { return fn(*s, req, ctx); };
  };
  router.Add("POST", "/auth/v1/signup", {limit}, bind(SignUp), docs::SignUp());
  router.Add("POST", "/auth/v1/signin", {limit}, bind(SignIn), docs::SignIn());
  router.Add("POST", "/auth/v1/signout", {}, bind(SignOut), docs::SignOut());
  router.Add("POST", "/auth/v1/verify-email", {limit}, bind(VerifyEmail), docs::VerifyEmail());
  router.Add("POST", "/auth/v1/recover", {limit}, bind(Recover), docs::Recover());
  router.Add("POST", "/auth/v1/reset", {limit}, bind(ResetPassword), docs::ResetPassword());

  const http::Stage* user = &signed_in_;
  router.Add("GET", "/auth/v1/user", {user}, bind(ShowUser), docs::ShowUser());
  router.Add("PATCH", "/auth/v1/user", {user}, bind(UpdateUser), docs::UpdateUser());
  router.Add("POST", "/auth/v1/switch", {user}, bind(SwitchTenant), docs::SwitchTenant());
  router.Add("POST", "/auth/v1/tenants", {user}, bind(CreateTenant), docs::CreateTenant());
  router.Add("GET", "/auth/v1/sessions", {user}, bind(ListSessions), docs::ListSessions());
  router.Add("DELETE", "/auth/v1/sessions", {user}, bind(RevokeOtherSessions),
             docs::RevokeOtherSessions());
  router.Add("DELETE", "/auth/v1/sessions/{id}", {user}, bind(RevokeSession),
             docs::RevokeSession());

  RegisterAuthPages(router);
  const SignedIn* signed_in = &signed_in_;
  router.Add(
      "POST", "/auth/v1/invites/accept", {limit},
      [s, signed_in](http::Request& req, http::RequestContext& ctx) {
        return AcceptInvite(*s, *signed_in, req, ctx);
      },
      docs::AcceptInvite());

  const http::Stage* a = &tenant_access_;
  router.Add("GET", "/v1/members", {a, &members_read_}, bind(ListMembers), docs::ListMembers());
  router.Add("PATCH", "/v1/members/{user_id}", {a, &members_write_}, bind(UpdateMember),
             docs::UpdateMember());
  router.Add("DELETE", "/v1/members/{user_id}", {a, &members_write_}, bind(RemoveMember),
             docs::RemoveMember());
  router.Add("POST", "/v1/invites", {a, &members_write_}, bind(CreateInvite), docs::CreateInvite());
  router.Add("GET", "/v1/invites", {a, &members_read_}, bind(ListInvites), docs::ListInvites());
  router.Add("DELETE", "/v1/invites/{id}", {a, &members_write_}, bind(DeleteInvite),
             docs::DeleteInvite());
  router.Add("GET", "/v1/roles", {a, &members_read_}, bind(ListRoles), docs::ListRoles());
  router.Add("POST", "/v1/roles", {a, &members_write_}, bind(CreateRole), docs::CreateRole());
  router.Add("PATCH", "/v1/roles/{id}", {a, &members_write_}, bind(UpdateRole), docs::UpdateRole());
  router.Add("DELETE", "/v1/roles/{id}", {a, &members_write_}, bind(DeleteRole),
             docs::DeleteRole());
}

}  // namespace tenantd::users
