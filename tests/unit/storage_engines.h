// The engines the storage contract tests run against, as gtest types: each
// opens a fresh, empty database of its kind for one test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>

#include "storage/database.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"
#include "support/postgres_server.h"
#include "temp_dir.h"

namespace tenantd::test {

// A SQLite file in a temporary directory.
class SqliteEngine {
 public:
  std::unique_ptr<storage::Database> Open() {
    auto db = storage::OpenSqliteDatabase(dir_.path() / "test.db");
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    return db ? std::move(*db) : nullptr;
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

// A fresh database on the shared PostgreSQL cluster.
class PostgresEngine {
 public:
  std::unique_ptr<storage::Database> Open() {
    auto url = storage::ParsePostgresUrl(CreateTestDatabase());
    EXPECT_TRUE(url);
    if (!url) return nullptr;
    storage::PostgresOptions options;
    options.url = std::move(*url);
    options.max_connections = 4;
    return storage::OpenPostgresDatabase(std::move(options));
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

using StorageEngines = ::testing::Types<SqliteEngine, PostgresEngine>;

// The same, as values for TEST_P suites whose fixture opens the database
// its own way (e.g. through control::OpenControlDatabase).
enum class EngineKind { kSqlite, kPostgres };
inline const auto kEngineKinds = ::testing::Values(EngineKind::kSqlite, EngineKind::kPostgres);
inline std::string EngineKindName(const ::testing::TestParamInfo<EngineKind>& info) {
  return info.param == EngineKind::kSqlite ? "Sqlite" : "Postgres";
}

struct StorageEngineNames {
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, SqliteEngine>) return "Sqlite";
    return "Postgres";
  }
};

}  // namespace tenantd::test
