// Restoring a tenant from a backup archive (docs/operations.md "Restore").
//
// The tenant's state is its database and its upload tree
// (<data>/storage/uploads/<tenant_id>/); a restore replaces both, or
// neither, through a crash:
//
//  1. Stage: under the tenant's lock (backup/backup.h), extract the archive
//     into <data>/restore/<tenant_id>/ while checking every entry against
//     the manifest; refuse a corrupt archive or one whose schema is newer
//     than this binary's. Migrate the staged database to this binary's
//     schema and fsync everything. Nothing of the tenant is touched yet.
//  2. Mark: journal.json ("prepared") appears in the staging directory.
//     From here the tenant answers 503 tenant_restoring (RestoreMarks).
//  3. Move the live upload tree aside (one rename).
//  4. Commit point: the journal says "committing".
//  5. Roll forward: rename the staged tree into place, then copy the staged
//     database over the live one with SQLite's backup API (one transaction,
//     safe beside the server's open handles, in any process).
//  6. Remove the staging directory; the mark goes.
//
// A process that dies in 1-3 leaves a staging directory whose lock is free:
// Sweep (run at start-up and periodically by the server, and before every
// restore) rolls it back (the moved tree returns; the database was never
// touched). One that dies in 4-5 is rolled forward (both steps are
// idempotent). A failure (not a crash) in 5 is rolled back on the spot:
// the database copy is atomic, so only the trees swap back.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup.h"
#include "base/error.h"

namespace tenantd::tenant_db {
class RestoreMarks;
class TenantDatabases;
}  // namespace tenantd::tenant_db

namespace tenantd::backup {

struct RestoreOptions {
  // How long to wait between marking the tenant and touching anything, so a
  // server in another process sees the mark first (its sweep runs every
  // kSweepInterval). The CLI sets it; the server's own restores mark in
  // process and need none.
  std::chrono::milliseconds settle{0};
  // Follows the extraction, the long part of a restore: bytes of the
  // archive read so far and its size. Called on the restoring thread.
  std::function<void(uint64_t read, uint64_t size)> on_read;
};

// How often a server sweeps <data>/restore/.
inline constexpr std::chrono::milliseconds kSweepInterval{250};

struct RestoreOutcome {
  Manifest manifest;  // of the archive restored
  uint64_t files = 0;
  uint64_t bytes = 0;  // uncompressed bytes extracted
};

class Restorer {
 public:
  // Both must outlive the restorer; `marks` may be null (no server here).
  Restorer(const tenant_db::TenantDatabases& databases, tenant_db::RestoreMarks* marks,
           RestoreOptions options = {});

  // Restores `archive` into the existing tenant `tenant_id` (its database
  // must exist). With `source_tenant_id`, an archive of another tenant is
  // refused (kFailedPrecondition "backup_tenant_mismatch") before anything
  // is touched; empty accepts any (restoring into a new tenant).
  // Errors: those of ReadArchive (nothing touched),
  // kFailedPrecondition "schema_too_new" (nothing touched), "tenant_busy"
  // (another backup or restore runs), or an internal error after which the
  // previous state is intact (or, after a crash, restored by Sweep).
  base::Result<RestoreOutcome> Restore(std::string_view tenant_id,
                                       const std::filesystem::path& archive,
                                       std::string_view source_tenant_id = {}) const;

  // Finishes or rolls back every interrupted restore whose process is gone,
  // and tells the marks which restores are in progress elsewhere. Returns a
  // line per restore it finished or rolled back.
  base::Result<std::vector<std::string>> Sweep() const;

 private:
  const tenant_db::TenantDatabases& databases_;
  tenant_db::RestoreMarks* marks_;
  RestoreOptions options_;
};

}  // namespace tenantd::backup
