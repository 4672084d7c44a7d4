// The storage seam (storage/database.h) on a SQLite file: connections
// (sqlite/connection.h) pooled per file and leased per transaction or
// statement; every call completes without suspending. Prepared statements
// stay cached per connection, keyed by their SQL text, so a hot query is
// compiled once per connection.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"
#include "storage/database.h"
#include "storage/sqlite/connection.h"

namespace tenantd::storage {

struct SqliteDatabaseOptions {
  sqlite::OpenOptions connection;
  // Idle connections kept open for reuse; more are opened when every kept
  // one is leased (":memory:" has exactly one: each connection would be a
  // database of its own).
  std::size_t max_idle_connections = 8;
  // Problem code of kUnavailable errors (a lock held past the busy timeout).
  std::string unavailable_code = "service_unavailable";
};

// Opens (or creates, per the options) the database at `path` with one
// connection, which is checked and kept for reuse.
base::Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::filesystem::path& path,
                                                           SqliteDatabaseOptions options = {});

namespace sqlite {
// One statement with $1..$n placeholders on a connection, its rows copied
// out: what this seam's transactions run, for callers that lease their
// connections elsewhere (the tenant database pool, tenant_db/tenant_data.h).
base::Result<Rows> RunQuery(Connection& db, std::string_view sql, const Params& params);
}  // namespace sqlite

}  // namespace tenantd::storage
