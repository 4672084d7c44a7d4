#include "storage/migrate.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "base/time.h"

namespace tenantd::storage {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

// Every tenantd process migrating a PostgreSQL database takes this
// transaction-scoped advisory lock first ("tenantd" in ASCII).
constexpr int64_t kMigrationLockKey = 0x74656e616e7464;

base::Error WithContext(base::Error e, const std::string& context) {
  e.log_detail = context + ": " + e.log_detail;
  return e;
}

// Applies the first migration not yet recorded, in one transaction; false
// when none was left.
awaitable<base::Result<bool>> ApplyNext(Database& db, const std::vector<Migration>& migrations) {
  auto began = co_await db.Begin();
  if (!began) co_return std::move(began).error();
  Transaction& tx = **began;
  if (db.engine() == Engine::kPostgres) {
    // Held until this transaction ends: another process migrating waits
    // here, then finds the migration recorded. Taken before CREATE TABLE IF
    // NOT EXISTS, which PostgreSQL does not make safe against a concurrent twin.
    auto locked = co_await tx.Exec("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
    if (!locked) co_return std::move(locked).error();
  }
  if (auto st = co_await tx.ExecScript(kCreateSchemaMigrations); !st) {
    co_return std::move(st).error();
  }
  auto versions = co_await tx.Query("SELECT version FROM schema_migrations");
  if (!versions) co_return std::move(versions).error();
  std::set<int> applied;
  for (const Row& row : versions->rows) applied.insert(static_cast<int>(row.Int64(0)));
  const int current = applied.empty() ? 0 : *applied.rbegin();
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    // Running older code against a newer schema could write rows the newer
    // code does not expect; refuse instead of guessing.
    co_return base::MakeError(base::ErrorCode::kFailedPrecondition, "schema_too_new",
                              "The database was written by a newer version of tenantd.",
                              "migrations: the database is at version " + std::to_string(current) +
                                  ", newest known is " + std::to_string(newest));
  }
  const auto next = std::find_if(migrations.begin(), migrations.end(),
                                 [&](const Migration& m) { return !applied.contains(m.version); });
  if (next == migrations.end()) co_return false;  // tx rolls back: nothing was written

  const Migration& m = *next;
  const std::string context = "migration " + std::to_string(m.version) + " (" + m.name + ")";
  const bool postgres = db.engine() == Engine::kPostgres;
  const std::string& sql = postgres && !m.postgres_sql.empty() ? m.postgres_sql : m.sql;
  if (auto st = co_await tx.ExecScript(sql); !st) {
    co_return WithContext(std::move(st).error(), context);
  }
  if (!postgres) {
    // Mirrored into the file header, where a reader finds it with one page
    // read (tenant connections check it before serving).
    auto st = co_await tx.ExecScript("PRAGMA user_version = " + std::to_string(m.version));
    if (!st) co_return WithContext(std::move(st).error(), context);
  }
  auto recorded = co_await tx.Exec(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.version,
      m.name, base::FormatRfc3339(std::chrono::system_clock::now()));
  if (!recorded) co_return WithContext(std::move(recorded).error(), context);
  if (auto st = co_await tx.Commit(); !st) co_return WithContext(std::move(st).error(), context);
  co_return true;
}

}  // namespace

awaitable<base::Result<int>> ApplyMigrations(Database& db,
                                             const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      co_return base::Internal(
          "migrations: versions must be positive and strictly increasing, got " +
          std::to_string(m.version) + " after " + std::to_string(previous));
    }
    previous = m.version;
  }
  int count = 0;
  for (;;) {
    auto applied = co_await ApplyNext(db, migrations);
    if (!applied) co_return std::move(applied).error();
    if (!*applied) co_return count;
    ++count;
  }
}

awaitable<base::Result<int>> SchemaVersion(Database& db) {
  const std::string_view exists =
      db.engine() == Engine::kPostgres
          ? "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename = 'schema_migrations'"
          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
  auto found = co_await db.Query(exists);
  if (!found) co_return std::move(found).error();
  if (found->empty()) co_return 0;
  auto max = co_await db.Query("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!max) co_return std::move(max).error();
  if (max->empty()) co_return base::Internal("migrations: max(version) returned no row");
  co_return static_cast<int>(max->front().Int64(0));
}

}  // namespace tenantd::storage
