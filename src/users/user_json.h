// The JSON shapes of api.md §11: users (never their password hash),
// memberships, members, roles, and a user's sessions. The admin API and
// the CLI answer users in the same shape.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "control/control_store.h"
#include "control/people.h"
#include "http/message.h"
#include "session/session_store.h"

namespace tenantd::users {

boost::json::object UserJson(const control::User& u);
// A tenant as its members see it: id, slug, name, kind, plan, status.
boost::json::object TenantBrief(const control::Tenant& t);
// One of a user's memberships: tenant id, slug, name, kind and role.
boost::json::object MembershipJson(const control::TenantMembership& m);
// One of a tenant's members: user id, email, name, role, contacts.
boost::json::object MemberJson(const control::Member& m);
boost::json::object RoleJson(const control::Role& r);
// One of a user's sessions (GET /auth/v1/sessions).
boost::json::object UserSessionJson(const session::SessionRecord& s, bool current);

http::Response Json(int status, const boost::json::value& v);

}  // namespace tenantd::users
