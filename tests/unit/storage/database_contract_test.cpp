// The storage seam's contract (storage/database.h), run against every
// engine: SQLite in a temporary file, and a real PostgreSQL (a fresh
// database on the cluster the test harness started).
#include <gtest/gtest.h>

#include <string>

#include "await.h"
#include "storage/database.h"
#include "storage/migrate.h"
#include "storage_engines.h"

namespace tenantd::storage {
namespace {

using test::Await;

template <class Engine>
class DatabaseContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = engine_.Open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(Await(db_->Exec(
        "CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, note TEXT)")));
  }

  base::Result<Rows> Query(std::string_view sql, Params params = {}) {
    return Await(db_->Query(sql, std::move(params)));
  }
  int64_t Count() {
    auto rows = Query("SELECT count(*) FROM items");
    return rows ? rows->front().Int64(0) : -1;
  }

  Engine engine_;
  std::unique_ptr<Database> db_;
};

TYPED_TEST_SUITE(DatabaseContractTest, test::StorageEngines, test::StorageEngineNames);

TYPED_TEST(DatabaseContractTest, BindsNumberedPlaceholdersInAnyOrderAndRepeated) {
  ASSERT_TRUE(this->Query("INSERT INTO items (id, n, r, note) VALUES ($2, $1, $3, $2)",
                          {int64_t{42}, std::string("a"), 1.5}));
  auto rows = this->Query("SELECT id, n, r, note FROM items WHERE id = $1 AND n = $2",
                          {std::string("a"), int64_t{42}});
  ASSERT_TRUE(rows) << rows.error().log_detail;
  ASSERT_EQ(rows->size(), 1u);
  const Row& row = rows->front();
  EXPECT_EQ(row.Text(0), "a");
  EXPECT_EQ(row.Int64(1), 42);
  EXPECT_DOUBLE_EQ(row.Double(2), 1.5);
  EXPECT_EQ(row.Text(3), "a");
}

TYPED_TEST(DatabaseContractTest, NullsAndLargeNumbersRoundTrip) {
  ASSERT_TRUE(this->Query("INSERT INTO items (id, n, note) VALUES ($1, $2, $3)",
                          {std::string("big"), int64_t{INT64_MAX}, std::monostate{}}));
  auto rows = this->Query("SELECT n, note, r FROM items");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->front().Int64(0), INT64_MAX);
  EXPECT_TRUE(rows->front().IsNull(1));
  EXPECT_EQ(rows->front().OptionalText(1), std::nullopt);
  EXPECT_EQ(rows->front().Text(1), "");
  EXPECT_EQ(rows->front().OptionalInt64(2), std::nullopt);
}

TYPED_TEST(DatabaseContractTest, TextIsBoundAsDataNeverAsSql) {
  const std::string hostile = "x'); DROP TABLE items; --";
  ASSERT_TRUE(this->Query("INSERT INTO items (id) VALUES ($1)", {hostile}));
  auto rows = this->Query("SELECT id FROM items");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->front().Text(0), hostile);
}

TYPED_TEST(DatabaseContractTest, ReportsRowsAffected) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(this->Query("INSERT INTO items (id, n) VALUES ($1, 1)", {std::string(id)}));
  }
  auto updated = this->Query("UPDATE items SET n = 2 WHERE id <> $1", {std::string("a")});
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->affected, 2);
  auto selected = this->Query("SELECT id FROM items");
  ASSERT_TRUE(selected);
  EXPECT_EQ(selected->affected, 0);
}

TYPED_TEST(DatabaseContractTest, ReturningGivesTheWrittenRow) {
  auto rows = this->Query("INSERT INTO items (id, n) VALUES ($1, $2) RETURNING id, n",
                          {std::string("r"), int64_t{7}});
  ASSERT_TRUE(rows) << rows.error().log_detail;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().Int64(1), 7);
}

TYPED_TEST(DatabaseContractTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(this->Query("INSERT INTO items (id) VALUES ($1)", {std::string("dup")}));
  auto again = this->Query("INSERT INTO items (id) VALUES ($1)", {std::string("dup")});
  ASSERT_FALSE(again);
  EXPECT_TRUE(IsUniqueViolation(again.error()));
  EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
  // The engine's message stays in the log detail.
  EXPECT_EQ(again.error().public_message.find("items"), std::string::npos);
}

TYPED_TEST(DatabaseContractTest, SqlErrorIsInternalWithDetailForTheLogOnly) {
  auto bad = this->Query("SELECT nope FROM items");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(bad.error().log_detail.find("nope"), std::string::npos);
  EXPECT_EQ(bad.error().public_message.find("nope"), std::string::npos);
}

TYPED_TEST(DatabaseContractTest, MissingParameterIsAnErrorNotANull) {
  auto bad = this->Query("SELECT id FROM items WHERE id = $2", {std::string("a")});
  EXPECT_FALSE(bad);
}

TYPED_TEST(DatabaseContractTest, CommittedTransactionIsKept) {
  {
    auto tx = Await(this->db_->Begin());
    ASSERT_TRUE(tx) << tx.error().log_detail;
    ASSERT_TRUE(Await((*tx)->Exec("INSERT INTO items (id) VALUES ($1)", {std::string("k")})));
    auto inside = Await((*tx)->Query("SELECT count(*) FROM items"));
    ASSERT_TRUE(inside);
    EXPECT_EQ(inside->front().Int64(0), 1);
    ASSERT_TRUE(Await((*tx)->Commit()));
  }
  EXPECT_EQ(this->Count(), 1);
}

TYPED_TEST(DatabaseContractTest, TransactionRollsBackUnlessCommitted) {
  {
    auto tx = Await(this->db_->Begin());
    ASSERT_TRUE(tx);
    ASSERT_TRUE(Await((*tx)->Exec("INSERT INTO items (id) VALUES ($1)", {std::string("gone")})));
  }
  EXPECT_EQ(this->Count(), 0);
  // The connection went back to the pool clean: a new transaction works.
  auto tx = Await(this->db_->Begin());
  ASSERT_TRUE(tx);
  ASSERT_TRUE(Await((*tx)->Exec("INSERT INTO items (id) VALUES ($1)", {std::string("new")})));
  ASSERT_TRUE(Await((*tx)->Commit()));
  EXPECT_EQ(this->Count(), 1);
}

TYPED_TEST(DatabaseContractTest, FailedStatementInTransactionRollsItAllBack) {
  ASSERT_TRUE(this->Query("INSERT INTO items (id) VALUES ($1)", {std::string("dup")}));
  {
    auto tx = Await(this->db_->Begin());
    ASSERT_TRUE(tx);
    ASSERT_TRUE(Await((*tx)->Exec("INSERT INTO items (id) VALUES ($1)", {std::string("x")})));
    EXPECT_FALSE(Await((*tx)->Exec("INSERT INTO items (id) VALUES ($1)", {std::string("dup")})));
  }
  EXPECT_EQ(this->Count(), 1);
}

TYPED_TEST(DatabaseContractTest, ExecScriptRunsSeveralStatements) {
  auto tx = Await(this->db_->Begin());
  ASSERT_TRUE(tx);
  ASSERT_TRUE(Await((*tx)->ExecScript(
      "INSERT INTO items (id) VALUES ('s1'); INSERT INTO items (id) VALUES ('s2');")));
  ASSERT_TRUE(Await((*tx)->Commit()));
  EXPECT_EQ(this->Count(), 2);
}

const std::vector<Migration>& TwoMigrations() {
  static const std::vector<Migration> migrations = {
      {1, "first", "CREATE TABLE m1 (id INTEGER PRIMARY KEY)"},
      {2, "second", "CREATE TABLE m2 (id INTEGER PRIMARY KEY) STRICT",
       "CREATE TABLE m2 (id INTEGER PRIMARY KEY)"},
  };
  return migrations;
}

TYPED_TEST(DatabaseContractTest, MigrationsApplyOnceEachWithTheirEnginesText) {
  auto applied = Await(ApplyMigrations(*this->db_, TwoMigrations()));
  ASSERT_TRUE(applied) << applied.error().log_detail;
  EXPECT_EQ(*applied, 2);
  auto again = Await(ApplyMigrations(*this->db_, TwoMigrations()));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  auto version = Await(SchemaVersion(*this->db_));
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 2);
  EXPECT_TRUE(this->Query("INSERT INTO m2 (id) VALUES (1)"));
}

TYPED_TEST(DatabaseContractTest, FailingMigrationLeavesThePreviousVersion) {
  std::vector<Migration> migrations = TwoMigrations();
  migrations.push_back({3, "broken", "CREATE TABLE m3 (id INTEGER); SELECT nope FROM m3"});
  auto applied = Await(ApplyMigrations(*this->db_, migrations));
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().log_detail.find("migration 3 (broken)"), std::string::npos);
  auto version = Await(SchemaVersion(*this->db_));
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 2);
  EXPECT_FALSE(this->Query("SELECT * FROM m3"));
}

TYPED_TEST(DatabaseContractTest, RefusesASchemaNewerThanTheCode) {
  ASSERT_TRUE(Await(ApplyMigrations(*this->db_, TwoMigrations())));
  const std::vector<Migration> older(TwoMigrations().begin(), TwoMigrations().begin() + 1);
  auto applied = Await(ApplyMigrations(*this->db_, older));
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().problem_code, "schema_too_new");
}

TYPED_TEST(DatabaseContractTest, SchemaVersionOfAnEmptyDatabaseIsZero) {
  auto version = Await(SchemaVersion(*this->db_));
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 0);
}

}  // namespace
}  // namespace tenantd::storage
