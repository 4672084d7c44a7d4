#include "tenant_db/pool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "base/background_priority.h"
#include "temp_dir.h"
#include "tenant_db/restore_marks.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {
namespace {

using test::TempDir;

// True when the statement produced a row.
bool Row(storage::sqlite::Statement& st) {
  auto row = st.Step();
  return row && *row;
}

std::vector<storage::Migration> Schema() {
  return {{1, "counters",
           "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
           "INSERT INTO counters VALUES (1, 0);"}};
}

std::string TenantId(int i) {
  std::string digits = std::to_string(i);
  return "ten_01JPOOL" + std::string(17 - digits.size(), '0') + digits;
}

class PoolTest : public ::testing::Test {
 protected:
  void Provision(int count) {
    for (int i = 0; i < count; ++i) ASSERT_TRUE(dbs_.Provision(TenantId(i)));
  }
  TempDir dir_;
  TenantDatabases dbs_{dir_.path(), Schema()};
};

TEST_F(PoolTest, ASecondLeaseOfATenantReusesTheHandle) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  storage::sqlite::Connection* first = nullptr;
  {
    auto lease = pool.Acquire(TenantId(0));
    ASSERT_TRUE(lease) << lease.error().log_detail;
    first = &lease->db();
    EXPECT_EQ(pool.Stats().leased, 1u);
  }
  auto lease = pool.Acquire(TenantId(0));
  ASSERT_TRUE(lease);
  EXPECT_EQ(&lease->db(), first);
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.open, 1u);
}

TEST_F(PoolTest, TwoLeasesAtOnceGetTwoHandles) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  auto a = pool.Acquire(TenantId(0));
  auto b = pool.Acquire(TenantId(0));
  ASSERT_TRUE(a && b);
  EXPECT_NE(&a->db(), &b->db());
  EXPECT_EQ(pool.Stats().open, 2u);
  EXPECT_EQ(pool.Stats().leased, 2u);
}

TEST_F(PoolTest, CapacityClosesTheLeastRecentlyUsedIdleHandles) {
  Provision(40);
  TenantDbPool pool(dbs_, {.capacity = 8});
  for (int i = 0; i < 40; ++i) {
    auto lease = pool.Acquire(TenantId(i));
    ASSERT_TRUE(lease);
  }
  const PoolStats s = pool.Stats();
  EXPECT_LE(s.open, 8u);
  EXPECT_EQ(s.evictions, 40u - s.open);
  EXPECT_EQ(s.misses, 40u);
}

TEST_F(PoolTest, AFullPoolClosesATenantsExtraHandleRatherThanEvictAWarmTenant) {
  Provision(2);
  TenantDbPool pool(dbs_, {.capacity = 2, .cold_after = std::chrono::hours(1), .shards = 1});
  { ASSERT_TRUE(pool.Acquire(TenantId(1))); }  // warm: used within the hour
  {
    auto a = pool.Acquire(TenantId(0));
    auto b = pool.Acquire(TenantId(0));  // two requests met: a second handle
    ASSERT_TRUE(a && b);
    EXPECT_EQ(pool.Stats().open, 3u);
  }
  // The pool was full, so one of tenant 0's two went back closed.
  EXPECT_EQ(pool.Stats().open, 2u);
  EXPECT_EQ(pool.Stats().evictions, 1u);
  { ASSERT_TRUE(pool.Acquire(TenantId(1))); }
  { ASSERT_TRUE(pool.Acquire(TenantId(0))); }
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.open, 2u);
  EXPECT_EQ(s.evictions, 1u);  // tenant 1 kept its handle
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 3u);
}

TEST_F(PoolTest, AFullPoolKeepsAHotTenantsExtraHandleByEvictingAColdTenant) {
  Provision(2);
  TenantDbPool pool(dbs_, {.capacity = 2, .cold_after = std::chrono::milliseconds(0), .shards = 1});
  { ASSERT_TRUE(pool.Acquire(TenantId(1))); }  // the cold one
  {
    auto a = pool.Acquire(TenantId(0));
    auto b = pool.Acquire(TenantId(0));
    ASSERT_TRUE(a && b);
    EXPECT_EQ(pool.Stats().open, 3u);  // leased handles are never refused
  }
  // Tenant 0 kept both handles; tenant 1 went.
  EXPECT_EQ(pool.Stats().open, 2u);
  EXPECT_EQ(pool.Stats().evictions, 1u);
  {
    auto a = pool.Acquire(TenantId(0));
    auto b = pool.Acquire(TenantId(0));
    ASSERT_TRUE(a && b);
  }
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.open, 2u);
}

TEST_F(PoolTest, LeasedHandlesAreNeverClosedForCapacity) {
  Provision(4);
  TenantDbPool pool(dbs_, {.capacity = 1});
  std::vector<TenantDbPool::Lease> held;
  for (int i = 0; i < 4; ++i) {
    auto lease = pool.Acquire(TenantId(i));
    ASSERT_TRUE(lease);
    held.push_back(std::move(*lease));
  }
  // Over capacity while all are in use, and every handle still works.
  EXPECT_EQ(pool.Stats().open, 4u);
  for (auto& lease : held) EXPECT_TRUE(lease.db().Exec("UPDATE counters SET n = n + 1"));
  held.clear();
  EXPECT_EQ(pool.Stats().open, 1u);
}

TEST_F(PoolTest, CloseIdleClosesHandlesPastTheTtlOnly) {
  Provision(2);
  TenantDbPool pool(dbs_, {.capacity = 16, .idle_ttl = std::chrono::seconds(60)});
  { ASSERT_TRUE(pool.Acquire(TenantId(0))); }
  auto busy = pool.Acquire(TenantId(1));
  ASSERT_TRUE(busy);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(pool.CloseIdle(now), 0u);
  EXPECT_EQ(pool.CloseIdle(now + std::chrono::seconds(61)), 1u);
  EXPECT_EQ(pool.Stats().open, 1u);  // the leased one stays
}

TEST_F(PoolTest, EvictClosesIdleHandlesNowAndLeasedOnesOnReturn) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  { ASSERT_TRUE(pool.Acquire(TenantId(0))); }
  auto held = pool.Acquire(TenantId(0));
  ASSERT_TRUE(held);
  auto second = pool.Acquire(TenantId(0));
  ASSERT_TRUE(second);
  { auto drop = std::move(*second); }  // back to idle
  EXPECT_EQ(pool.Stats().open, 2u);
  pool.Evict(TenantId(0));
  EXPECT_EQ(pool.Stats().open, 1u);
  { auto drop = std::move(*held); }
  EXPECT_EQ(pool.Stats().open, 0u);
  // The tenant can be leased again afresh.
  EXPECT_TRUE(pool.Acquire(TenantId(0)));
}

TEST_F(PoolTest, EvictMakesTheNextLeaseCheckTheSchemaAgain) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  auto held = pool.Acquire(TenantId(0));  // seen migrated, and kept leased
  ASSERT_TRUE(held);
  pool.Evict(TenantId(0));
  // The file is replaced meanwhile by one of an older schema (as a restore
  // of an old backup would): the next lease must notice.
  {
    auto db = storage::sqlite::Connection::Open(dbs_.PathOf(TenantId(0)), {});
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 0"));
  }
  auto lease = pool.Acquire(TenantId(0));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().problem_code, "tenant_migrating");
}

// Lowers a tenant's recorded schema version behind the pool's back, as a
// file replaced by an older one would.
void SetUserVersion(const TenantDatabases& dbs, const std::string& tenant, int version) {
  auto db = storage::sqlite::Connection::Open(dbs.PathOf(tenant), {});
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("PRAGMA user_version = " + std::to_string(version)));
}

TEST_F(PoolTest, ATenantSeenMigratedIsNotCheckedAgainWhenItsDatabaseIsReopened) {
  Provision(2);
  TenantDbPool pool(dbs_, {.capacity = 1, .shards = 1});
  { ASSERT_TRUE(pool.Acquire(TenantId(0))); }
  { ASSERT_TRUE(pool.Acquire(TenantId(1))); }  // closes tenant 0's handle
  EXPECT_EQ(pool.Stats().evictions, 1u);
  SetUserVersion(dbs_, TenantId(0), 0);
  // Reopened without the check: versions only go up (a statement fewer to
  // compile on every miss).
  { EXPECT_TRUE(pool.Acquire(TenantId(0))); }
  EXPECT_EQ(pool.Stats().misses, 3u);
  // Until Evict says the file may have been replaced.
  pool.Evict(TenantId(0));
  auto lease = pool.Acquire(TenantId(0));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().problem_code, "tenant_migrating");
}

TEST_F(PoolTest, ARestoreMarkMakesTheNextLeaseCheckTheSchemaAgain) {
  Provision(1);
  RestoreMarks marks;
  TenantDbPool pool(dbs_, {});
  pool.UseRestoreMarks(&marks);
  { ASSERT_TRUE(pool.Acquire(TenantId(0))); }
  marks.Mark(TenantId(0));  // as a restore in this or another process does
  auto restoring = pool.Acquire(TenantId(0));
  ASSERT_FALSE(restoring);
  EXPECT_EQ(restoring.error().problem_code, "tenant_restoring");
  SetUserVersion(dbs_, TenantId(0), 0);
  marks.Unmark(TenantId(0));
  auto lease = pool.Acquire(TenantId(0));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().problem_code, "tenant_migrating");
}

TEST_F(PoolTest, AcquireIdleServesOnlyAnIdleHandleAndOpenOpensOne) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  EXPECT_FALSE(pool.AcquireIdle(TenantId(0)).has_value());
  auto opened = pool.Open(TenantId(0));
  ASSERT_TRUE(opened) << opened.error().log_detail;
  EXPECT_FALSE(pool.AcquireIdle(TenantId(0)).has_value()) << "its only handle is leased";
  { auto drop = std::move(*opened); }
  auto idle = pool.AcquireIdle(TenantId(0));
  ASSERT_TRUE(idle.has_value());
  ASSERT_TRUE(*idle);
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.open, 1u);
}

TEST_F(PoolTest, AcquireIdleRefusesARestoringTenantWithoutOpeningIt) {
  Provision(1);
  RestoreMarks marks;
  TenantDbPool pool(dbs_, {});
  pool.UseRestoreMarks(&marks);
  marks.Mark(TenantId(0));
  auto idle = pool.AcquireIdle(TenantId(0));
  ASSERT_TRUE(idle.has_value());
  ASSERT_FALSE(*idle);
  EXPECT_EQ(idle->error().problem_code, "tenant_restoring");
  EXPECT_EQ(pool.Stats().open, 0u);
}

// SQLite would checkpoint (copy the WAL into the database and fsync both)
// inside the COMMIT that takes the WAL past 1,000 pages, on the committing
// thread, an event loop for a request. The pool's handles leave it to the
// pool's background thread, when the handle comes back.
TEST_F(PoolTest, ALongWalIsCheckpointedInTheBackgroundNotByTheCommit) {
  Provision(1);
  TenantDbPool pool(dbs_, {});
  const std::filesystem::path file = dbs_.PathOf(TenantId(0));
  const auto before = std::filesystem::file_size(file);
  {
    auto lease = pool.Acquire(TenantId(0));
    ASSERT_TRUE(lease);
    ASSERT_TRUE(lease->db().Exec("CREATE TABLE big (b BLOB)"));
    ASSERT_TRUE(lease->db().Exec("INSERT INTO big VALUES (randomblob(6000000))"));
    EXPECT_GE(lease->db().wal_pages(), kCheckpointPages);
    EXPECT_EQ(std::filesystem::file_size(file), before) << "the commit checkpointed";
  }
  // Counted as leased until the background thread is done with it.
  for (int i = 0; pool.Stats().leased != 0 && i < 10'000'000; ++i) std::this_thread::yield();
  ASSERT_EQ(pool.Stats().leased, 0u);
  EXPECT_GT(std::filesystem::file_size(file), before + 6000000);
  EXPECT_EQ(pool.Stats().open, 1u);
  auto again = pool.Acquire(TenantId(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->db().wal_pages(), 0);
  EXPECT_EQ(pool.Stats().hits, 1u) << "the handle came back to the pool";
}

TEST_F(PoolTest, ADatabaseBelowTheLatestVersionIsRefusedAsMigrating) {
  Provision(1);
  std::vector<storage::Migration> newer = Schema();
  newer.push_back({2, "more", "CREATE TABLE more (x);"});
  TenantDatabases next(dir_.path(), newer);
  TenantDbPool pool(next, {});
  auto lease = pool.Acquire(TenantId(0));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(lease.error().problem_code, "tenant_migrating");
  // Migrated meanwhile by another connection (as `tenantd migrate` would):
  // served at once, by the same pooled handle.
  ASSERT_TRUE(next.Migrate(TenantId(0)));
  auto after = pool.Acquire(TenantId(0));
  ASSERT_TRUE(after) << after.error().log_detail;
  EXPECT_EQ(pool.Stats().misses, 1u);
}

TEST_F(PoolTest, AMissingDatabaseIsRefusedAsMigrating) {
  TenantDbPool pool(dbs_, {});
  auto lease = pool.Acquire(TenantId(7));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().problem_code, "tenant_migrating");
  EXPECT_EQ(pool.Stats().open, 0u);
}

TEST_F(PoolTest, ManyThreadsNeverShareAHandle) {
  Provision(8);
  TenantDbPool pool(dbs_, {.capacity = 4});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        auto lease = pool.Acquire(TenantId((i + t) % 8));
        if (!lease || !lease->db().Exec("UPDATE counters SET n = n + 1")) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t total = 0;
  for (int i = 0; i < 8; ++i) {
    auto db = dbs_.Open(TenantId(i));
    ASSERT_TRUE(db);
    auto st = (*db)->Prepare("SELECT n FROM counters");
    ASSERT_TRUE(st && Row(*st));
    total += st->ColumnInt64(0);
  }
  EXPECT_EQ(total, 1200);
  EXPECT_EQ(pool.Stats().leased, 0u);
}

// Opening a cold tenant's database waits for nothing but a CPU; so does a
// warm request on an event loop, which must win.
TEST_F(PoolTest, OpenerThreadsRunBelowTheEventLoopsPriority) {
  const int before = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  PoolOptions options;
  options.open_threads = 2;
  TenantDbPool pool(dbs_, options);
  for (int i = 0; i < 2; ++i) {
    std::promise<int> nice;
    boost::asio::post(*pool.openers(), [&nice] {
      nice.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())));
    });
    EXPECT_GE(nice.get_future().get(), base::kBackgroundNice);
  }
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), before)
      << "only the pool's own threads are lowered";
}

}  // namespace
}  // namespace tenantd::tenant_db
