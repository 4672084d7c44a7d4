#include "tenant_db/provisioning.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "control_store_for_tests.h"
#include "crypto/secret_box.h"
#include "temp_dir.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {
namespace {

using test::Await;

namespace fs = std::filesystem;
using test::TempDir;

// True when the statement produced a row.
bool Row(storage::sqlite::Statement& st) {
  auto row = st.Step();
  return row && *row;
}

std::vector<storage::Migration> Schema() { return {{1, "notes", "CREATE TABLE notes (x);"}}; }

control::NewTenant Named(std::string slug) {
  control::NewTenant t;
  t.slug = std::move(slug);
  t.name = "Acme";
  return t;
}

class ProvisioningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x42')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    auto store = test::OpenControlStore(dir_.path(), *box_);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  bool HasDatabase(const std::string& id) const { return fs::exists(dbs_.PathOf(id)); }

  TempDir dir_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> store_;
  TenantDatabases dbs_{dir_.path(), Schema()};
};

TEST_F(ProvisioningTest, CreatingATenantCreatesItsDatabaseAndRecordsWhereItIs) {
  auto created = Await(CreateTenant(*store_, dbs_, Named("acme")));
  ASSERT_TRUE(created) << created.error().log_detail;
  const std::string id = created->tenant.id;
  EXPECT_TRUE(HasDatabase(id));
  auto version = dbs_.Version(id);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 1);
  auto location = Await(store_->DatabaseLocation(id));
  ASSERT_TRUE(location);
  ASSERT_TRUE(location->has_value());
  const auto record = boost::json::parse(**location).as_object();
  EXPECT_EQ(record.at("engine").as_string(), "sqlite");
  EXPECT_EQ(record.at("path").as_string(), TenantDatabases::RelativePath(id));
}

TEST_F(ProvisioningTest, TheLocationIsSealedAtRest) {
  auto created = Await(CreateTenant(*store_, dbs_, Named("acme")));
  ASSERT_TRUE(created);
  auto db = storage::sqlite::Connection::Open(dir_.path() / "control.db");
  ASSERT_TRUE(db);
  auto st = (*db)->Prepare("SELECT db_location_sealed FROM tenants");
  ASSERT_TRUE(st && Row(*st));
  EXPECT_FALSE(st->ColumnIsNull(0));
  EXPECT_EQ(st->ColumnText(0).find("sqlite"), std::string::npos);
}

TEST_F(ProvisioningTest, ADuplicateSlugCreatesNoDatabase) {
  ASSERT_TRUE(Await(CreateTenant(*store_, dbs_, Named("acme"))));
  auto dup = Await(CreateTenant(*store_, dbs_, Named("acme")));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().problem_code, "slug_taken");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() / "tenants")) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(ProvisioningTest, AFailedDatabaseLeavesNoTenantRow) {
  TenantDatabases broken(dir_.path(), {{1, "broken", "THIS IS NOT SQL"}});
  auto created = Await(CreateTenant(*store_, broken, Named("acme")));
  ASSERT_FALSE(created);
  auto found = Await(store_->FindTenant("acme"));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
  // The slug is free again.
  EXPECT_TRUE(Await(CreateTenant(*store_, dbs_, Named("acme"))));
}

TEST_F(ProvisioningTest, PurgeRemovesRowThenDatabaseAndClosesPooledHandles) {
  auto created = Await(CreateTenant(*store_, dbs_, Named("acme")));
  ASSERT_TRUE(created);
  const std::string id = created->tenant.id;
  TenantDbPool pool(dbs_, {});
  { ASSERT_TRUE(pool.Acquire(id)); }
  EXPECT_EQ(pool.Stats().open, 1u);
  auto purged = Await(PurgeTenant(*store_, dbs_, &pool, "acme"));
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->id, id);
  EXPECT_FALSE(HasDatabase(id));
  EXPECT_EQ(pool.Stats().open, 0u);
  auto found = Await(store_->FindTenant(id));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
  auto again = Await(PurgeTenant(*store_, dbs_, &pool, id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kNotFound);
}

TEST_F(ProvisioningTest, OrphanCleanupKeepsEveryTenantsDatabase) {
  auto kept = Await(CreateTenant(*store_, dbs_, Named("kept")));
  auto deleted = Await(CreateTenant(*store_, dbs_, Named("deleted")));
  ASSERT_TRUE(kept && deleted);
  ASSERT_TRUE(Await(store_->DeleteTenant("deleted")));  // data kept until purged
  const std::string orphan = "ten_01JORPHANORPHANORPHANORP";
  ASSERT_TRUE(dbs_.Provision(orphan));
  auto removed = Await(RemoveOrphanDatabases(*store_, dbs_));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, std::vector<std::string>{orphan + ".db"});
  EXPECT_TRUE(HasDatabase(kept->tenant.id));
  EXPECT_TRUE(HasDatabase(deleted->tenant.id));
  EXPECT_FALSE(HasDatabase(orphan));
}

}  // namespace
}  // namespace tenantd::tenant_db
