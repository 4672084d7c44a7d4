#include "storage/sqlite/connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include "base/time.h"
#include "storage/sqlite/vfs.h"

namespace tenantd::storage::sqlite {

struct Statement::CacheSlot {
  sqlite3_stmt* stmt = nullptr;
  // A slot is handed to one Statement at a time; a second Prepare of the same
  // SQL while this is set gets its own uncached statement.
  bool in_use = false;
};

namespace {

bool IsInMemory(const std::filesystem::path& path) { return path == ":memory:"; }

// Enough SQL to recognise the statement in a log line; migrations can be long.
constexpr std::size_t kMaxContextBytes = 200;

// Maps a SQLite result code to the error vocabulary of base/error.h. The
// SQLite message can name tables, columns and SQL, so it only goes to
// log_detail.
base::Error SqliteError(int rc, const char* message, std::string_view context) {
  std::string detail = "sqlite: ";
  if (context.size() > kMaxContextBytes) {
    detail.append(context.substr(0, kMaxContextBytes));
    detail += "...";
  } else {
    detail.append(context);
  }
  detail += ": ";
  detail += message != nullptr ? message : sqlite3_errstr(rc);
  detail += " (code " + std::to_string(rc) + ")";
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return base::MakeError(base::ErrorCode::kAlreadyExists, std::string(kUniqueViolation),
                           "The resource already exists.", std::move(detail));
  }
  // SQLITE_BUSY (and its extended forms) means another connection holds the
  // lock past the busy timeout: retrying the call can succeed. SQLITE_LOCKED
  // is not mapped here: without shared cache it only arises from a conflict
  // inside one connection, which is a bug that retrying would not fix.
  if ((rc & 0xff) == SQLITE_BUSY) {
    return base::MakeError(base::ErrorCode::kUnavailable, "service_unavailable",
                           "The database is busy; try again.", std::move(detail));
  }
  return base::Internal(std::move(detail));
}

base::Error SqliteError(int rc, sqlite3* db, std::string_view context) {
  return SqliteError(rc, db != nullptr ? sqlite3_errmsg(db) : nullptr, context);
}

base::Error WithContext(base::Error e, std::string_view context) {
  e.log_detail = std::string(context) + ": " + e.log_detail;
  return e;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

}  // namespace

// ---------------------------------------------------------------------------
// Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      slot_(std::exchange(other.slot_, nullptr)),
      bind_error_(std::exchange(other.bind_error_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    slot_ = std::exchange(other.slot_, nullptr);
    bind_error_ = std::exchange(other.bind_error_, 0);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (slot_ != nullptr) {
    // Resetting also ends the implicit read transaction of a statement that
    // was not stepped to the end, which would otherwise pin the WAL.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    slot_->in_use = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  slot_ = nullptr;
  bind_error_ = 0;
}

Statement& Statement::Bind(int index, int64_t value) {
  if (bind_error_ == 0) bind_error_ = sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (bind_error_ == 0) bind_error_ = sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  if (bind_error_ == 0) {
    // A null data pointer would bind NULL; an empty string_view must bind ''.
    const char* data = value.data() != nullptr ? value.data() : "";
    bind_error_ =
        sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  return *this;
}

Statement& Statement::Bind(int index, std::nullopt_t) {
  if (bind_error_ == 0) bind_error_ = sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : Bind(index, std::nullopt);
}

base::Result<bool> Statement::Step() {
  if (bind_error_ != 0) {
    return SqliteError(bind_error_, sqlite3_errstr(bind_error_),
                       std::string("bind for ") + sqlite3_sql(stmt_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, sqlite3_db_handle(stmt_), sqlite3_sql(stmt_));
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  // Text first, then bytes: that order returns the length of the UTF-8 form.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

Value Statement::ColumnValue(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_NULL:
      return std::monostate{};
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt_, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt_, column);
    default:
      return ColumnText(column);
  }
}

bool Statement::IsReadOnly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

int Statement::ParameterCount() const { return sqlite3_bind_parameter_count(stmt_); }

std::string_view Statement::ParameterName(int index) const {
  const char* name = sqlite3_bind_parameter_name(stmt_, index);
  return name != nullptr ? std::string_view(name) : std::string_view();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

// ---------------------------------------------------------------------------
// Transaction

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM…) make SQLite roll
  // back by itself; then there is nothing left to undo.
  if (db_ != nullptr && sqlite3_get_autocommit(db_->db_) == 0) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

base::Status Transaction::Commit() {
  if (db_ == nullptr) return base::Internal("sqlite: Commit on a finished transaction");
  TENANTD_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  db_ = nullptr;
  return {};
}

base::Status Transaction::Rollback() {
  if (db_ == nullptr) return base::Internal("sqlite: Rollback on a finished transaction");
  Connection* db = std::exchange(db_, nullptr);
  if (sqlite3_get_autocommit(db->db_) != 0) return {};
  return db->Exec("ROLLBACK");
}

// ---------------------------------------------------------------------------
// Connection

Connection::Connection(sqlite3* db, std::filesystem::path path, const OpenOptions& options)
    : db_(db), path_(std::move(path)), cache_capacity_(options.statement_cache_capacity) {}

Connection::~Connection() {
  for (auto& [sql, slot] : cache_) sqlite3_finalize(slot->stmt);
  // close_v2 rather than close: should a Statement outlive us despite the
  // contract, the handle is freed when it goes instead of leaking forever.
  sqlite3_close_v2(db_);
}

base::Result<std::unique_ptr<Connection>> Connection::Open(const std::filesystem::path& path,
                                                           const OpenOptions& options) {
  if (!options.create_if_missing && !IsInMemory(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      base::Error e = base::NotFound("No such database.");
      e.log_detail = "sqlite: no database at " + path.string();
      return e;
    }
  }
  // Process-wide, once, before SQLite initialises: no bulk page-cache
  // allocation per connection. By default each connection mallocs (and
  // touches) 20 pages up front, ~90 KiB, which a pool of a thousand
  // tenant handles turns into ~90 MiB of resident memory for pages most
  // of them never read; pages are allocated as they are read instead.
  //
  // No memory statistics either: with them on (SQLite's default) every
  // allocation and free inside SQLite takes a process-wide mutex to count
  // bytes nobody reads here (no sqlite3_memory_used, no soft heap limit).
  // That was a fifth of the instructions of opening a tenant database,
  // whose schema parse allocates thousands of small objects, and every
  // event-loop thread met on that one mutex.
  static std::once_flag configured;
  std::call_once(configured, [] {
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    FenceOnlyVfs();  // initialises SQLite: after the settings above
  });
  // NOMUTEX: a Connection is used by one thread at a time (see connection.h), so
  // SQLite's per-connection mutex would only cost time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const std::string name = IsInMemory(path) ? std::string(":memory:") : path.string();
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, FenceOnlyVfs());
  if (rc != SQLITE_OK) {
    base::Error e = SqliteError(rc, raw, "open " + name);
    sqlite3_close_v2(raw);  // a handle is returned even on failure (NULL only on OOM)
    return e;
  }
  std::unique_ptr<Connection> db(new Connection(raw, path, options));
  TENANTD_RETURN_IF_ERROR(db->Configure(options));
  return db;
}

base::Status Connection::Configure(const OpenOptions& options) {
  sqlite3_extended_result_codes(db_, 1);
  // Set before the first statement so that even switching to WAL waits for
  // a connection that holds a lock instead of failing.
  sqlite3_busy_timeout(
      db_, static_cast<int>(std::clamp<int64_t>(options.busy_timeout.count(), 0, INT_MAX)));
  // Defensive mode stops SQL from corrupting the file (writable_schema and
  // the like); double-quoted string literals are a classic typo that SQLite
  // would otherwise silently accept as identifiers-or-strings.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);

  {
    // journal_mode answers with the mode in force, which is not WAL if the
    // file system or an exclusive lock holder refused the change.
    TENANTD_TRY(Statement st, Compile("PRAGMA journal_mode=WAL", /*cache=*/false));
    TENANTD_TRY(bool row, st.Step());
    std::string mode = row ? st.ColumnText(0) : std::string();
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (mode != "wal" && !(IsInMemory(path_) && mode == "memory")) {
      return base::Internal("sqlite: journal_mode is '" + mode + "', not wal, for " +
                            path_.string());
    }
  }
  if (options.persist_wal) {
    int on = 1;
    sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
  }
  // Replaces the hook through which SQLite checkpoints automatically.
  if (options.manual_checkpoints) sqlite3_wal_hook(db_, &Connection::OnWalCommit, this);
  // One statement at open, not three: a tenant pool opens databases on its
  // request path. NORMAL is durable in WAL mode except for the last
  // transactions before a power loss, and never corrupts; FULL would fsync
  // on every commit. journal_size_limit=0 truncates a persistent WAL after
  // its checkpoint, so a WAL kept for the next open takes no disk space.
  std::string settings = "PRAGMA synchronous=NORMAL";
  if (options.cache_size_kib > 0) {
    settings += "; PRAGMA cache_size=-" + std::to_string(options.cache_size_kib);
  }
  if (options.persist_wal) settings += "; PRAGMA journal_size_limit=0";
  TENANTD_RETURN_IF_ERROR(Exec(settings));
  // A build without foreign key support ignores the setting silently, and
  // ON DELETE CASCADE would then leave orphans behind: read it back.
  int foreign_keys = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &foreign_keys);
  if (foreign_keys != 1) {
    return base::Internal("sqlite: foreign keys could not be enabled for " + path_.string());
  }
  return {};
}

int Connection::OnWalCommit(void* self, sqlite3* /*db*/, const char* /*schema*/, int pages) {
  static_cast<Connection*>(self)->wal_pages_ = pages;
  return SQLITE_OK;
}

base::Status Connection::Checkpoint() {
  wal_pages_ = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, "checkpoint " + path_.string());
  return {};
}

base::Status Connection::Exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, text);
  return {};
}

base::Result<Statement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return Statement(it->second->stmt, it->second.get());
  }
  return Compile(sql, /*cache=*/it == cache_.end() && cache_.size() < cache_capacity_);
}

base::Result<Statement> Connection::Compile(std::string_view sql, bool cache) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return base::Internal("sqlite: SQL text too long");
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  // PERSISTENT tells SQLite the statement lives long, so it allocates it
  // outside the lookaside memory meant for short-lived objects.
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
  if (stmt == nullptr) return base::Internal("sqlite: no statement in SQL text");
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!IsBlank(rest)) {
    sqlite3_finalize(stmt);
    return base::Internal("sqlite: Prepare takes one statement, got more: " + std::string(sql));
  }
  if (!cache) return Statement(stmt, nullptr);
  auto slot = std::make_unique<Statement::CacheSlot>();
  slot->stmt = stmt;
  slot->in_use = true;
  Statement::CacheSlot* raw_slot = slot.get();
  cache_.emplace(std::string(sql), std::move(slot));
  return Statement(stmt, raw_slot);
}

base::Result<Transaction> Connection::Begin() {
  TENANTD_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  return Transaction(this);
}

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

// ---------------------------------------------------------------------------
// Migrations

base::Status CopyDatabase(Connection& source, Connection& destination) {
  sqlite3_backup* backup = sqlite3_backup_init(destination.db_, "main", source.db_, "main");
  if (backup == nullptr) {
    return SqliteError(sqlite3_errcode(destination.db_), destination.db_,
                       "backup " + source.path_.string() + " to " + destination.path_.string());
  }
  // -1: every page in one step, so the source is read under one read lock
  // (one snapshot) instead of being restarted by a concurrent writer.
  const int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return SqliteError(rc, sqlite3_errstr(rc),
                       "backup " + source.path_.string() + " to " + destination.path_.string());
  }
  return {};
}

base::Result<int> SchemaVersion(Connection& db) {
  TENANTD_TRY(Statement exists,
              db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                         "'schema_migrations'"));
  TENANTD_TRY(bool has_table, exists.Step());
  if (!has_table) return 0;
  TENANTD_TRY(Statement st, db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  TENANTD_TRY(bool row, st.Step());
  if (!row) return base::Internal("sqlite: max(version) returned no row");
  return static_cast<int>(st.ColumnInt64(0));
}

base::Result<int> ApplyMigrations(Connection& db, const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return base::Internal("migrations: versions must be positive and strictly increasing, got " +
                            std::to_string(m.version) + " after " + std::to_string(previous));
    }
    previous = m.version;
  }
  TENANTD_RETURN_IF_ERROR(db.Exec(kCreateSchemaMigrations));

  std::set<int> applied;
  int current = 0;
  {
    TENANTD_TRY(Statement st, db.Prepare("SELECT version FROM schema_migrations"));
    for (;;) {
      TENANTD_TRY(bool row, st.Step());
      if (!row) break;
      const int version = static_cast<int>(st.ColumnInt64(0));
      applied.insert(version);
      current = std::max(current, version);
    }
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    // Running older code against a newer schema could write rows the newer
    // code does not expect; refuse instead of guessing.
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "schema_too_new",
                           "The database was written by a newer version of tenantd.",
                           "migrations: " + db.path().string() + " is at version " +
                               std::to_string(current) + ", newest known is " +
                               std::to_string(newest));
  }

  int count = 0;
  for (const Migration& m : migrations) {
    if (applied.contains(m.version)) continue;
    const std::string context =
        "migration " + std::to_string(m.version) + " (" + m.name + ") of " + db.path().string();
    TENANTD_TRY(Transaction tx, db.Begin());
    {
      // Another process may have applied it between our read and the write
      // lock BEGIN IMMEDIATE just took.
      TENANTD_TRY(Statement check, db.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
      check.Bind(1, m.version);
      TENANTD_TRY(bool done_elsewhere, check.Step());
      if (done_elsewhere) continue;  // tx rolls back: nothing was written
    }
    if (auto status = db.Exec(m.sql); !status) {
      return WithContext(std::move(status).error(), context);
    }
    // Mirrored into the file header, where a reader finds it with one
    // page read (tenant connections check it before serving).
    TENANTD_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(m.version)));
    {
      TENANTD_TRY(Statement record,
                  db.Prepare("INSERT INTO schema_migrations (version, name, applied_at) "
                             "VALUES (?, ?, ?)"));
      record.Bind(1, m.version)
          .Bind(2, m.name)
          .Bind(3, base::FormatRfc3339(std::chrono::system_clock::now()));
      TENANTD_RETURN_IF_ERROR(record.Step());
    }
    if (auto status = tx.Commit(); !status) return WithContext(std::move(status).error(), context);
    ++count;
  }
  return count;
}

}  // namespace tenantd::storage::sqlite
