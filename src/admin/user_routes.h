// The platform administration routes of users (api.md §11): list, show
// with memberships, suspend and reactivate.
#pragma once

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}
namespace tenantd::session {
class SessionStore;
}

namespace tenantd::admin {

// What the user routes work on; both must outlive the router.
struct UserRouteDeps {
  control::ControlStore& store;
  // Suspending a user revokes every session of theirs here.
  session::SessionStore& sessions;
};

// GET /admin/v1/users, GET and PATCH /admin/v1/users/{id}, behind `auth`.
void RegisterUserRoutes(http::Router& router, const http::Stage& auth, const UserRouteDeps& deps);

}  // namespace tenantd::admin
