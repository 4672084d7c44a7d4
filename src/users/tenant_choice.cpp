#include "users/tenant_choice.h"

#include "auth/directory.h"
#include "crypto/crypto.h"
#include "session/session_binder.h"
#include "tenant_db/provisioning.h"
#include "users/signed_in.h"

namespace tenantd::users {

using boost::asio::awaitable;

awaitable<base::Result<std::optional<ActiveTenant>>> MemberTenant(const UserServices& s,
                                                                  std::string_view user_id,
                                                                  std::string_view id_or_slug) {
  TENANTD_CO_TRY(std::shared_ptr<const control::Tenant> tenant,
                 co_await s.directory.Tenant(id_or_slug));
  if (!tenant || tenant->status == control::TenantStatus::kDeleted) {
    co_return std::optional<ActiveTenant>();
  }
  TENANTD_CO_TRY(std::shared_ptr<const control::UserAccess> access,
                 co_await s.directory.UserAccess(user_id, tenant->id));
  if (!access) co_return std::optional<ActiveTenant>();
  co_return std::optional<ActiveTenant>(ActiveTenant{std::move(tenant), std::move(access)});
}

awaitable<base::Result<std::optional<ActiveTenant>>> DefaultTenant(const UserServices& s,
                                                                   const control::User& user) {
  for (const std::string* id : {&user.last_tenant_id, &user.personal_tenant_id}) {
    if (id->empty()) continue;
    TENANTD_CO_TRY(std::optional<ActiveTenant> found, co_await MemberTenant(s, user.id, *id));
    if (found) co_return found;
  }
  TENANTD_CO_TRY(std::vector<control::TenantMembership> memberships,
                 co_await s.people.MembershipsOf(user.id));
  for (const control::TenantMembership& m : memberships) {
    TENANTD_CO_TRY(std::optional<ActiveTenant> found,
                   co_await MemberTenant(s, user.id, m.membership.tenant_id));
    if (found) co_return found;
  }
  co_return std::optional<ActiveTenant>();
}

std::string PersonalSlug() {
  constexpr std::size_t kRandomChars = 16;
  std::string slug = "personal-" + crypto::RandomBase62(kRandomChars);
  for (char& c : slug) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return slug;
}

control::TenantProvisioning PersonalProvisioning(const UserServices& s) {
  return tenant_db::ProvisioningFor(s.databases, &s.provisioning_workers);
}

base::Error NotAMember() {
  return base::MakeError(base::ErrorCode::kPermissionDenied, "not_a_member",
                         "You are not a member of that tenant.");
}

awaitable<base::Status> StartUserSession(const UserServices& s, const http::Request& req,
                                         http::RequestContext& ctx, std::string_view user_id,
                                         std::string_view tenant_id) {
  std::optional<std::string> previous = CookieHash(req, s.cookies);
  ctx.auth.user_id = user_id;
  ctx.auth.tenant_id = tenant_id;
  co_return co_await s.binder.StartForUser(req, ctx, previous);
}

}  // namespace tenantd::users
