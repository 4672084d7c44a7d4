// Versioned migrations through the storage seam, on either engine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <vector>

#include "base/error.h"
#include "storage/database.h"
#include "storage/migration.h"

namespace tenantd::storage {

// Applies every migration not yet recorded in schema_migrations (created if
// missing), in version order, each in its own transaction together with its
// schema_migrations row, so a failing migration leaves the database at the
// previous version. Safe to run from several processes at once: each
// migration is re-checked under a lock that the others wait for (SQLite:
// the write lock of BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped
// advisory lock). On SQLite each migration also sets PRAGMA user_version.
// Returns how many were applied.
//
// Fails with kFailedPrecondition "schema_too_new" when the database records a
// version newer than the newest in `migrations` (a newer tenantd wrote it),
// and kInternal when `migrations` is not strictly increasing.
boost::asio::awaitable<base::Result<int>> ApplyMigrations(Database& db,
                                                          const std::vector<Migration>& migrations);

// Highest version recorded in schema_migrations; 0 when none (or no table).
boost::asio::awaitable<base::Result<int>> SchemaVersion(Database& db);

}  // namespace tenantd::storage
