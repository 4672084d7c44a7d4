#include "tenant_db/tenant_databases.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "tenant_db/migrations.h"

namespace tenantd::tenant_db {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// True when the statement produced a row.
bool Row(storage::sqlite::Statement& st) {
  auto row = st.Step();
  return row && *row;
}

constexpr std::string_view kTenant = "ten_01JTESTTESTTESTTESTTESTTE";

std::vector<storage::Migration> TwoSteps() {
  return {{1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
          {2, "thing names", "CREATE INDEX things_name ON things (name);"}};
}

int UserVersion(const fs::path& path) {
  auto db = storage::sqlite::Connection::Open(path, {.create_if_missing = false});
  if (!db) return -1;
  auto st = (*db)->Prepare("PRAGMA user_version");
  if (!st || !Row(*st)) return -1;
  return static_cast<int>(st->ColumnInt64(0));
}

std::vector<std::string> FilesIn(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(BuiltInMigrations, AreNumberedFromOneAndIncrease) {
  const auto& m = BuiltInMigrations();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().version, 1);
  EXPECT_EQ(m.front().name, "products");
  for (std::size_t i = 1; i < m.size(); ++i) EXPECT_GT(m[i].version, m[i - 1].version);
  for (const auto& migration : m) EXPECT_FALSE(migration.sql.empty());
}

TEST(TenantDatabases, ProvisionCreatesAFullyMigratedDatabaseAndNothingElse) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), BuiltInMigrations());
  ASSERT_TRUE(dbs.Provision(kTenant));
  EXPECT_EQ(dbs.PathOf(kTenant), dir.path() / "tenants" / (std::string(kTenant) + ".db"));
  EXPECT_EQ(TenantDatabases::RelativePath(kTenant), "tenants/" + std::string(kTenant) + ".db");
  // No temporary, no WAL left behind: the file alone is the database.
  EXPECT_EQ(FilesIn(dir.path() / "tenants"),
            std::vector<std::string>{std::string(kTenant) + ".db"});
  EXPECT_EQ(UserVersion(dbs.PathOf(kTenant)), dbs.LatestVersion());
  auto version = dbs.Version(kTenant);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, dbs.LatestVersion());
  // A tenant connection keeps its WAL and shared-memory files once closed
  // (OpenOptions::persist_wal), the WAL empty.
  const std::string db = dbs.PathOf(kTenant).string();
  ASSERT_TRUE(std::filesystem::exists(db + "-wal"));
  EXPECT_EQ(std::filesystem::file_size(db + "-wal"), 0u);
}

TEST(TenantDatabases, ProvisionRefusesToOverwriteAnExistingDatabase) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), TwoSteps());
  ASSERT_TRUE(dbs.Provision(kTenant));
  {
    auto db = dbs.Open(kTenant);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("INSERT INTO things (name) VALUES ('kept')"));
  }
  auto again = dbs.Provision(kTenant);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
  auto db = dbs.Open(kTenant);
  ASSERT_TRUE(db);
  auto st = (*db)->Prepare("SELECT count(*) FROM things");
  ASSERT_TRUE(st && Row(*st));
  EXPECT_EQ(st->ColumnInt64(0), 1);
}

TEST(TenantDatabases, AFailingMigrationLeavesNoFileAtAll) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), {{1, "ok", "CREATE TABLE a (x);"}, {2, "broken", "NOT SQL"}});
  auto st = dbs.Provision(kTenant);
  ASSERT_FALSE(st);
  EXPECT_TRUE(FilesIn(dir.path() / "tenants").empty());
}

TEST(TenantDatabases, MigrateAppliesOnlyWhatIsMissing) {
  TempDir dir;
  TenantDatabases v1(dir.path(), {TwoSteps()[0]});
  ASSERT_TRUE(v1.Provision(kTenant));
  TenantDatabases v2(dir.path(), TwoSteps());
  auto outcome = v2.Migrate(kTenant);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->from, 1);
  EXPECT_EQ(outcome->to, 2);
  EXPECT_FALSE(outcome->created);
  auto again = v2.Migrate(kTenant);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->from, 2);
  EXPECT_EQ(again->to, 2);
}

TEST(TenantDatabases, MigrateStopsAtTheLastGoodVersion) {
  TempDir dir;
  TenantDatabases v1(dir.path(), {TwoSteps()[0]});
  ASSERT_TRUE(v1.Provision(kTenant));
  TenantDatabases broken(dir.path(),
                         {TwoSteps()[0], TwoSteps()[1], {3, "broken", "CREATE TABLE things (x);"}});
  auto outcome = broken.Migrate(kTenant);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().log_detail.find("migration 3"), std::string::npos)
      << outcome.error().log_detail;
  EXPECT_EQ(UserVersion(broken.PathOf(kTenant)), 2);
}

TEST(TenantDatabases, MigrateProvisionsAMissingDatabase) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), TwoSteps());
  auto outcome = dbs.Migrate(kTenant);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->created);
  EXPECT_EQ(UserVersion(dbs.PathOf(kTenant)), 2);
}

TEST(TenantDatabases, OlderCodeRefusesANewerSchema) {
  TempDir dir;
  TenantDatabases v2(dir.path(), TwoSteps());
  ASSERT_TRUE(v2.Provision(kTenant));
  TenantDatabases v1(dir.path(), {TwoSteps()[0]});
  auto outcome = v1.Migrate(kTenant);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().problem_code, "schema_too_new");
}

TEST(TenantDatabases, RemoveDeletesTheDatabaseAndIsIdempotent) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), TwoSteps());
  ASSERT_TRUE(dbs.Provision(kTenant));
  ASSERT_TRUE(dbs.Remove(kTenant));
  EXPECT_FALSE(fs::exists(dbs.PathOf(kTenant)));
  EXPECT_TRUE(dbs.Remove(kTenant));
  auto open = dbs.Open(kTenant);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().problem_code, "tenant_database_missing");
}

TEST(TenantDatabases, RemoveOrphansKeepsKnownTenantsAndUnrelatedFiles) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), TwoSteps());
  const std::string known = "ten_01JKNOWNKNOWNKNOWNKNOWNKN";
  const std::string orphan = "ten_01JORPHANORPHANORPHANORP";
  ASSERT_TRUE(dbs.Provision(known));
  ASSERT_TRUE(dbs.Provision(orphan));
  const fs::path tenants = dir.path() / "tenants";
  dir.Write("tenants/" + orphan + ".db-wal", "x");
  dir.Write("tenants/ten_01JHALFHALFHALFHALFHALFHA.db.provisioning", "half");
  dir.Write("tenants/README.txt", "operator notes");
  auto removed = dbs.RemoveOrphans([&](std::string_view id) { return id == known; });
  ASSERT_TRUE(removed) << removed.error().log_detail;
  EXPECT_EQ(removed->size(), 3u);
  EXPECT_EQ(FilesIn(tenants), (std::vector<std::string>{"README.txt", known + ".db"}));
}

TEST(TenantDatabases, DriftIsEmptyForAPristineDatabase) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), BuiltInMigrations());
  ASSERT_TRUE(dbs.Provision(kTenant));
  auto drift = dbs.Drift(kTenant);
  ASSERT_TRUE(drift);
  EXPECT_TRUE(drift->empty()) << (*drift)[0];
}

TEST(TenantDatabases, DriftNamesMissingChangedAndUnexpectedObjects) {
  TempDir dir;
  TenantDatabases dbs(dir.path(), TwoSteps());
  ASSERT_TRUE(dbs.Provision(kTenant));
  {
    auto db = dbs.Open(kTenant);
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        (*db)->Exec("DROP INDEX things_name; CREATE TABLE extra (x);"
                    "ALTER TABLE things ADD COLUMN colour TEXT;"));
  }
  auto drift = dbs.Drift(kTenant);
  ASSERT_TRUE(drift);
  ASSERT_EQ(drift->size(), 3u);
  std::string all;
  for (const auto& d : *drift) all += d + "\n";
  EXPECT_NE(all.find("missing index things_name"), std::string::npos) << all;
  EXPECT_NE(all.find("changed table things"), std::string::npos) << all;
  EXPECT_NE(all.find("unexpected table extra"), std::string::npos) << all;
}

TEST(TenantDatabases, DriftComparesWithTheTenantsOwnVersion) {
  TempDir dir;
  TenantDatabases v1(dir.path(), {TwoSteps()[0]});
  ASSERT_TRUE(v1.Provision(kTenant));
  // A tenant one migration behind is late, not drifted.
  TenantDatabases v2(dir.path(), TwoSteps());
  auto drift = v2.Drift(kTenant);
  ASSERT_TRUE(drift);
  EXPECT_TRUE(drift->empty());
}

}  // namespace
}  // namespace tenantd::tenant_db
