#include "tenant_db/provisioning.h"

#include "files/local_blob_store.h"

#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <system_error>

#include "base/crash_point.h"
#include "base/off_loop.h"
#include "storage/errors.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {

namespace {

// The coroutines of provisioning: functions rather than capturing lambdas,
// whose captures GCC 12 mishandles in coroutines.
boost::asio::awaitable<base::Result<std::string>> BuildDatabase(const TenantDatabases& databases,
                                                                boost::asio::thread_pool* workers,
                                                                std::string tenant_id) {
  // Creating, migrating and fsyncing a database blocks for milliseconds.
  std::function<base::Result<std::string>()> build = [&databases,
                                                      tenant_id]() -> base::Result<std::string> {
    base::CrashPoint("tenant_create.before_database");
    TENANTD_RETURN_IF_ERROR(databases.Provision(tenant_id));
    base::CrashPoint("tenant_create.after_database");
    // The location record has the shape PostgreSQL tenants will need
    // (engine, where, credentials); for SQLite it is the file.
    return boost::json::serialize(boost::json::object{
        {"engine", "sqlite"}, {"path", TenantDatabases::RelativePath(tenant_id)}});
  };
  co_return co_await base::OffLoop(workers, std::move(build));
}

boost::asio::awaitable<void> RemoveDatabase(const TenantDatabases& databases,
                                            boost::asio::thread_pool* workers,
                                            std::string tenant_id) {
  std::function<base::Status()> remove = [&databases, tenant_id] {
    return databases.Remove(tenant_id);
  };
  (void)co_await base::OffLoop(workers, std::move(remove));
}

}  // namespace

boost::asio::awaitable<base::Result<control::CreatedTenant>> CreateTenant(
    control::ControlStore& store, const TenantDatabases& databases, const control::NewTenant& t,
    boost::asio::thread_pool* workers) {
  const control::TenantProvisioning provisioning = ProvisioningFor(databases, workers);
  co_return co_await store.CreateTenant(t, provisioning);
}

control::TenantProvisioning ProvisioningFor(const TenantDatabases& databases,
                                            boost::asio::thread_pool* workers) {
  control::TenantProvisioning provisioning;
  provisioning.create = [&databases, workers](const control::Tenant& tenant) {
    return BuildDatabase(databases, workers, tenant.id);
  };
  provisioning.undo = [&databases, workers](const control::Tenant& tenant) {
    return RemoveDatabase(databases, workers, tenant.id);
  };
  return provisioning;
}

boost::asio::awaitable<base::Result<control::Tenant>> PurgeTenant(control::ControlStore& store,
                                                                  const TenantDatabases& databases,
                                                                  TenantDbPool* pool,
                                                                  std::string_view id_or_slug) {
  TENANTD_CO_TRY(control::Tenant purged, co_await store.PurgeTenant(id_or_slug));
  base::CrashPoint("tenant_purge.after_row");
  if (pool) pool->Evict(purged.id);
  TENANTD_CO_RETURN_IF_ERROR(databases.Remove(purged.id));
  TENANTD_CO_RETURN_IF_ERROR(
      files::LocalBlobStore(databases.data_dir()).RemoveTenantNow(purged.id));
  // api.md §3: a purge also removes the tenant's backups
  // (<data>/backups/<id>/, laid out by backup/backup.h). A crash before this
  // line leaves them; they name no tenant any more and can be deleted by hand.
  std::error_code ec;
  std::filesystem::remove_all(databases.data_dir() / "backups" / purged.id, ec);
  if (ec) {
    co_return base::Internal("tenant purge: cannot remove the backups of " + purged.id + ": " +
                             ec.message());
  }
  co_return purged;
}

boost::asio::awaitable<base::Result<std::vector<std::string>>> RemoveOrphanDatabases(
    control::ControlStore& store, const TenantDatabases& databases) {
  std::vector<std::string> removed;
  std::function<base::Status(const std::unordered_set<std::string>&)> remove =
      [&](const std::unordered_set<std::string>& ids) -> base::Status {
    TENANTD_TRY(removed, databases.RemoveOrphans([&ids](std::string_view id) {
      return ids.contains(std::string(id));
    }));
    return {};
  };
  TENANTD_CO_RETURN_IF_ERROR(co_await store.WithTenantIdsLocked(remove));
  co_return removed;
}

}  // namespace tenantd::tenant_db
