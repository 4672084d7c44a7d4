#include "tenant_db/tenant_data.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "await.h"
#include "temp_dir.h"
#include "tenant_db/migrations.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {
namespace {

using test::Await;

constexpr std::string_view kA = "ten_01JDATA00000000000000000A1";
constexpr std::string_view kB = "ten_01JDATA00000000000000000B2";

class TenantDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::string_view id : {kA, kB}) {
      auto provisioned = databases_.Provision(id);
      ASSERT_TRUE(provisioned) << provisioned.error().log_detail;
    }
  }

  std::unique_ptr<storage::Transaction> MustBegin(std::string_view tenant, Access access) {
    auto tx = Await(data_.Begin(tenant, access));
    if (!tx) throw std::runtime_error("begin: " + tx.error().log_detail);
    return std::move(*tx);
  }

  int64_t Count(storage::Transaction& tx) {
    auto rows = Await(tx.Query("SELECT count(*) FROM products"));
    if (!rows || rows->empty()) throw std::runtime_error("count failed");
    return rows->front().Int64(0);
  }

  void Insert(storage::Transaction& tx, std::string_view id, std::string_view sku) {
    auto inserted = Await(
        tx.Exec("INSERT INTO products (id, sku, name, price_cents, currency, attributes, version,"
                " created_at, updated_at) VALUES ($1, $2, 'n', 1, 'USD', '{}', 1, 't', 't')",
                id, sku));
    if (!inserted) throw std::runtime_error("insert: " + inserted.error().log_detail);
  }

  int64_t CountIn(std::string_view tenant) {
    auto tx = MustBegin(tenant, Access::kRead);
    return Count(*tx);
  }

  test::TempDir tmp_;
  TenantDatabases databases_{tmp_.path(), BuiltInMigrations()};
  TenantDbPool pool_{databases_, PoolOptions{}};
  TenantData data_{pool_};
};

TEST_F(TenantDataTest, AWriteCountsOnlyOnceCommittedAndOnlyForItsTenant) {
  {
    auto tx = MustBegin(kA, Access::kWrite);
    Insert(*tx, "prd_1", "dropped");
  }  // not committed: rolled back
  EXPECT_EQ(CountIn(kA), 0);
  {
    auto tx = MustBegin(kA, Access::kWrite);
    Insert(*tx, "prd_2", "kept");
    ASSERT_TRUE(Await(tx->Commit()));
  }
  EXPECT_EQ(CountIn(kA), 1);
  EXPECT_EQ(CountIn(kB), 0) << "another tenant's transaction sees its own data only";
}

TEST_F(TenantDataTest, TellsOfEachCommittedWriteOnlyAndOfItsTenant) {
  std::vector<std::string> told;
  TenantData data(pool_, [&told](std::string_view id) { told.emplace_back(id); });
  auto begin = [&data](std::string_view tenant, Access access) {
    auto tx = Await(data.Begin(tenant, access));
    if (!tx) throw std::runtime_error("begin: " + tx.error().log_detail);
    return std::move(*tx);
  };
  {
    auto tx = begin(kA, Access::kWrite);
    Insert(*tx, "prd_1", "dropped");
  }  // rolled back: nothing changed
  {
    auto tx = begin(kB, Access::kRead);
    ASSERT_TRUE(Await(tx->Commit()));
  }  // a read changes nothing
  EXPECT_TRUE(told.empty());
  {
    auto tx = begin(kB, Access::kWrite);
    Insert(*tx, "prd_2", "kept");
    ASSERT_TRUE(Await(tx->Commit()));
  }
  EXPECT_EQ(told, std::vector<std::string>{std::string(kB)});
}

TEST_F(TenantDataTest, AReadTakesNoWriteLockAndSeesOneSnapshot) {
  auto reader = MustBegin(kA, Access::kRead);
  auto other_reader = MustBegin(kA, Access::kRead);
  EXPECT_EQ(Count(*reader), 0);
  EXPECT_EQ(Count(*other_reader), 0);
  // Readers hold no write lock: a writer begins (BEGIN IMMEDIATE would
  // wait out the busy timeout and fail otherwise) and commits meanwhile.
  auto writer = MustBegin(kA, Access::kWrite);
  Insert(*writer, "prd_3", "new");
  ASSERT_TRUE(Await(writer->Commit()));
  EXPECT_EQ(Count(*reader), 0) << "a read transaction keeps the snapshot it started";
  reader.reset();
  EXPECT_EQ(CountIn(kA), 1);
}

TEST_F(TenantDataTest, ASecondCommitIsAnErrorNotASilentNoOp) {
  auto tx = MustBegin(kA, Access::kWrite);
  ASSERT_TRUE(Await(tx->Commit()));
  EXPECT_FALSE(Await(tx->Commit()));
}

TEST_F(TenantDataTest, ATenantWithoutADatabaseIsUnavailableNotAnError) {
  auto tx = Await(data_.Begin("ten_01JDATA00000000000000000ZZ", Access::kRead));
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(tx.error().problem_code, "tenant_migrating");
}

TEST_F(TenantDataTest, ConnectionsGoBackToThePoolWhenTransactionsEnd) {
  {
    auto a = MustBegin(kA, Access::kRead);
    auto b = MustBegin(kA, Access::kRead);
    EXPECT_EQ(pool_.Stats().leased, 2u);
  }
  EXPECT_EQ(pool_.Stats().leased, 0u);
  const uint64_t misses = pool_.Stats().misses;
  { auto again = MustBegin(kA, Access::kRead); }
  EXPECT_EQ(pool_.Stats().misses, misses) << "served by a kept connection";
}

// A miss opens the database on the pool's open threads, never on the
// event loop: with the only open thread held up, a warm tenant is still
// served at once on the loop while a cold one waits for the thread.
TEST_F(TenantDataTest, AMissOpensOnThePoolsThreadsWhileAHitIsServedOnTheLoop) {
  TenantDbPool pool(databases_, {.open_threads = 1});
  TenantData data(pool);
  ASSERT_NE(pool.openers(), nullptr);
  { ASSERT_TRUE(Await(data.Begin(kA, Access::kRead))); }  // kA warm now
  std::promise<void> gate;
  std::shared_future<void> opened_gate = gate.get_future().share();
  boost::asio::post(*pool.openers(), [opened_gate] { opened_gate.wait(); });

  boost::asio::io_context loop;
  // Lets the thread go even when an assertion below returns early
  // (declared after the loop: the opened handle comes back to a live loop).
  struct Opener {
    std::promise<void>& gate;
    bool released = false;
    void Release() {
      if (!released) gate.set_value();
      released = true;
    }
    ~Opener() { Release(); }
  } opener{gate};
  auto warm = boost::asio::co_spawn(loop, data.Begin(kA, Access::kRead), boost::asio::use_future);
  auto cold = boost::asio::co_spawn(loop, data.Begin(kB, Access::kRead), boost::asio::use_future);
  loop.poll();
  ASSERT_EQ(warm.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(warm.get());
  EXPECT_EQ(cold.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the cold tenant is opened by the held-up thread, not on the loop";
  opener.Release();
  loop.run();
  auto tx = cold.get();
  ASSERT_TRUE(tx) << tx.error().log_detail;
  EXPECT_EQ(Count(**tx), 0);
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.hits, 1u);
}

}  // namespace
}  // namespace tenantd::tenant_db
