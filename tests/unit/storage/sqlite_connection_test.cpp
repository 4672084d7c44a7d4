#include "storage/sqlite/connection.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "temp_dir.h"

namespace tenantd::storage::sqlite {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
using test::TempDir;

class SqliteTest : public ::testing::Test {
 protected:
  fs::path DbPath() const { return dir_.path() / "test.db"; }

  std::unique_ptr<Connection> OpenDb(const OpenOptions& options = {}) {
    auto db = Connection::Open(DbPath(), options);
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    return db ? std::move(*db) : nullptr;
  }

  // First column of the first row of `sql`, as text.
  static std::string QueryText(Connection& db, std::string_view sql) {
    auto st = db.Prepare(sql);
    if (!st) return "error: " + st.error().log_detail;
    auto row = st->Step();
    if (!row) return "error: " + row.error().log_detail;
    return *row ? st->ColumnText(0) : "no row";
  }

  static int64_t QueryInt(Connection& db, std::string_view sql) {
    auto st = db.Prepare(sql);
    EXPECT_TRUE(st);
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->ColumnInt64(0);
  }

  static bool TableExists(Connection& db, std::string_view name) {
    auto st = db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    EXPECT_TRUE(st);
    st->Bind(1, name);
    auto row = st->Step();
    EXPECT_TRUE(row);
    return row && *row;
  }

  static std::vector<Migration> TwoMigrations() {
    return {
        {1, "create a", "CREATE TABLE a (x INTEGER NOT NULL); INSERT INTO a VALUES (1);"},
        {2, "create b", "CREATE TABLE b (y TEXT)"},
    };
  }

  TempDir dir_;
};

TEST_F(SqliteTest, OpenSetsWalForeignKeysAndSynchronousNormal) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA synchronous"), 1);  // 1 = NORMAL
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)"));
  EXPECT_TRUE(fs::exists(DbPath().string() + "-wal"));
}

TEST_F(SqliteTest, OpenAppliesBusyTimeoutOption) {
  OpenOptions options;
  options.busy_timeout = std::chrono::milliseconds(1234);
  auto db = OpenDb(options);
  ASSERT_TRUE(db);
  EXPECT_EQ(QueryInt(*db, "PRAGMA busy_timeout"), 1234);
}

TEST_F(SqliteTest, OpenAppliesCacheSizeOption) {
  OpenOptions options;
  options.cache_size_kib = 256;
  auto db = OpenDb(options);
  ASSERT_TRUE(db);
  EXPECT_EQ(QueryInt(*db, "PRAGMA cache_size"), -256);  // negative = KiB
}

TEST_F(SqliteTest, LastCloseDeletesTheWalByDefault) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db && db->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"));
  }
  EXPECT_FALSE(fs::exists(DbPath().string() + "-wal"));
  EXPECT_FALSE(fs::exists(DbPath().string() + "-shm"));
}

TEST_F(SqliteTest, PersistWalKeepsAnEmptyWalAndACompleteDatabaseFileAfterTheLastClose) {
  OpenOptions options;
  options.persist_wal = true;
  {
    auto db = OpenDb(options);
    ASSERT_TRUE(db && db->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)"));
    EXPECT_GT(fs::file_size(DbPath().string() + "-wal"), 0u);
  }
  ASSERT_TRUE(fs::exists(DbPath().string() + "-wal"));
  EXPECT_TRUE(fs::exists(DbPath().string() + "-shm"));
  EXPECT_EQ(fs::file_size(DbPath().string() + "-wal"), 0u);
  // The close checkpointed: the database file alone has both rows.
  const fs::path alone = dir_.path() / "alone.db";
  fs::copy_file(DbPath(), alone);
  auto copy = Connection::Open(alone);
  ASSERT_TRUE(copy);
  EXPECT_EQ(QueryInt(**copy, "SELECT count(*) FROM t"), 2);
  // And the kept files open again like new ones.
  auto again = OpenDb(options);
  ASSERT_TRUE(again);
  EXPECT_EQ(QueryInt(*again, "SELECT sum(x) FROM t"), 3);
}

// The first connection to a database resets its -shm file (tenantd zeroes
// it rather than truncating and re-extending it, storage/sqlite/vfs.h):
// whatever a crashed process left there is gone, the wal-index is rebuilt,
// and the file keeps its size.
TEST_F(SqliteTest, TheFirstOpenResetsAStaleShmFileAndKeepsItsSize) {
  OpenOptions options;
  options.persist_wal = true;
  {
    auto db = OpenDb(options);
    ASSERT_TRUE(db && db->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)"));
  }
  const std::string shm = DbPath().string() + "-shm";
  ASSERT_EQ(fs::file_size(shm), 32768u);
  {
    std::fstream f(shm, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(32768 - 3, '\xff');
    f.seekp(3);
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto db = OpenDb(options);
  ASSERT_TRUE(db);
  EXPECT_EQ(QueryInt(*db, "SELECT sum(x) FROM t"), 3);
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (3)"));
  EXPECT_EQ(QueryInt(*db, "SELECT sum(x) FROM t"), 6);
  EXPECT_EQ(fs::file_size(shm), 32768u);
  // The second half of the first 32 KiB wal-index region is its hash
  // table: 8,192 two-byte slots, each 0 or the index of a frame in the WAL
  // (a handful here). Stale 0xff bytes would read as 65,535.
  std::ifstream f(shm, std::ios::binary);
  std::string tail(16384, '\0');
  f.seekg(16384);
  f.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  int used = 0;
  for (std::size_t i = 0; i < tail.size(); i += 2) {
    uint16_t slot = 0;
    std::memcpy(&slot, tail.data() + i, 2);
    ASSERT_LE(slot, 64) << "stale bytes left in the -shm at " << 16384 + i;
    used += slot != 0;
  }
  EXPECT_GT(used, 0) << "the rebuilt wal-index indexes the WAL's frames";
}

// SQLite's automatic checkpoint is off with manual_checkpoints: the WAL
// grows past 1,000 pages until the owner checkpoints.
TEST_F(SqliteTest, ManualCheckpointsLeaveTheWalToTheOwner) {
  OpenOptions options;
  options.manual_checkpoints = true;
  auto db = OpenDb(options);
  ASSERT_TRUE(db && db->Exec("CREATE TABLE big (b BLOB)"));
  const auto before = fs::file_size(DbPath());
  ASSERT_TRUE(db->Exec("INSERT INTO big VALUES (randomblob(5000000))"));
  EXPECT_GE(db->wal_pages(), 1000);
  EXPECT_EQ(fs::file_size(DbPath()), before);
  ASSERT_TRUE(db->Checkpoint());
  EXPECT_EQ(db->wal_pages(), 0);
  EXPECT_GT(fs::file_size(DbPath()), before + 5000000);
}

TEST_F(SqliteTest, OpenWithoutCreateIfMissingFailsForMissingFile) {
  OpenOptions options;
  options.create_if_missing = false;
  auto db = Connection::Open(DbPath(), options);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, base::ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(DbPath()));
}

TEST_F(SqliteTest, OpenRejectsFileThatIsNotADatabase) {
  std::ofstream(DbPath()) << "this is not an SQLite database, just some text that is long enough";
  auto db = Connection::Open(DbPath());
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(db.error().log_detail.find("sqlite"), std::string::npos);
}

TEST(SqliteInMemory, OpensWithoutAFile) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db) << db.error().log_detail;
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"));
  auto st = (*db)->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(st);
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnInt64(0), 1);
  EXPECT_FALSE(fs::exists(":memory:"));
}

TEST_F(SqliteTest, ForeignKeysAreEnforcedAndCascade) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);"));
  auto orphan = db->Exec("INSERT INTO child VALUES (7)");
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, base::ErrorCode::kInternal);
  EXPECT_FALSE(IsUniqueViolation(orphan.error()));

  ASSERT_TRUE(db->Exec("INSERT INTO parent VALUES (7); INSERT INTO child VALUES (7);"));
  ASSERT_TRUE(db->Exec("DELETE FROM parent WHERE id = 7"));
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM child"), 0);
}

TEST_F(SqliteTest, MigrationsApplyOnceAndAreRecorded) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto applied = ApplyMigrations(*db, TwoMigrations());
  ASSERT_TRUE(applied) << applied.error().log_detail;
  EXPECT_EQ(*applied, 2);
  EXPECT_TRUE(TableExists(*db, "a"));
  EXPECT_TRUE(TableExists(*db, "b"));
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM schema_migrations"), 2);
  EXPECT_EQ(QueryText(*db, "SELECT name FROM schema_migrations WHERE version = 2"), "create b");
  const std::string applied_at =
      QueryText(*db, "SELECT applied_at FROM schema_migrations WHERE version = 1");
  EXPECT_TRUE(base::ParseRfc3339(applied_at).has_value()) << applied_at;

  auto version = SchemaVersion(*db);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 2);

  auto again = ApplyMigrations(*db, TwoMigrations());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM a"), 1);  // migration 1 ran once
}

TEST_F(SqliteTest, ReopenAppliesNothingAndLaterAppliesOnlyNewMigrations) {
  std::vector<Migration> migrations = TwoMigrations();
  {
    auto db = OpenDb();
    ASSERT_TRUE(db);
    auto first = ApplyMigrations(*db, {migrations[0]});
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, 1);
  }
  {
    auto db = OpenDb();
    ASSERT_TRUE(db);
    auto second = ApplyMigrations(*db, {migrations[0]});
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, 0);
  }
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto third = ApplyMigrations(*db, migrations);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 1);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM a"), 1);
  EXPECT_EQ(*SchemaVersion(*db), 2);
}

TEST_F(SqliteTest, SchemaVersionOfFreshDatabaseIsZero) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto version = SchemaVersion(*db);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 0);
}

TEST_F(SqliteTest, FailingMigrationRollsBackLeavingPreviousVersion) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  std::vector<Migration> migrations = {
      {1, "good", "CREATE TABLE a (x INTEGER)"},
      // The first statement succeeds, the second fails: neither may remain.
      {2, "bad", "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1);"},
      {3, "never reached", "CREATE TABLE c (z INTEGER)"},
  };
  auto applied = ApplyMigrations(*db, migrations);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(applied.error().log_detail.find("migration 2 (bad)"), std::string::npos)
      << applied.error().log_detail;
  EXPECT_NE(applied.error().log_detail.find("no_such_table"), std::string::npos);
  EXPECT_EQ(applied.error().public_message.find("no_such_table"), std::string::npos);

  EXPECT_EQ(*SchemaVersion(*db), 1);
  EXPECT_TRUE(TableExists(*db, "a"));
  EXPECT_FALSE(TableExists(*db, "b"));
  EXPECT_FALSE(TableExists(*db, "c"));

  // Once fixed, the run continues where it stopped.
  migrations[1].sql = "CREATE TABLE b (y INTEGER)";
  auto retried = ApplyMigrations(*db, migrations);
  ASSERT_TRUE(retried) << retried.error().log_detail;
  EXPECT_EQ(*retried, 2);
  EXPECT_TRUE(TableExists(*db, "c"));
}

TEST_F(SqliteTest, DatabaseFromNewerVersionIsRefused) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(ApplyMigrations(*db, TwoMigrations()));
  auto older = ApplyMigrations(*db, {TwoMigrations()[0]});
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, base::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(older.error().problem_code, "schema_too_new");
  auto none = ApplyMigrations(*db, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().problem_code, "schema_too_new");
}

TEST_F(SqliteTest, MigrationsOutOfOrderAreRejected) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  std::vector<Migration> migrations = {{2, "two", "SELECT 1"}, {1, "one", "SELECT 1"}};
  auto applied = ApplyMigrations(*db, migrations);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, base::ErrorCode::kInternal);
  EXPECT_FALSE(TableExists(*db, "schema_migrations"));
}

TEST_F(SqliteTest, TransactionRollsBackOnDestruction) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)"));
  {
    auto tx = db->Begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), 1);  // visible inside
  }
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), 0);
  // And the connection is usable for a new transaction afterwards.
  auto tx = db->Begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(tx->Rollback());
}

TEST_F(SqliteTest, CommittedTransactionPersistsAcrossConnections) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)"));
  {
    auto tx = db->Begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(tx->Commit());
    auto twice = tx->Commit();
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, base::ErrorCode::kInternal);
  }
  auto other = OpenDb();
  ASSERT_TRUE(other);
  EXPECT_EQ(QueryInt(*other, "SELECT count(*) FROM t"), 1);
}

TEST_F(SqliteTest, MovedTransactionRollsBackOnce) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)"));
  {
    auto tx = db->Begin();
    ASSERT_TRUE(tx);
    Transaction moved = std::move(*tx);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), 0);
}

TEST_F(SqliteTest, SecondWriterIsUnavailableWhileFirstHoldsTheLock) {
  auto first = OpenDb();
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->Exec("CREATE TABLE t (x INTEGER)"));
  OpenOptions impatient;
  impatient.busy_timeout = std::chrono::milliseconds(0);
  auto second = OpenDb(impatient);
  ASSERT_TRUE(second);

  auto tx = first->Begin();
  ASSERT_TRUE(tx);
  auto blocked = second->Begin();
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, base::ErrorCode::kUnavailable);
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_EQ(QueryInt(*second, "SELECT count(*) FROM t"), 0);
  ASSERT_TRUE(tx->Commit());
  auto now_free = second->Begin();
  EXPECT_TRUE(now_free);
}

TEST_F(SqliteTest, UniqueAndPrimaryKeyViolationsAreDetectable) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE)"));
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES ('1', 'acme')"));

  auto st = db->Prepare("INSERT INTO t VALUES (?, ?)");
  ASSERT_TRUE(st);
  st->Bind(1, "2").Bind(2, "acme");
  auto dup_slug = st->Step();
  ASSERT_FALSE(dup_slug);
  EXPECT_TRUE(IsUniqueViolation(dup_slug.error()));
  EXPECT_EQ(dup_slug.error().code, base::ErrorCode::kAlreadyExists);
  EXPECT_NE(dup_slug.error().log_detail.find("t.slug"), std::string::npos);
  EXPECT_EQ(dup_slug.error().public_message.find("t.slug"), std::string::npos);

  st->Reset();
  st->Bind(1, "1").Bind(2, "other");
  auto dup_id = st->Step();
  ASSERT_FALSE(dup_id);
  EXPECT_TRUE(IsUniqueViolation(dup_id.error()));

  st->Reset();
  st->Bind(1, "3").Bind(2, std::nullopt);
  auto not_null = st->Step();
  ASSERT_FALSE(not_null);
  EXPECT_FALSE(IsUniqueViolation(not_null.error()));
  EXPECT_EQ(not_null.error().code, base::ErrorCode::kInternal);
}

TEST_F(SqliteTest, BindAndColumnsRoundTripEveryType) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, e TEXT, n TEXT)"));
  const std::string with_nul("a\0b", 3);
  {
    auto st = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
    ASSERT_TRUE(st);
    st->Bind(1, int64_t{1} << 40).Bind(2, 2.5).Bind(3, with_nul).Bind(4, std::string_view());
    st->BindOptional(5, std::nullopt);
    auto done = st->Step();
    ASSERT_TRUE(done);
    EXPECT_FALSE(*done);
    EXPECT_EQ(db->Changes(), 1);
    EXPECT_EQ(db->LastInsertRowId(), 1);
  }
  auto st = db->Prepare("SELECT i, d, s, e, n FROM t");
  ASSERT_TRUE(st);
  auto row = st->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(st->ColumnCount(), 5);
  EXPECT_EQ(st->ColumnInt64(0), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(st->ColumnDouble(1), 2.5);
  EXPECT_EQ(st->ColumnText(2), with_nul);
  // An empty string stays an empty string, not NULL.
  EXPECT_FALSE(st->ColumnIsNull(3));
  EXPECT_EQ(st->ColumnOptionalText(3), std::optional<std::string>(""));
  EXPECT_TRUE(st->ColumnIsNull(4));
  EXPECT_EQ(st->ColumnOptionalText(4), std::nullopt);
  auto end = st->Step();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

TEST_F(SqliteTest, StatementCacheReusesStatementWithFreshBindings) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x TEXT)"));
  const std::string_view sql = "INSERT INTO t VALUES (?)";
  {
    auto st = db->Prepare(sql);
    ASSERT_TRUE(st);
    st->Bind(1, "first");
    ASSERT_TRUE(st->Step());
  }
  EXPECT_EQ(db->CachedStatementCount(), 1u);
  {
    // Reused statement: the previous binding must not leak into this run.
    auto st = db->Prepare(sql);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Step());
  }
  EXPECT_EQ(db->CachedStatementCount(), 1u);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t WHERE x IS NULL"), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t WHERE x = 'first'"), 1);
}

TEST_F(SqliteTest, SameSqlInUseTwiceGetsASeparateStatement) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);"));
  const std::string_view sql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  auto outer = db->Prepare(sql);
  ASSERT_TRUE(outer);
  outer->Bind(1, 1);
  int outer_rows = 0;
  for (;;) {
    auto row = outer->Step();
    ASSERT_TRUE(row);
    if (!*row) break;
    ++outer_rows;
    auto inner = db->Prepare(sql);  // the cached one is busy with the outer loop
    ASSERT_TRUE(inner);
    inner->Bind(1, 2);
    auto inner_row = inner->Step();
    ASSERT_TRUE(inner_row && *inner_row);
    EXPECT_EQ(inner->ColumnInt64(0), 2);
  }
  EXPECT_EQ(outer_rows, 2);
  EXPECT_EQ(db->CachedStatementCount(), 1u);
}

TEST_F(SqliteTest, StatementCacheIsBoundedByCapacity) {
  OpenOptions options;
  options.statement_cache_capacity = 1;
  auto db = OpenDb(options);
  ASSERT_TRUE(db);
  EXPECT_EQ(QueryInt(*db, "SELECT 1"), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT 2"), 2);
  EXPECT_EQ(QueryInt(*db, "SELECT 2"), 2);
  EXPECT_EQ(db->CachedStatementCount(), 1u);
}

TEST_F(SqliteTest, MovedStatementKeepsWorking) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto st = db->Prepare("SELECT ? + 1");
  ASSERT_TRUE(st);
  Statement moved = std::move(*st);
  moved.Bind(1, 41);
  auto row = moved.Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(moved.ColumnInt64(0), 42);
}

TEST_F(SqliteTest, BindErrorIsReportedByStep) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto st = db->Prepare("SELECT ?");
  ASSERT_TRUE(st);
  st->Bind(3, 1).Bind(1, 1);
  auto row = st->Step();
  ASSERT_FALSE(row);
  EXPECT_EQ(row.error().code, base::ErrorCode::kInternal);
  st->Reset();  // clears the deferred error
  st->Bind(1, 5);
  auto ok = st->Step();
  ASSERT_TRUE(ok && *ok);
  EXPECT_EQ(st->ColumnInt64(0), 5);
}

TEST_F(SqliteTest, PrepareRejectsMoreThanOneStatementAndBadSql) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto two = db->Prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, base::ErrorCode::kInternal);
  EXPECT_TRUE(db->Prepare("SELECT 1;  \n"));
  auto bad = db->Prepare("SELEC 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(bad.error().log_detail.find("syntax error"), std::string::npos);
  EXPECT_EQ(bad.error().public_message.find("SELEC"), std::string::npos);
}

TEST_F(SqliteTest, DoubleQuotedStringLiteralsAreRejected) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x TEXT)"));
  EXPECT_FALSE(db->Exec("INSERT INTO t VALUES (\"oops\")"));
}

}  // namespace
}  // namespace tenantd::storage::sqlite
