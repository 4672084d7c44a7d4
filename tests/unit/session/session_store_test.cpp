// The two session stores must behave alike: each test runs on both.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "base/ids.h"
#include "control/control_store.h"
#include "control_store_for_tests.h"
#include "crypto/secret_box.h"
#include "session/memory_session_store.h"
#include "session/sql_session_store.h"
#include "temp_dir.h"

namespace tenantd::session {
namespace {

using test::Await;

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

const base::TimePoint kT0 =
    std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());

class SessionStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    auto control = test::OpenControlStore(dir_, *box_);
    ASSERT_TRUE(control);
    control_ = std::move(*control);
    for (const char* slug : {"one", "two"}) {
      control::NewTenant t;
      t.slug = slug;
      t.name = slug;
      auto created = Await(control_->CreateTenant(t));
      ASSERT_TRUE(created);
      tenants_.push_back(created->tenant.id);
    }
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemorySessionStore>();
    } else {
      store_ = std::make_unique<SqlSessionStore>(control_->database());
    }
  }
  void TearDown() override {
    store_.reset();
    control_.reset();
  }

  SessionRecord Make(int tenant, std::string hash, base::TimePoint expires = kT0 + hours(2)) {
    SessionRecord s;
    s.id = base::NewId("ses");
    s.id_hash = std::move(hash);
    s.tenant_id = tenants_.at(tenant);
    s.auth_mode = "app_secret";
    s.created_at = s.last_seen_at = kT0;
    s.expires_at = expires;
    s.ip = "127.0.0.1";
    s.user_agent = "test";
    s.secret_id = "secret-" + s.id_hash;
    EXPECT_TRUE(store_->Create(s));
    return s;
  }

  test::TempDir tmp_;
  const fs::path dir_ = tmp_.path();
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> control_;
  std::vector<std::string> tenants_;
  std::unique_ptr<SessionStore> store_;
};

TEST_P(SessionStoreTest, FindsALiveSessionByHashOnly) {
  const SessionRecord s = Make(0, "h1");
  auto found = store_->FindLive("h1", kT0);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, s.id);
  EXPECT_EQ((*found)->tenant_id, s.tenant_id);
  EXPECT_EQ((*found)->expires_at, s.expires_at);
  EXPECT_EQ((*found)->user_agent, "test");
  EXPECT_EQ((*found)->secret_id, "secret-h1") << "the session ends with this secret";
  EXPECT_FALSE(*store_->FindLive("h2", kT0));
  EXPECT_FALSE(*store_->FindLive(s.id, kT0));
}

TEST_P(SessionStoreTest, ExpiredSessionsAreNotFoundAndArePurged) {
  Make(0, "old", kT0 + seconds(1));
  Make(0, "new", kT0 + hours(1));
  EXPECT_FALSE(*store_->FindLive("old", kT0 + seconds(1)));
  EXPECT_EQ(*store_->PurgeExpired(kT0 + seconds(1)), 1);
  EXPECT_TRUE(*store_->FindLive("new", kT0 + seconds(1)));
}

TEST_P(SessionStoreTest, ExtendMovesTheExpiry) {
  Make(0, "h", kT0 + seconds(10));
  ASSERT_TRUE(store_->Extend("h", kT0 + seconds(5), kT0 + hours(2)));
  auto found = store_->FindLive("h", kT0 + seconds(20));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->last_seen_at, kT0 + seconds(5));
}

TEST_P(SessionStoreTest, DestroyAndRevoke) {
  const SessionRecord a = Make(0, "a");
  const SessionRecord b = Make(0, "b");
  Make(1, "c");
  EXPECT_TRUE(*store_->Destroy("a"));
  EXPECT_FALSE(*store_->Destroy("a"));
  EXPECT_FALSE(*store_->Revoke(tenants_[1], b.id)) << "another tenant's session";
  EXPECT_TRUE(*store_->Revoke(tenants_[0], b.id));
  EXPECT_FALSE(*store_->FindLive("b", kT0));
  EXPECT_TRUE(*store_->FindLive("c", kT0));
  (void)a;
}

TEST_P(SessionStoreTest, RevokeAllTouchesOneTenant) {
  Make(0, "a");
  Make(0, "b");
  Make(1, "c");
  EXPECT_EQ(*store_->RevokeAll(tenants_[0]), 2);
  EXPECT_FALSE(*store_->FindLive("a", kT0));
  EXPECT_TRUE(*store_->FindLive("c", kT0));
}

TEST_P(SessionStoreTest, ListsLiveSessionsOfOneTenantInPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Make(0, "h" + std::to_string(i)).id);
  Make(1, "other");
  Make(0, "expired", kT0 + seconds(1));
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->ListLive(tenants_[0], kT0 + seconds(2), after, 2);
    ASSERT_TRUE(page);
    for (const auto& s : page->items) seen.push_back(s.id);
    if (!page->next_cursor) break;
    after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
}

INSTANTIATE_TEST_SUITE_P(BothStores, SessionStoreTest, ::testing::Values("memory", "control"));

}  // namespace
}  // namespace tenantd::session
