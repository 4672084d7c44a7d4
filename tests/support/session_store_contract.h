// The contract every session::SessionStore keeps (session_store.h), as one
// value-parameterised suite, SessionStoreTest: a test binary includes this
// header once and instantiates the suite with the stores it can build (the
// unit tests: memory and the control store on both engines; the e2e tests:
// Redis against a real redis-server).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/ids.h"
#include "session/session_store.h"

namespace tenantd::test {

// A store under test and what it needs around it.
class SessionStoreHarness {
 public:
  virtual ~SessionStoreHarness() = default;

  virtual session::SessionStore& store() = 0;
  // Two tenants sessions can be bound to.
  virtual const std::vector<std::string>& tenants() const = 0;
  // A second store over the same data, as another server sharing it would
  // have (its own caches, nothing written behind); nullptr when the data is
  // the first store's own (memory).
  virtual std::unique_ptr<session::SessionStore> OpenAgain() { return nullptr; }
  // Writes what the store keeps written behind (SqlSessionStore::Flush).
  virtual base::Status Flush() { return {}; }
  // True when the store drops expired sessions by itself (Redis), so
  // PurgeExpired finds none.
  virtual bool ExpiresByItself() const { return false; }
};

struct SessionStoreKind {
  std::string name;  // the instantiation's suffix: letters, digits, '_'
  std::function<std::unique_ptr<SessionStoreHarness>()> open;
};

inline void PrintTo(const SessionStoreKind& kind, std::ostream* os) { *os << kind.name; }

inline std::string SessionStoreKindName(const ::testing::TestParamInfo<SessionStoreKind>& info) {
  return info.param.name;
}

namespace session_contract {

using std::chrono::hours;
using std::chrono::seconds;

// Runs a coroutine to completion on a private one-thread loop (the kind
// the Redis client pipelines on). Stopped when it completes: the Redis
// client's connection keeps the loop busy otherwise.
template <class T>
T OnLoop(boost::asio::awaitable<T> coroutine) {
  boost::asio::io_context io(1);
  std::optional<T> result;
  boost::asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e, T r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
    io.stop();
  });
  io.run();
  if (!result) throw std::runtime_error("the coroutine did not complete");
  return std::move(*result);
}

inline std::vector<std::string> Ids(const std::vector<session::SessionRecord>& sessions) {
  std::vector<std::string> ids;
  for (const auto& s : sessions) ids.push_back(s.id);
  return ids;
}

}  // namespace session_contract

class SessionStoreTest : public ::testing::TestWithParam<SessionStoreKind> {
 protected:
  void SetUp() override {
    harness_ = GetParam().open();
    ASSERT_TRUE(harness_);
    ASSERT_GE(harness_->tenants().size(), 2u);
    // Taken once the store is up: Redis expires sessions on its own clock.
    t0_ = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
  void TearDown() override { harness_.reset(); }

  session::SessionStore& store() { return harness_->store(); }
  const std::string& tenant(int i) const { return harness_->tenants().at(i); }

  // A session of tenant `tenant_index`, created in the store; of `user`
  // when not "".
  session::SessionRecord Make(int tenant_index, std::string hash,
                              std::optional<base::TimePoint> expires = std::nullopt,
                              std::string user = "") {
    session::SessionRecord s;
    s.id = base::NewId("ses");
    s.id_hash = std::move(hash);
    s.tenant_id = tenant(tenant_index);
    s.auth_mode = user.empty() ? "app_secret" : "user";
    s.user_id = std::move(user);
    s.created_at = s.last_seen_at = t0_;
    s.expires_at = expires.value_or(t0_ + session_contract::hours(2));
    s.ip = "127.0.0.1";
    s.user_agent = "test";
    s.secret_id = "secret-" + s.id_hash;
    EXPECT_TRUE(store().Create(s));
    return s;
  }
  session::SessionRecord MakeForUser(int tenant_index, std::string hash, std::string user,
                                     std::optional<base::TimePoint> expires = std::nullopt) {
    return Make(tenant_index, std::move(hash), expires, std::move(user));
  }

  bool Live(std::string_view hash, std::optional<base::TimePoint> now = std::nullopt) {
    auto found = store().FindLive(hash, now.value_or(t0_));
    EXPECT_TRUE(found) << found.error().log_detail;
    return found && found->has_value();
  }
  std::vector<std::string> UserIds(std::string_view user,
                                   std::optional<base::TimePoint> now = std::nullopt) {
    auto listed = store().ListLiveForUser(user, now.value_or(t0_));
    EXPECT_TRUE(listed) << listed.error().log_detail;
    return listed ? session_contract::Ids(*listed) : std::vector<std::string>();
  }
  std::vector<std::string> TenantIds(int tenant_index,
                                     std::optional<base::TimePoint> now = std::nullopt) {
    auto page = store().ListLive(tenant(tenant_index), now.value_or(t0_), "", 100);
    EXPECT_TRUE(page) << page.error().log_detail;
    return page ? session_contract::Ids(page->items) : std::vector<std::string>();
  }

  std::unique_ptr<SessionStoreHarness> harness_;
  base::TimePoint t0_;  // the tests' "now"
};

namespace session_contract {

inline std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace session_contract

TEST_P(SessionStoreTest, FindsALiveSessionByHashOnly) {
  using namespace session_contract;
  const session::SessionRecord s = Make(0, "h1");
  auto found = store().FindLive("h1", t0_);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, s.id);
  EXPECT_EQ((*found)->tenant_id, s.tenant_id);
  EXPECT_EQ((*found)->expires_at, s.expires_at);
  EXPECT_EQ((*found)->user_agent, "test");
  EXPECT_EQ((*found)->secret_id, "secret-h1") << "the session ends with this secret";
  EXPECT_EQ((*found)->user_id, "") << "not a user session";
  EXPECT_FALSE(*store().FindLive("h2", t0_));
  EXPECT_FALSE(*store().FindLive(s.id, t0_));
}

TEST_P(SessionStoreTest, ExpiredSessionsAreNotFoundAndArePurged) {
  using namespace session_contract;
  Make(0, "old", t0_ + seconds(1));
  Make(0, "new", t0_ + hours(1));
  EXPECT_FALSE(Live("old", t0_ + seconds(1)));
  EXPECT_EQ(*store().PurgeExpired(t0_ + seconds(1)), harness_->ExpiresByItself() ? 0 : 1);
  EXPECT_TRUE(Live("new", t0_ + seconds(1)));
}

TEST_P(SessionStoreTest, ExtendMovesTheExpiry) {
  using namespace session_contract;
  Make(0, "h", t0_ + seconds(10));
  ASSERT_TRUE(store().Extend("h", t0_ + seconds(5), t0_ + hours(2)));
  auto found = store().FindLive("h", t0_ + seconds(20));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->last_seen_at, t0_ + seconds(5));
}

TEST_P(SessionStoreTest, DestroyAndRevoke) {
  const session::SessionRecord a = Make(0, "a");
  const session::SessionRecord b = Make(0, "b");
  Make(1, "c");
  EXPECT_TRUE(*store().Destroy("a"));
  EXPECT_FALSE(*store().Destroy("a"));
  EXPECT_FALSE(*store().Revoke(tenant(1), b.id)) << "another tenant's session";
  EXPECT_TRUE(*store().Revoke(tenant(0), b.id));
  EXPECT_FALSE(Live("b"));
  EXPECT_TRUE(Live("c"));
  (void)a;
}

TEST_P(SessionStoreTest, RevokeAllTouchesOneTenant) {
  Make(0, "a");
  Make(0, "b");
  Make(1, "c");
  EXPECT_EQ(*store().RevokeAll(tenant(0)), 2);
  EXPECT_FALSE(Live("a"));
  EXPECT_TRUE(Live("c"));
}

TEST_P(SessionStoreTest, ListsLiveSessionsOfOneTenantInPages) {
  using namespace session_contract;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Make(0, "h" + std::to_string(i)).id);
  Make(1, "other");
  Make(0, "expired", t0_ + seconds(1));
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store().ListLive(tenant(0), t0_ + seconds(2), after, 2);
    ASSERT_TRUE(page);
    for (const auto& s : page->items) seen.push_back(s.id);
    if (!page->next_cursor) break;
    after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
}

// User sessions (api.md §11).

TEST_P(SessionStoreTest, UserIdRoundTrips) {
  const session::SessionRecord s = MakeForUser(0, "u1", "usr_a");
  auto found = store().FindLive("u1", t0_);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->user_id, "usr_a");
  EXPECT_EQ((*found)->auth_mode, "user");
  // From the stored form too, not only from what the store holds back.
  ASSERT_TRUE(harness_->Flush());
  if (auto again = harness_->OpenAgain()) {
    auto stored = again->FindLive("u1", t0_);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->user_id, "usr_a");
  }
  // A user session is its tenant's too.
  auto page = store().ListLive(tenant(0), t0_, "", 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, s.id);
  EXPECT_EQ(page->items[0].user_id, "usr_a");
}

TEST_P(SessionStoreTest, ListsOnlyTheUsersLiveSessionsAcrossTenants) {
  using namespace session_contract;
  const std::vector<std::string> mine =
      Sorted({MakeForUser(0, "a0", "usr_a").id, MakeForUser(1, "a1", "usr_a").id,
              MakeForUser(0, "a2", "usr_a").id});
  MakeForUser(0, "expired", "usr_a", t0_ + seconds(5));
  const session::SessionRecord theirs = MakeForUser(0, "b0", "usr_b");
  const session::SessionRecord machine = Make(0, "m0");

  EXPECT_EQ(UserIds("usr_a", t0_ + seconds(6)), mine) << "by id, expired excluded";
  EXPECT_EQ(UserIds("usr_b", t0_ + seconds(6)), std::vector<std::string>{theirs.id});
  EXPECT_TRUE(UserIds("usr_nobody").empty());
  EXPECT_TRUE(UserIds("").empty()) << "sessions without a user are no user's";
  auto listed = store().ListLiveForUser("usr_a", t0_);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 4u) << "the expired one is live at t0_";
  for (const auto& s : *listed) EXPECT_EQ(s.user_id, "usr_a");

  // The tenant's listing holds its user sessions and the others alike.
  const std::vector<std::string> tenant0 = TenantIds(0, t0_ + seconds(6));
  EXPECT_EQ(tenant0.size(), 4u);
  EXPECT_NE(std::find(tenant0.begin(), tenant0.end(), machine.id), tenant0.end());
  EXPECT_NE(std::find(tenant0.begin(), tenant0.end(), theirs.id), tenant0.end());
}

TEST_P(SessionStoreTest, RevokeForUserRevokesOnlyTheUsersOwn) {
  const session::SessionRecord mine = MakeForUser(0, "a0", "usr_a");
  const session::SessionRecord theirs = MakeForUser(0, "b0", "usr_b");
  const session::SessionRecord machine = Make(0, "m0");

  EXPECT_FALSE(*store().RevokeForUser("usr_a", theirs.id)) << "another user's session";
  EXPECT_FALSE(*store().RevokeForUser("usr_a", machine.id)) << "a session without a user";
  EXPECT_FALSE(*store().RevokeForUser("", machine.id)) << "\"\" is no user";
  EXPECT_FALSE(*store().RevokeForUser("usr_a", base::NewId("ses")));
  EXPECT_TRUE(Live("b0"));
  EXPECT_TRUE(Live("m0"));

  EXPECT_TRUE(*store().RevokeForUser("usr_a", mine.id));
  EXPECT_FALSE(Live("a0"));
  EXPECT_FALSE(*store().RevokeForUser("usr_a", mine.id)) << "already revoked";
  EXPECT_TRUE(UserIds("usr_a").empty());
  EXPECT_EQ(UserIds("usr_b"), std::vector<std::string>{theirs.id});
  EXPECT_EQ(TenantIds(0), session_contract::Sorted({theirs.id, machine.id}));
}

TEST_P(SessionStoreTest, RevokeAllForUserKeepsTheNamedOneAndCounts) {
  using namespace session_contract;
  MakeForUser(0, "a0", "usr_a");
  MakeForUser(1, "a1", "usr_a");
  const session::SessionRecord current = MakeForUser(0, "a2", "usr_a");
  const session::SessionRecord theirs = MakeForUser(0, "b0", "usr_b");
  const session::SessionRecord machine = Make(1, "m0");

  EXPECT_EQ(*store().RevokeAllForUser("usr_a", "a2"), 2);
  EXPECT_FALSE(Live("a0"));
  EXPECT_FALSE(Live("a1"));
  EXPECT_TRUE(Live("a2")) << "the kept one";
  EXPECT_TRUE(Live("b0"));
  EXPECT_TRUE(Live("m0"));
  EXPECT_EQ(UserIds("usr_a"), std::vector<std::string>{current.id});
  EXPECT_EQ(TenantIds(0), Sorted({current.id, theirs.id}));
  EXPECT_EQ(TenantIds(1), std::vector<std::string>{machine.id});

  EXPECT_EQ(*store().RevokeAllForUser("", ""), 0) << "\"\" is no user";
  EXPECT_TRUE(Live("m0"));
  EXPECT_EQ(*store().RevokeAllForUser("usr_a", ""), 1) << "\"\" keeps none";
  EXPECT_FALSE(Live("a2"));
  EXPECT_EQ(*store().RevokeAllForUser("usr_a", ""), 0);
  EXPECT_TRUE(Live("b0"));
}

// Just created: in SqlSessionStore still in its write-behind batch, not in
// the database. Listed and revoked all the same, and a revocation is not
// undone when the batch is written.
TEST_P(SessionStoreTest, UserOperationsCoverSessionsNotYetWritten) {
  const session::SessionRecord a0 = MakeForUser(0, "a0", "usr_a");
  EXPECT_EQ(UserIds("usr_a"), std::vector<std::string>{a0.id});

  const session::SessionRecord a1 = MakeForUser(1, "a1", "usr_a");
  EXPECT_TRUE(*store().RevokeForUser("usr_a", a1.id));
  MakeForUser(0, "a2", "usr_a");
  MakeForUser(1, "a3", "usr_a");
  EXPECT_EQ(*store().RevokeAllForUser("usr_a", "a0"), 2);

  ASSERT_TRUE(harness_->Flush());
  for (const char* hash : {"a1", "a2", "a3"}) EXPECT_FALSE(Live(hash)) << hash;
  EXPECT_EQ(UserIds("usr_a"), std::vector<std::string>{a0.id});
  if (auto again = harness_->OpenAgain()) {
    for (const char* hash : {"a1", "a2", "a3"}) {
      auto found = again->FindLive(hash, t0_);
      ASSERT_TRUE(found);
      EXPECT_FALSE(*found) << hash << " was written back";
    }
    auto listed = again->ListLiveForUser("usr_a", t0_);
    ASSERT_TRUE(listed);
    EXPECT_EQ(session_contract::Ids(*listed), std::vector<std::string>{a0.id});
  }
}

// Read once (SqlSessionStore caches what it read): a revocation still ends it.
TEST_P(SessionStoreTest, RevokedUserSessionsAreNotServedAgain) {
  const session::SessionRecord a0 = MakeForUser(0, "a0", "usr_a");
  MakeForUser(1, "a1", "usr_a");
  MakeForUser(1, "a2", "usr_a");
  ASSERT_TRUE(harness_->Flush());
  for (const char* hash : {"a0", "a1", "a2"}) ASSERT_TRUE(Live(hash)) << hash;

  EXPECT_TRUE(*store().RevokeForUser("usr_a", a0.id));
  EXPECT_FALSE(Live("a0"));
  EXPECT_EQ(*store().RevokeAllForUser("usr_a", "a2"), 1);
  EXPECT_FALSE(Live("a1"));
  EXPECT_TRUE(Live("a2"));
  EXPECT_FALSE(Live("a0"));
}

// Ended the tenant's way or by its hash, a session leaves the user's list.
TEST_P(SessionStoreTest, TenantRevocationsAndSignOutsEndUserSessions) {
  MakeForUser(0, "a0", "usr_a");
  const session::SessionRecord a1 = MakeForUser(1, "a1", "usr_a");
  const session::SessionRecord a2 = MakeForUser(1, "a2", "usr_a");
  EXPECT_EQ(*store().RevokeAll(tenant(0)), 1);
  EXPECT_EQ(UserIds("usr_a"), session_contract::Sorted({a1.id, a2.id}));
  EXPECT_TRUE(*store().Destroy("a1"));
  EXPECT_EQ(UserIds("usr_a"), std::vector<std::string>{a2.id});
  EXPECT_TRUE(*store().Revoke(tenant(1), a2.id));
  EXPECT_TRUE(UserIds("usr_a").empty());
  EXPECT_EQ(*store().RevokeAllForUser("usr_a", ""), 0);
}

// The forms request handlers call, on an event loop.
TEST_P(SessionStoreTest, UserOperationsOnTheLoop) {
  using session_contract::OnLoop;
  const session::SessionRecord a0 = MakeForUser(0, "a0", "usr_a");
  const session::SessionRecord a1 = MakeForUser(1, "a1", "usr_a");
  const session::SessionRecord theirs = MakeForUser(0, "b0", "usr_b");
  MakeForUser(1, "a2", "usr_a");

  auto listed = OnLoop(store().ListLiveForUserAsync("usr_a", t0_));
  ASSERT_TRUE(listed) << listed.error().log_detail;
  EXPECT_EQ(listed->size(), 3u);
  auto foreign = OnLoop(store().RevokeForUserAsync("usr_a", theirs.id));
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(*foreign);
  auto revoked = OnLoop(store().RevokeForUserAsync("usr_a", a1.id));
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  auto all = OnLoop(store().RevokeAllForUserAsync("usr_a", "a0"));
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 1);
  auto left = OnLoop(store().ListLiveForUserAsync("usr_a", t0_));
  ASSERT_TRUE(left);
  EXPECT_EQ(session_contract::Ids(*left), std::vector<std::string>{a0.id});
  EXPECT_TRUE(Live("b0"));
}

}  // namespace tenantd::test
