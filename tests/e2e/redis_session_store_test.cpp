// session::RedisSessionStore against a real Redis: the session-store
// contract (support/session_store_contract.h); its indexes kept clean; and
// on its event-loop path, listing and revoking (the tenant's /v1/sessions
// routes) and the readiness probe wait for Redis without blocking the loop
// they run on.
#include "session/redis_session_store.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "base/ids.h"
#include "redis/redis_client.h"
#include "redis/redis_url.h"
#include "support/redis_server.h"
#include "support/session_store_contract.h"

namespace tenantd::session {
namespace {

namespace asio = boost::asio;
using std::chrono::hours;
using std::chrono::milliseconds;
using test::SessionStoreTest;

const base::TimePoint kNow = std::chrono::floor<milliseconds>(std::chrono::system_clock::now());

// Runs `coroutine` on `io` until it completes.
template <class T>
T RunOn(asio::io_context& io, asio::awaitable<T> coroutine) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e, T r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
    io.stop();
  });
  io.restart();
  io.run();
  if (!result) throw std::runtime_error("the coroutine did not complete");
  return std::move(*result);
}

SessionRecord Record(const std::string& tenant) {
  SessionRecord s;
  s.id = base::NewId("ses");
  s.id_hash = base::NewId("hash");
  s.tenant_id = tenant;
  s.auth_mode = "app_secret";
  s.created_at = s.last_seen_at = kNow;
  s.expires_at = kNow + hours(1);
  return s;
}

// A redis-server of its own per test; tenants are only names to Redis.
class RedisHarness : public test::SessionStoreHarness {
 public:
  static std::unique_ptr<test::SessionStoreHarness> Open() {
    auto harness = std::make_unique<RedisHarness>();
    EXPECT_TRUE(harness->redis_.Start());
    auto url = redis::ParseRedisUrl(harness->redis_.url());
    EXPECT_TRUE(url);
    if (!url) return nullptr;
    harness->client_.emplace(redis::RedisClientOptions{*url, milliseconds(500)});
    harness->store_.emplace(*harness->client_);
    return harness;
  }

  SessionStore& store() override { return *store_; }
  const std::vector<std::string>& tenants() const override { return tenants_; }
  std::unique_ptr<SessionStore> OpenAgain() override {
    return std::make_unique<RedisSessionStore>(*client_);
  }
  bool ExpiresByItself() const override { return true; }

 private:
  test::RedisServer redis_;
  std::optional<redis::RedisClient> client_;
  std::optional<RedisSessionStore> store_;
  const std::vector<std::string> tenants_{base::NewId("ten"), base::NewId("ten")};
};

INSTANTIATE_TEST_SUITE_P(Redis, SessionStoreTest,
                         ::testing::Values(test::SessionStoreKind{"redis", RedisHarness::Open}),
                         test::SessionStoreKindName);

class RedisSessionStoreAsync : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    auto url = redis::ParseRedisUrl(redis_.url());
    ASSERT_TRUE(url);
    client_.emplace(redis::RedisClientOptions{*url, milliseconds(500)});
    store_.emplace(*client_);
  }

  test::RedisServer redis_;
  std::optional<redis::RedisClient> client_;
  std::optional<RedisSessionStore> store_;
  asio::io_context io_{1};
};

TEST_F(RedisSessionStoreAsync, ListRevokeAndRevokeAllOnTheLoop) {
  const std::string tenant = base::NewId("ten"), other = base::NewId("ten");
  std::vector<SessionRecord> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(Record(tenant));
    ASSERT_TRUE(RunOn(io_, store_->CreateAsync(mine.back())));
  }
  const SessionRecord theirs = Record(other);
  ASSERT_TRUE(RunOn(io_, store_->CreateAsync(theirs)));

  auto first = RunOn(io_, store_->ListLiveAsync(tenant, kNow, "", 2));
  ASSERT_TRUE(first) << first.error().log_detail;
  ASSERT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(first->next_cursor);
  auto rest = RunOn(io_, store_->ListLiveAsync(tenant, kNow, *first->next_cursor, 2));
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_FALSE(rest->next_cursor);

  // Another tenant's session is not this tenant's to revoke.
  auto foreign = RunOn(io_, store_->RevokeAsync(tenant, theirs.id));
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(*foreign);
  auto unknown = RunOn(io_, store_->RevokeAsync(tenant, base::NewId("ses")));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  auto revoked = RunOn(io_, store_->RevokeAsync(tenant, mine[0].id));
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  auto gone = RunOn(io_, store_->FindLiveAsync(mine[0].id_hash, kNow));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);

  auto all = RunOn(io_, store_->RevokeAllAsync(tenant));
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 2);
  auto none = RunOn(io_, store_->ListLiveAsync(tenant, kNow, "", 10));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  auto still = RunOn(io_, store_->ListLiveAsync(other, kNow, "", 10));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->items.size(), 1u);
}

// The indexes (redis_session_store.h's layout) lose a session however it
// ends: destroyed, revoked one way or another, or expired.
TEST_F(RedisSessionStoreAsync, IndexesLoseEndedSessions) {
  const std::string tenant = base::NewId("ten"), other = base::NewId("ten");
  const auto members = [&](const std::string& key) -> int64_t {
    auto reply = client_->Command({"ZCARD", key});
    EXPECT_TRUE(reply);
    return reply ? reply->integer : -1;
  };
  const std::string user_a = "tenantd:ses:u:usr_a", user_b = "tenantd:ses:u:usr_b";
  const auto make = [&](const std::string& tenant_id, const std::string& user) {
    SessionRecord s = Record(tenant_id);
    s.user_id = user;
    EXPECT_TRUE(store_->Create(s));
    return s;
  };
  const SessionRecord a0 = make(tenant, "usr_a"), a1 = make(tenant, "usr_a");
  make(other, "usr_a");
  make(tenant, "usr_b");
  make(tenant, "");
  EXPECT_EQ(members(user_a), 3);
  EXPECT_EQ(members(user_b), 1);
  EXPECT_EQ(members("tenantd:ses:t:" + tenant), 4) << "user sessions are the tenant's too";

  EXPECT_TRUE(*store_->Destroy(a0.id_hash));
  EXPECT_EQ(members(user_a), 2);
  EXPECT_TRUE(*store_->RevokeForUser("usr_a", a1.id));
  EXPECT_EQ(members(user_a), 1);
  EXPECT_EQ(members("tenantd:ses:t:" + tenant), 2);
  EXPECT_EQ(*store_->RevokeAll(tenant), 2);
  EXPECT_EQ(members(user_b), 0) << "revoked with its tenant";
  EXPECT_EQ(*store_->RevokeAllForUser("usr_a", ""), 1);
  EXPECT_EQ(members(user_a), 0);
  EXPECT_EQ(members("tenantd:ses:t:" + other), 0) << "revoked with its user";

  // Expired: Redis drops the session itself, the index entry goes when read.
  SessionRecord brief = Record(tenant);
  brief.user_id = "usr_c";
  brief.expires_at =
      std::chrono::floor<milliseconds>(std::chrono::system_clock::now()) + milliseconds(200);
  ASSERT_TRUE(store_->Create(brief));
  EXPECT_EQ(members("tenantd:ses:u:usr_c"), 1);
  std::this_thread::sleep_for(milliseconds(400));
  auto listed = store_->ListLiveForUser("usr_c", brief.expires_at + milliseconds(200));
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(members("tenantd:ses:u:usr_c"), 0);
}

// With Redis stopped, a list and a readiness probe wait on it; a coroutine
// spawned after them on the same one-thread loop runs before either
// completes. (A blocking call would hold the thread until Redis timed out,
// and the later coroutine would find both done.)
TEST_F(RedisSessionStoreAsync, WaitingForRedisLeavesTheLoopFree) {
  const std::string tenant = base::NewId("ten");
  ASSERT_TRUE(RunOn(io_, store_->CreateAsync(Record(tenant))));
  EXPECT_EQ(RunOn(io_, client_->HealthAsync()), "");

  redis_.Pause();
  bool listed = false, probed = false, later_ran = false, later_saw_them_done = true;
  std::string health;
  asio::co_spawn(io_, store_->ListLiveAsync(tenant, kNow, "", 10),
                 [&](std::exception_ptr, base::Result<SessionPage> page) {
                   EXPECT_FALSE(page) << "Redis is stopped";
                   if (!page) {
                     EXPECT_EQ(page.error().problem_code, "session_store_unavailable");
                   }
                   listed = true;
                 });
  asio::co_spawn(io_, client_->HealthAsync(), [&](std::exception_ptr, std::string why) {
    health = std::move(why);
    probed = true;
  });
  // Named, so the closure outlives its coroutine.
  auto later = [&]() -> asio::awaitable<void> {
    later_ran = true;
    later_saw_them_done = listed || probed;
    co_return;
  };
  asio::co_spawn(io_, later(), asio::detached);
  io_.restart();
  while (!(listed && probed)) io_.run_one();
  EXPECT_TRUE(later_ran);
  EXPECT_FALSE(later_saw_them_done) << "a Redis call held the loop";
  EXPECT_FALSE(health.empty()) << "/readyz reports a stopped Redis";
  redis_.Resume();
}

}  // namespace
}  // namespace tenantd::session
