// The change log in the control store (migration 5, cache_changes): what
// one process (a node, the CLI) changes, another learns tenant by tenant
// once it reads the log; on PostgreSQL each change is also announced on the
// LISTEN channel. Run on each engine with two stores on one database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "await.h"
#include "base/clock.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "storage/postgres/listener.h"
#include "storage_engines.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

using test::Await;
using Ids = std::vector<std::string>;

class ChangeLogTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x42')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (GetParam() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    writer_ = OpenStore();
    reader_ = OpenStore();
    ASSERT_TRUE(writer_ && reader_);
  }

  std::unique_ptr<ControlStore> OpenStore(
      std::chrono::milliseconds max_staleness = std::chrono::milliseconds(0)) {
    auto db = OpenControlDatabase(dir_.path() / "data", url_);
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    if (!db) return nullptr;
    ControlStoreOptions options;
    options.change_poll_interval = std::chrono::milliseconds(1);
    options.clock = &clock_;
    options.max_staleness = max_staleness;
    auto store = Await(ControlStore::Open(std::move(*db), *box_, options));
    EXPECT_TRUE(store) << (store ? "" : store.error().log_detail);
    return store ? std::move(*store) : nullptr;
  }

  Tenant Create(const std::string& slug) {
    NewTenant t;
    t.slug = slug;
    t.name = "Tenant " + slug;
    auto created = Await(writer_->CreateTenant(t));
    EXPECT_TRUE(created) << (created ? "" : created.error().log_detail);
    return created ? created->tenant : Tenant{};
  }

  // What the reader learns from the log since `generation`.
  std::optional<Ids> ReaderLearns(uint64_t generation) {
    clock_.Advance(std::chrono::milliseconds(2));  // past the poll interval
    EXPECT_TRUE(Await(reader_->RefreshGeneration()));
    return reader_->ChangesSince(generation).tenant_ids;
  }

  base::TestClock clock_;
  test::TempDir dir_;
  std::string url_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> writer_, reader_;
};

TEST_P(ChangeLogTest, AnotherStoreLearnsWhichTenantChanged) {
  const Tenant a = Create("alpha");
  const Tenant b = Create("bravo");
  EXPECT_FALSE(ReaderLearns(0)) << "the first read drops everything";
  uint64_t seen = reader_->Generation();

  TenantPatch suspend;
  suspend.status = TenantStatus::kSuspended;
  ASSERT_TRUE(Await(writer_->UpdateTenant(a.id, suspend)));
  EXPECT_EQ(ReaderLearns(seen), Ids{a.id});
  seen = reader_->Generation();

  NewApiKey k;
  k.tenant_id = b.id;
  k.name = "ci";
  auto key = Await(writer_->CreateApiKey(k));
  ASSERT_TRUE(key);
  ASSERT_TRUE(Await(writer_->RevokeApiKey(b.id, key->key.id)));
  EXPECT_EQ(ReaderLearns(seen), Ids{b.id})
      << "a new key changes nothing cached; its revocation does";
  seen = reader_->Generation();

  ASSERT_TRUE(Await(writer_->RotateAppSecret(a.id, std::chrono::seconds(0))));
  std::optional<Ids> rotated = ReaderLearns(seen);
  ASSERT_TRUE(rotated);
  EXPECT_FALSE(rotated->empty());
  EXPECT_TRUE(std::all_of(rotated->begin(), rotated->end(), [&](auto& id) { return id == a.id; }));
  seen = reader_->Generation();

  ASSERT_TRUE(Await(writer_->PurgeTenant(b.id)));
  std::optional<Ids> purged = ReaderLearns(seen);
  ASSERT_TRUE(purged);
  EXPECT_TRUE(std::find(purged->begin(), purged->end(), b.id) != purged->end());
  EXPECT_TRUE(std::find(purged->begin(), purged->end(), a.id) == purged->end());
}

// After an idle spell longer than the staleness bound, a burst of requests
// must not answer 503 while the first of them reads the log again: the
// others wait for that read (the bench's PostgreSQL node answered two 503s
// to its first burst before this).
TEST_P(ChangeLogTest, ABurstAfterAnIdleSpellWaitsForTheOneReadInsteadOfFailing) {
  reader_ = OpenStore(std::chrono::seconds(5));
  ASSERT_TRUE(reader_);
  Create("idle");
  ReaderLearns(0);
  clock_.Advance(std::chrono::minutes(1));
  boost::asio::io_context io;
  std::vector<std::optional<base::Status>> results(8);
  for (auto& result : results) {
    boost::asio::co_spawn(io, reader_->RefreshGeneration(),
                          [&result](std::exception_ptr, base::Status s) { result = std::move(s); });
  }
  io.run();
  for (const auto& result : results) {
    ASSERT_TRUE(result);
    EXPECT_TRUE(*result) << result->error().log_detail;
  }
}

TEST_P(ChangeLogTest, NothingChangedMeansNothingToDrop) {
  Create("quiet");
  ReaderLearns(0);  // the first read: everything
  const uint64_t seen = reader_->Generation();
  EXPECT_EQ(ReaderLearns(seen), Ids{});
  EXPECT_EQ(reader_->Generation(), seen);
}

TEST_P(ChangeLogTest, AReaderBehindThePrunedLogDropsEverything) {
  Create("first");
  ReaderLearns(0);  // the first read: everything
  const uint64_t seen = reader_->Generation();
  // More changes than the log keeps (10,000): pruned, the reader cannot
  // know which tenants they were about.
  const Tenant t = Create("busy");
  TenantPatch patch;
  for (int i = 0; i < 40; ++i) {
    patch.name = "Busy " + std::to_string(i);
    ASSERT_TRUE(Await(writer_->UpdateTenant(t.id, patch)));
  }
  auto& db = writer_->database();
  ASSERT_TRUE(Await(db.Exec("UPDATE cache_epoch SET value = value + 20000 WHERE id = 1")));
  ASSERT_TRUE(Await(writer_->PruneChangeLog()));
  EXPECT_FALSE(ReaderLearns(seen));
}

// On PostgreSQL a committed change is announced on the LISTEN channel.
TEST(ChangeAnnouncements, ACommittedChangeWakesTheListener) {
  const std::string url = test::CreateTestDatabase();
  auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x42')));
  ASSERT_TRUE(box);
  test::TempDir dir;
  auto db = OpenControlDatabase(dir.path(), url);
  ASSERT_TRUE(db);
  auto store = Await(ControlStore::Open(std::move(*db), *box));
  ASSERT_TRUE(store);

  std::atomic<int> listening{0}, heard{0};
  boost::asio::io_context io;
  storage::ListenerOptions options;
  options.url = *storage::ParsePostgresUrl(url);
  options.channel = "tenantd_cache_changes";
  options.on_notification = [&] { ++heard; };
  options.on_listening = [&](bool up, const std::string&) { listening += up ? 1 : 0; };
  boost::asio::co_spawn(io, storage::ListenForever(options), boost::asio::detached);
  std::thread loop([&] { io.run(); });
  auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };
  EXPECT_TRUE(wait_for([&] { return listening > 0; }));
  NewTenant t;
  t.slug = "announced";
  t.name = "Announced";
  ASSERT_TRUE(Await((*store)->CreateTenant(t)));
  EXPECT_TRUE(wait_for([&] { return heard > 0; }));
  io.stop();
  loop.join();
}

INSTANTIATE_TEST_SUITE_P(Engines, ChangeLogTest, test::kEngineKinds, test::EngineKindName);

}  // namespace
}  // namespace tenantd::control
