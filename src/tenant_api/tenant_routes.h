// The tenant routes of api.md §4 and §5: /v1/whoami, the session routes,
// the API-key routes and the product routes. Every route runs behind the TenantAccess stage; routes
// that need a scope add a RequireScope stage.
#pragma once

#include "access/tenant_access.h"
#include "auth/require_scope.h"
#include "base/clock.h"
#include "http/router.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::auth {
class Directory;
}
namespace tenantd::control {
class ControlStore;
}
namespace tenantd::session {
class SessionStore;
}
namespace tenantd::tenant_db {
class TenantDbPool;
}

namespace tenantd::tenant_api {

class TenantRoutes {
 public:
  // Everything passed must outlive the router the routes are added to.
  TenantRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
               auth::Directory& directory, control::ControlStore& store,
               session::SessionStore& sessions, tenant_db::TenantDbPool& pool,
               const base::Clock& clock = base::ServerClock());
  // Adds the routes; this object must outlive `router` (it owns the scope stages).
  void Register(http::Router& router) const;

 private:
  const access::TenantAccess& access_;
  auth::Directory& directory_;
  control::ControlStore& store_;
  session::SessionStore& sessions_;
  // The tenants' own data (products), reached through the pool.
  mutable tenant_db::TenantData data_;
  const base::Clock& clock_;
  auth::RequireScope keys_read_, keys_write_, sessions_read_, sessions_write_;
  auth::RequireScope products_read_, products_write_;
};

}  // namespace tenantd::tenant_api
