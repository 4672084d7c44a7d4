// The tenants' own databases on the embedded default: one SQLite file per
// tenant at <data>/tenants/<tenant_id>.db, created fully migrated, migrated
// in place later, checked for drift, and removed.
//
// Provisioning is all-or-nothing on disk: the database is built under a
// temporary name (<id>.db.provisioning), flushed to disk and renamed into
// place, so a crash leaves either a complete database or a temporary that
// RemoveOrphans deletes. The control store decides which tenants exist;
// together with ControlStore::CreateTenant's provisioning hook this gives
// "no tenant row without a ready database, no database without a row".
//
// Thread-safe: every call opens its own connection (these are rare, heavy
// operations; the request path leases pooled handles from TenantDbPool).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "storage/sqlite/connection.h"

namespace tenantd::tenant_db {

// Pages SQLite keeps in memory per tenant connection (negative = KiB). The
// OS page cache holds the rest; a small figure keeps a pool of a thousand
// handles within tens of MiB.
inline constexpr int kTenantCacheSizeKib = 256;

struct MigrateOutcome {
  int from = 0;          // version before
  int to = 0;            // version after
  bool created = false;  // the database was missing and has been provisioned
};

class TenantDatabases {
 public:
  // `migrations` is the schema every tenant database is brought to
  // (normally BuiltInMigrations()); versions strictly increasing.
  TenantDatabases(std::filesystem::path data_dir, std::vector<storage::Migration> migrations);

  const std::vector<storage::Migration>& migrations() const { return migrations_; }
  // The version a database is at once every migration is applied.
  int LatestVersion() const;

  // "tenants/<id>.db": where a tenant's database lives, relative to the data
  // directory (so the directory can move). The control store keeps it,
  // sealed, as the tenant's database location.
  static std::string RelativePath(std::string_view tenant_id);
  std::filesystem::path PathOf(std::string_view tenant_id) const;
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Creates the tenant's database with every migration applied and makes it
  // durable before returning. kAlreadyExists when a database is already
  // there (it is left untouched).
  base::Status Provision(std::string_view tenant_id) const;

  // Deletes the tenant's database (and its -wal/-shm files). OK when absent.
  base::Status Remove(std::string_view tenant_id) const;

  // Applies the migrations the database lacks, each in its own transaction;
  // provisions a missing database (a tenant created before tenant databases
  // existed). kFailedPrecondition "schema_too_new" when a newer tenantd
  // migrated it. On failure the database stays at the last version that
  // applied completely.
  base::Result<MigrateOutcome> Migrate(std::string_view tenant_id) const;

  // The version recorded in the tenant's database (0 = none applied).
  base::Result<int> Version(std::string_view tenant_id) const;

  // How the tenant's schema differs from what its recorded version should
  // look like (tables, indexes, views and triggers, compared by their SQL
  // with whitespace normalised). Empty = no drift. kFailedPrecondition
  // "schema_too_new" when a newer tenantd migrated it (its schema cannot be
  // judged by this binary's migrations).
  base::Result<std::vector<std::string>> Drift(std::string_view tenant_id) const;

  // Deletes leftover temporaries and databases of tenants `is_known` does
  // not recognise (e.g. after a crash between provisioning and the control
  // commit, or after a purge). Call it while holding the control store's
  // write lock (ControlStore::WithTenantIdsLocked), so no tenant is being
  // created meanwhile. Returns the removed file names.
  base::Result<std::vector<std::string>> RemoveOrphans(
      const std::function<bool(std::string_view tenant_id)>& is_known) const;

  // Opens a tenant's existing database with the settings of tenant
  // connections (WAL, busy timeout, small page cache).
  base::Result<std::unique_ptr<storage::sqlite::Connection>> Open(std::string_view tenant_id) const;
  // The same for the pool's handles, whose owner checkpoints them (see
  // OpenOptions::manual_checkpoints).
  base::Result<std::unique_ptr<storage::sqlite::Connection>> OpenPooled(
      std::string_view tenant_id) const;

 private:
  // Open with `base` for what the tenant settings leave alone.
  base::Result<std::unique_ptr<storage::sqlite::Connection>> Open(
      std::string_view tenant_id, const storage::sqlite::OpenOptions& base) const;
  // Schema objects (name -> normalised SQL) of the reference database
  // migrated to `version`; built on first use and kept.
  base::Result<std::map<std::string, std::string>> ReferenceSchema(int version) const;

  std::filesystem::path data_dir_;
  std::filesystem::path tenants_dir_;
  std::vector<storage::Migration> migrations_;
  mutable std::mutex references_mu_;
  mutable std::map<int, std::map<std::string, std::string>> references_;
};

// name -> whitespace-normalised CREATE statement of every table, index, view
// and trigger, bookkeeping (sqlite_*, schema_migrations) excluded.
base::Result<std::map<std::string, std::string>> SchemaObjects(storage::sqlite::Connection& db);

}  // namespace tenantd::tenant_db
