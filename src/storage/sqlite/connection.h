// A small RAII wrapper over the SQLite C API, under the storage seam
// (sqlite_database.h) and used directly by the per-tenant stores until they
// move onto the seam: Connection (one connection), Statement (a prepared
// statement, cached by SQL text), Transaction (BEGIN IMMEDIATE, rolls back
// unless committed) and a versioned migration runner.
//
// Errors are base::Error values: a UNIQUE or PRIMARY KEY violation is
// kAlreadyExists (test with IsUniqueViolation), a database still locked by
// another connection after the busy timeout is kUnavailable (retry the call),
// anything else kInternal. The SQLite message
// and the SQL text go to `log_detail` only, never to a client.
//
// Threading: a Connection and everything obtained from it are used by one thread
// at a time (callers serialise, e.g. with a mutex or by leasing handles from a
// pool). Several Connection objects, in one or several processes, may use the
// same file at once: WAL lets readers run beside one writer, and writers wait
// up to `busy_timeout` for each other.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "storage/errors.h"
#include "storage/migration.h"
#include "storage/value.h"

// The C API stays in sqlite.cpp; these are its opaque handle types.
struct sqlite3;
struct sqlite3_stmt;

namespace tenantd::storage::sqlite {

struct OpenOptions {
  // How long a statement waits for another connection's lock before failing
  // with kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // When false, a missing file is an error (kNotFound) instead of a new database.
  bool create_if_missing = true;
  // Prepared statements kept for reuse; SQL beyond this many distinct texts is
  // prepared and finalized per use.
  std::size_t statement_cache_capacity = 64;
  // This connection's page cache in KiB (PRAGMA cache_size = -N); 0 keeps
  // SQLite's default of 2 MiB.
  int cache_size_kib = 0;
  // Keep the -wal and -shm files when the last connection closes
  // (SQLITE_FCNTL_PERSIST_WAL). That close still checkpoints and syncs, so
  // the database file stays complete, and truncates the WAL to 0 bytes; a
  // pool that opens and closes the same databases all day then neither
  // creates nor deletes files for it.
  bool persist_wal = false;
  // Turns SQLite's automatic checkpoint off: by default the COMMIT that
  // takes the WAL past 1,000 pages copies it into the database and fsyncs
  // both, on whatever thread committed (an event loop, for a request). The
  // owner checkpoints instead, on a thread of its choice, when wal_pages()
  // says so (see Checkpoint); the last connection's close still checkpoints.
  bool manual_checkpoints = false;
};

class Connection;

// A prepared statement. Obtained from Connection::Prepare; must be destroyed
// before its Connection. Moving is cheap; copying is not allowed.
//
// Bind errors (out-of-range index, oversized value) are deferred: Bind returns
// the statement for chaining and the first failure is reported by the next
// Step(), so call sites read `st.Bind(1, id).Bind(2, name); TENANTD_TRY(…, st.Step())`.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  // Returns a cached statement to its Connection's cache (reset, bindings
  // cleared); finalizes an uncached one.
  ~Statement();

  // Parameters are numbered from 1, as in SQLite. Text is copied, so the
  // argument need not outlive the statement.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, std::nullopt_t);
  // Binds NULL when `value` is empty.
  Statement& BindOptional(int index, const std::optional<std::string>& value);

  // Runs to the next row: true when a row is available through the Column*
  // getters, false when the statement is done. After false, the next Step()
  // runs the statement again from the start.
  base::Result<bool> Step();

  // Column getters for the current row; columns are numbered from 0. A NULL
  // reads as 0, 0.0 or "" (test with ColumnIsNull or use ColumnOptionalText).
  int ColumnCount() const;
  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  // The column as its stored type: NULL, integer, real, or text (blobs too).
  Value ColumnValue(int column) const;
  // True when the statement cannot change the database (a SELECT).
  bool IsReadOnly() const;

  // Number of parameters and the name of parameter `index` (1-based): "$2"
  // for the seam's $n placeholders, "" for a bare '?'.
  int ParameterCount() const;
  std::string_view ParameterName(int index) const;

  // Rewinds the statement so it can run again and clears its bindings and any
  // deferred bind error.
  void Reset();

 private:
  friend class Connection;
  struct CacheSlot;
  Statement(sqlite3_stmt* stmt, CacheSlot* slot) : stmt_(stmt), slot_(slot) {}
  void Release();

  sqlite3_stmt* stmt_ = nullptr;
  // Non-null when the statement belongs to the Connection's cache.
  CacheSlot* slot_ = nullptr;
  // First deferred Bind failure: SQLite result code, or 0.
  int bind_error_ = 0;
};

// Rolls back in its destructor unless Commit() succeeded. Must be destroyed
// before its Connection; transactions do not nest.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&& other) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // On failure the transaction stays open and is rolled back by the destructor.
  base::Status Commit();
  base::Status Rollback();

 private:
  friend class Connection;
  explicit Transaction(Connection* db) : db_(db) {}
  Connection* db_;  // null once committed, rolled back or moved from
};

class Connection {
 public:
  // Opens (or creates) the database at `path` and sets journal_mode=WAL,
  // synchronous=NORMAL, foreign_keys=ON, the busy timeout and the options'
  // cache size and WAL persistence; ":memory:"
  // opens a private in-memory database (journal_mode stays "memory"). Fails
  // with kNotFound if the file is missing and `create_if_missing` is false,
  // kUnavailable if another connection keeps it locked, and kInternal if the
  // file cannot be opened or is not a database.
  static base::Result<std::unique_ptr<Connection>> Open(const std::filesystem::path& path,
                                                        const OpenOptions& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more ';'-separated statements that take no parameters and
  // return no rows needed by the caller (DDL, PRAGMAs, migrations).
  base::Status Exec(std::string_view sql);

  // A prepared statement for exactly one SQL statement (anything after it but
  // whitespace is an error). Reuses a cached statement for the same text when
  // one is idle; the same SQL may be prepared again while a previous instance
  // is still in use (it then gets a separate, uncached statement).
  base::Result<Statement> Prepare(std::string_view sql);

  // BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
  // timeout), so a read-then-write inside cannot fail halfway with SQLITE_BUSY.
  base::Result<Transaction> Begin();

  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  int64_t LastInsertRowId() const;

  // Number of statements currently held by the cache (idle or in use).
  std::size_t CachedStatementCount() const { return cache_.size(); }

  // With manual_checkpoints: pages in the WAL after this connection's last
  // commit (0 before any, and after Checkpoint).
  int wal_pages() const { return wal_pages_; }
  // Copies what the WAL holds into the database as far as readers allow
  // (a passive checkpoint: waits for no one) and fsyncs; kUnavailable when
  // another connection is checkpointing.
  base::Status Checkpoint();

  const std::filesystem::path& path() const { return path_; }

 private:
  friend class Statement;
  friend class Transaction;
  friend base::Status CopyDatabase(Connection& source, Connection& destination);
  Connection(sqlite3* db, std::filesystem::path path, const OpenOptions& options);
  base::Status Configure(const OpenOptions& options);
  // sqlite3_wal_hook callback: records the WAL's size after a commit.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int pages);
  // Prepares `sql` afresh; with `cache`, the statement joins the cache.
  base::Result<Statement> Compile(std::string_view sql, bool cache);

  // Lets the cache be searched with a string_view without building a string.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::filesystem::path path_;
  std::size_t cache_capacity_;
  int wal_pages_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Statement::CacheSlot>, SqlHash, std::equal_to<>>
      cache_;
};

// Replaces the whole content of `destination` with a consistent snapshot of
// `source`, through SQLite's online backup API (sqlite3_backup_*), in one
// step: the source is read in a single read transaction, so writers on other
// connections (WAL) go on meanwhile and the copy is of one committed state;
// the destination changes in one transaction, so its other connections (in
// this process or another) see either the old or the new content, never a
// mix, and a crash leaves the old. Waits up to the destination's busy
// timeout for its write lock (kUnavailable after that). Neither connection
// may be inside a transaction. Page sizes must match when the destination
// is in WAL mode (they do for databases this module creates).
base::Status CopyDatabase(Connection& source, Connection& destination);

// Applies every migration not yet recorded in schema_migrations (created if
// missing), in version order, each in its own transaction together with its
// schema_migrations row, so a failing migration leaves the database at the
// previous version. Safe to run from several processes at once: each
// migration is re-checked under the write lock. Each migration's transaction
// also sets PRAGMA user_version to its version. Returns how many were applied.
//
// Fails with kFailedPrecondition "schema_too_new" when the database records a
// version newer than the newest in `migrations` (a newer tenantd wrote it),
// and kInternal when `migrations` is not strictly increasing.
base::Result<int> ApplyMigrations(Connection& db,
                                  const std::vector<storage::Migration>& migrations);

// Highest version recorded in schema_migrations; 0 when none (or no table).
base::Result<int> SchemaVersion(Connection& db);

}  // namespace tenantd::storage::sqlite
