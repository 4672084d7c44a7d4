// usage::PooledTotals: idle handles are read as they are, closed databases
// opened only up to the cap of one flush.
#include "usage/pooled_totals.h"

#include <gtest/gtest.h>

#include <string_view>

#include "temp_dir.h"
#include "tenant_db/migrations.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::usage {
namespace {

constexpr std::string_view kOpen = "ten_01JTOTALS0000000000000OPEN";
constexpr std::string_view kCold1 = "ten_01JTOTALS000000000000COLD1";
constexpr std::string_view kCold2 = "ten_01JTOTALS000000000000COLD2";

TEST(PooledTotals, ReadsIdleHandlesFreelyAndOpensAtMostTheCap) {
  test::TempDir tmp;
  tenant_db::TenantDatabases databases(tmp.path(), tenant_db::BuiltInMigrations());
  for (std::string_view id : {kOpen, kCold1, kCold2}) {
    ASSERT_TRUE(databases.Provision(id));
  }
  tenant_db::TenantDbPool pool(databases, tenant_db::PoolOptions{});
  { ASSERT_TRUE(pool.Acquire(kOpen)); }  // open, then idle
  const auto before = pool.Stats();

  auto totals = PooledTotals(pool, /*cold_opens=*/1);
  auto open = totals(kOpen);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->files, 0);
  EXPECT_EQ(open->bytes, 0);
  EXPECT_EQ(pool.Stats().misses, before.misses) << "an idle handle is read without an open";

  EXPECT_TRUE(totals(kCold1)) << "within the cap";
  EXPECT_EQ(pool.Stats().misses, before.misses + 1);
  EXPECT_FALSE(totals(kCold2)) << "past the cap: left for the next flush";
  EXPECT_EQ(pool.Stats().misses, before.misses + 1);
  EXPECT_TRUE(totals(kOpen)) << "idle handles stay readable past the cap";

  EXPECT_TRUE(PooledTotals(pool, 1)(kCold2)) << "the next flush has a cap of its own";
}

}  // namespace
}  // namespace tenantd::usage
