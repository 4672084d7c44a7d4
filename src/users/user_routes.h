// Users, memberships and roles (api.md §11), the routes:
//
//   /auth/v1/signup, /signin, /signout            no session needed
//   /auth/v1/user, /switch, /tenants, /sessions   a signed-in user (SignedIn)
//   /auth/v1/invites/accept                       signed in, or signing up
//   /v1/members, /v1/roles, /v1/invites           tenant routes: the access
//                                                 stage, members:read|write
//
// Passwords are argon2id on a worker pool of their own (users/passwords.h).
// A user's request to /v1/ holds the scopes of their role in the tenant its
// session serves: the authenticator (auth/authenticator.h) resolves it.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "access/tenant_access.h"
#include "auth/require_scope.h"
#include "http/router.h"
#include "users/auth_limit.h"
#include "users/services.h"
#include "users/signed_in.h"

namespace tenantd::users {

struct UserRoutesDeps {
  control::ControlStore& store;
  const tenant_db::TenantDatabases& databases;
  boost::asio::thread_pool& provisioning_workers;
  boost::asio::thread_pool& password_workers;
  session::SessionStore& sessions;
  const session::SessionCookies& cookies;
  const session::SessionBinder& binder;
  const access::TenantAccess& tenant_access;
  auth::Directory& directory;
  auth::AuthFailureCounters& failures;
  ratelimit::TenantLimits* limits;
  outbox::Outbox& outbox;
  const base::Clock& clock = base::ServerClock();
};

class UserRoutes {
 public:
  // What `deps` refers to must outlive this object and the router.
  explicit UserRoutes(const UserRoutesDeps& deps);
  // Adds the routes; this object must outlive `router`.
  void Register(http::Router& router) const;

 private:
  const access::TenantAccess& tenant_access_;
  mutable control::People people_;
  Passwords passwords_;
  UserServices services_;
  SignedIn signed_in_;
  UserAuthLimit auth_limit_;
  auth::RequireScope members_read_, members_write_;
};

}  // namespace tenantd::users
