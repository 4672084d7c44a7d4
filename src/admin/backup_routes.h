// The backup, restore and usage routes of the platform administration API
// (api.md §3): POST/GET /admin/v1/tenants/{id}/backups,
// POST /admin/v1/tenants/{id}/restore, GET /admin/v1/tenants/{id}/usage.
//
// Backups and restores compress, hash and fsync for seconds to minutes:
// they run on `workers`, and the route's coroutine awaits their completion,
// so no event-loop thread is blocked meanwhile.
#pragma once

#include "http/router.h"

namespace boost::asio {
class thread_pool;
}
namespace tenantd::backup {
class Backups;
class Restorer;
}  // namespace tenantd::backup
namespace tenantd::control {
class ControlStore;
}
namespace tenantd::tenant_db {
class TenantDbPool;
}
namespace tenantd::usage {
class UsageMeter;
}

namespace tenantd::admin {

// Everything must outlive the router.
struct BackupRouteDeps {
  control::ControlStore& store;
  const backup::Backups& backups;
  const backup::Restorer& restorer;
  tenant_db::TenantDbPool& pool;  // today's file totals for usage
  usage::UsageMeter& meter;       // usage not yet flushed
  boost::asio::thread_pool& workers;
};

void RegisterBackupRoutes(http::Router& router, const http::Stage& auth,
                          const BackupRouteDeps& deps);

}  // namespace tenantd::admin
