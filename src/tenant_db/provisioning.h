// Tenant lifecycle steps that span the control store and the tenant's
// database, in the order that keeps the two consistent through a crash:
// a tenant's row commits only once its database is complete, and its
// database goes only after its row. What a crash can leave behind (a
// temporary, or a database whose row is gone) is an orphan file, removed
// by RemoveOrphanDatabases at the next start.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "control/control_store.h"

namespace tenantd::tenant_db {

class TenantDatabases;
class TenantDbPool;

// Creates the tenant and its fully migrated database, or neither. The
// database is built on `workers` (inline when null: the CLI), before the
// row is written, so that the caller's event loop and the control store
// serve other requests meanwhile.
boost::asio::awaitable<base::Result<control::CreatedTenant>> CreateTenant(
    control::ControlStore& store, const TenantDatabases& databases, const control::NewTenant& t,
    boost::asio::thread_pool* workers = nullptr);

// The provisioning hook CreateTenant passes to the control store, for
// other ways of writing a tenant (a user's sign-up, api.md §11).
control::TenantProvisioning ProvisioningFor(const TenantDatabases& databases,
                                            boost::asio::thread_pool* workers);

// Removes the tenant's row, then its database (closing pooled handles
// first when a pool is given) and its uploaded files.
boost::asio::awaitable<base::Result<control::Tenant>> PurgeTenant(control::ControlStore& store,
                                                                  const TenantDatabases& databases,
                                                                  TenantDbPool* pool,
                                                                  std::string_view id_or_slug);

// Deletes database files no tenant row accounts for; returns their names.
boost::asio::awaitable<base::Result<std::vector<std::string>>> RemoveOrphanDatabases(
    control::ControlStore& store, const TenantDatabases& databases);

}  // namespace tenantd::tenant_db
