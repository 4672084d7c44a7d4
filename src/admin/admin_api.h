// Routes of the platform administration API (api.md §3) that exist so far:
// tenant create / list / show / patch / delete, credential rotation, the
// email outbox (email_routes.h).
#pragma once

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}
namespace tenantd::files {
class BlobStore;
}
namespace boost::asio {
class thread_pool;
}
namespace tenantd::tenant_db {
class TenantDatabases;
class TenantDbPool;
}  // namespace tenantd::tenant_db

namespace tenantd::admin {

// What the admin routes work on; everything must outlive the router.
struct AdminDeps {
  control::ControlStore& store;
  const tenant_db::TenantDatabases& databases;  // created with, purged with the tenant
  tenant_db::TenantDbPool& pool;                // closed before a purge
  // Where the tenants' files live; a purge removes them there too (the
  // local store's are removed with the tenant's directory either way).
  files::BlobStore* blobs = nullptr;
  // Builds new tenants' databases off the event loop.
  boost::asio::thread_pool* workers = nullptr;
};

void RegisterAdminRoutes(http::Router& router, const http::Stage& auth, const AdminDeps& deps);

}  // namespace tenantd::admin
