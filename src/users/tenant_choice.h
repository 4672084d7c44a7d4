// Which tenant a user's session serves (api.md §11): one they are a member
// of, named at sign-in or switch, else the last one they used, else their
// personal tenant; and starting the session that serves it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "http/stage.h"
#include "users/services.h"

namespace tenantd::users {

struct ActiveTenant {
  std::shared_ptr<const control::Tenant> tenant;
  std::shared_ptr<const control::UserAccess> access;
};

// The tenant `id_or_slug` names when the user is a member of it and it is
// not deleted; nullopt otherwise (no such tenant looks the same).
boost::asio::awaitable<base::Result<std::optional<ActiveTenant>>> MemberTenant(
    const UserServices& s, std::string_view user_id, std::string_view id_or_slug);

// The user's last tenant if still a member, else their personal tenant,
// else any tenant they belong to; nullopt when they belong to none.
boost::asio::awaitable<base::Result<std::optional<ActiveTenant>>> DefaultTenant(
    const UserServices& s, const control::User& user);

// A personal tenant's slug: unguessable, so it tells nothing of its user.
std::string PersonalSlug();

// How a user's new tenant gets its database (as POST /admin/v1/tenants').
control::TenantProvisioning PersonalProvisioning(const UserServices& s);

// 403 not_a_member.
base::Error NotAMember();

// A new user session for `user_id` serving `tenant_id`, replacing the one
// the request's cookie names (a fresh id: no session fixation). Fills
// ctx.auth, the Set-Cookie included.
boost::asio::awaitable<base::Status> StartUserSession(const UserServices& s,
                                                      const http::Request& req,
                                                      http::RequestContext& ctx,
                                                      std::string_view user_id,
                                                      std::string_view tenant_id);

}  // namespace tenantd::users
