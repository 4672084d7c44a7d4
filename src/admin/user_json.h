// The public JSON shape of a user and of a user's membership (api.md §11),
// shared by the admin API and the CLI's --json output. Never includes the
// password hash.
#pragma once

#include <boost/json/object.hpp>

#include "control/people.h"

namespace tenantd::admin {

// id, email, name, status, account_id, personal_tenant_id,
// email_verified_at, last_sign_in_at (null until then), created_at,
// updated_at.
boost::json::object UserToJson(const control::User& u);

// tenant_id, slug, name, kind, role (a built-in role's name or a custom
// role's id).
boost::json::object MembershipToJson(const control::TenantMembership& m);

}  // namespace tenantd::admin
