#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "await.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "storage/database.h"
#include "storage_engines.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using test::Await;

class ApiKeysTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (engine() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    auto db = OpenControlDatabase(dir_, url_);
    ASSERT_TRUE(db);
    ControlStoreOptions options;
    options.change_poll_interval = std::chrono::milliseconds(1);
    auto store = Await(ControlStore::Open(std::move(*db), *box_, options));
    ASSERT_TRUE(store) << store.error().log_detail;
    store_ = std::move(*store);
    for (const char* slug : {"one", "two"}) {
      NewTenant t;
      t.slug = slug;
      t.name = slug;
      auto created = Await(store_->CreateTenant(t));
      ASSERT_TRUE(created);
      tenants_.push_back(created->tenant);
      secrets_.push_back(created->app_secret.Reveal());
    }
  }
  void TearDown() override { store_.reset(); }

  CreatedApiKey MustCreate(NewApiKey k) {
    auto created = Await(store_->CreateApiKey(k));
    EXPECT_TRUE(created) << (created ? "" : created.error().public_message);
    return created ? std::move(*created) : CreatedApiKey{};
  }
  NewApiKey Key(int tenant = 0) {
    NewApiKey k;
    k.tenant_id = tenants_.at(tenant).id;
    k.name = "ci";
    return k;
  }
  std::optional<ApiKeyMatch> Lookup(const std::string& secret) {
    auto m = Await(store_->FindApiKeyBySecretHash(store_->ApiKeySecretHash(secret)));
    EXPECT_TRUE(m);
    return m ? *m : std::nullopt;
  }

  virtual test::EngineKind engine() const { return GetParam(); }

  test::TempDir tmp_;
  const fs::path dir_ = tmp_.path();
  std::string url_;  // the PostgreSQL database; "" on SQLite
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> store_;
  std::vector<Tenant> tenants_;
  std::vector<std::string> secrets_;
};

INSTANTIATE_TEST_SUITE_P(Engines, ApiKeysTest, test::kEngineKinds, test::EngineKindName);

TEST_P(ApiKeysTest, CreateMintsAPrefixedSecretAndStoresOnlyItsKeyedHash) {
  NewApiKey k = Key();
  k.environment = "test";
  const CreatedApiKey created = MustCreate(k);
  const std::string& secret = created.secret.Reveal();
  EXPECT_TRUE(secret.starts_with("sk_test_")) << secret;
  EXPECT_EQ(secret.size(), 8u + 43u);
  EXPECT_EQ(created.key.prefix, secret.substr(0, 12));
  const auto match = Lookup(secret);
  ASSERT_TRUE(match);
  EXPECT_EQ(match->key.id, created.key.id);
  EXPECT_EQ(match->key.tenant_id, tenants_[0].id);
  EXPECT_FALSE(match->secret_expires_at);
  EXPECT_FALSE(Lookup(secret + "x"));
  // The database holds neither the secret nor its plain SHA-256.
  auto rows = Await(store_->database().Query("SELECT secret_hash FROM api_key_secrets"));
  ASSERT_TRUE(rows && !rows->empty());
  const std::string stored = rows->front().Text(0);
  EXPECT_NE(stored.find_first_not_of("0123456789abcdef"), 0u);
  EXPECT_EQ(stored.find(secret), std::string::npos);
}

TEST_P(ApiKeysTest, RestrictedKeysNeedKnownScopes) {
  NewApiKey k = Key();
  k.type = "restricted";
  auto no_scopes = Await(store_->CreateApiKey(k));
  ASSERT_FALSE(no_scopes);
  EXPECT_EQ(no_scopes.error().problem_code, "validation_failed");
  k.scopes = {"products:delete"};
  EXPECT_FALSE(Await(store_->CreateApiKey(k)));
  k.scopes = {"products:write", "products:read", "products:read"};
  const CreatedApiKey created = MustCreate(k);
  EXPECT_TRUE(created.secret.Reveal().starts_with("rk_live_"));
  EXPECT_EQ(created.key.scopes, (std::vector<std::string>{"products:read", "products:write"}));
}

TEST_P(ApiKeysTest, ValidationNamesEachBadField) {
  NewApiKey k = Key();
  k.name = "";
  k.type = "admin";
  k.environment = "prod";
  k.expires_at = std::chrono::system_clock::now() - seconds(1);
  auto r = Await(store_->CreateApiKey(k));
  ASSERT_FALSE(r);
  std::vector<std::string> fields;
  for (const auto& e : r.error().field_errors) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "type", "environment", "expires_at"}));
  NewApiKey secret_with_scopes = Key();
  secret_with_scopes.scopes = {"keys:read"};
  EXPECT_FALSE(Await(store_->CreateApiKey(secret_with_scopes)));
}

TEST_P(ApiKeysTest, RotationKeepsTheOldSecretForTheGraceOnly) {
  const CreatedApiKey created = MustCreate(Key());
  auto rotated = Await(store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(60)));
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->key.id, created.key.id);
  EXPECT_NE(rotated->secret.Reveal(), created.secret.Reveal());
  const auto old_match = Lookup(created.secret.Reveal());
  ASSERT_TRUE(old_match && old_match->secret_expires_at);
  EXPECT_GT(*old_match->secret_expires_at, std::chrono::system_clock::now() + seconds(50));
  const auto new_match = Lookup(rotated->secret.Reveal());
  ASSERT_TRUE(new_match);
  EXPECT_FALSE(new_match->secret_expires_at);

  auto again = Await(store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(0)));
  ASSERT_TRUE(again);
  const auto retired = Lookup(rotated->secret.Reveal());
  ASSERT_TRUE(retired && retired->secret_expires_at);
  EXPECT_LE(*retired->secret_expires_at, std::chrono::system_clock::now());
}

TEST_P(ApiKeysTest, AnotherTenantsKeyIsNotFound) {
  const CreatedApiKey created = MustCreate(Key(0));
  EXPECT_FALSE(*Await(store_->FindApiKey(tenants_[1].id, created.key.id)));
  auto rotate = Await(store_->RotateApiKey(tenants_[1].id, created.key.id, seconds(0)));
  ASSERT_FALSE(rotate);
  EXPECT_EQ(rotate.error().code, base::ErrorCode::kNotFound);
  EXPECT_FALSE(Await(store_->RevokeApiKey(tenants_[1].id, created.key.id)));
  EXPECT_TRUE(Await(store_->ListApiKeys(tenants_[1].id, "", 50))->items.empty());
}

TEST_P(ApiKeysTest, RevokeIsIdempotentAndBlocksRotation) {
  const CreatedApiKey created = MustCreate(Key());
  auto first = Await(store_->RevokeApiKey(tenants_[0].id, created.key.id));
  ASSERT_TRUE(first && first->revoked_at);
  auto second = Await(store_->RevokeApiKey(tenants_[0].id, created.key.id));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->revoked_at, first->revoked_at);
  auto rotate = Await(store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(0)));
  ASSERT_FALSE(rotate);
  EXPECT_EQ(rotate.error().problem_code, "key_revoked");
  EXPECT_TRUE(Lookup(created.secret.Reveal())->key.revoked_at);
}

TEST_P(ApiKeysTest, RecordedUseNeverMovesBackwards) {
  const CreatedApiKey created = MustCreate(Key());
  const auto t = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  ASSERT_TRUE(Await(store_->RecordApiKeyUse({{created.key.id, t}})));
  ASSERT_TRUE(Await(store_->RecordApiKeyUse({{created.key.id, t - seconds(10)}})));
  auto key = Await(store_->FindApiKey(tenants_[0].id, created.key.id));
  ASSERT_TRUE(key && *key);
  EXPECT_EQ((*key)->last_used_at, t);
}

TEST_P(ApiKeysTest, ListPagesInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MustCreate(Key()).key.id);
  std::vector<std::string> seen;
  std::string after;
  for (int i = 0; i < 10; ++i) {
    auto page = Await(store_->ListApiKeys(tenants_[0].id, after, 2));
    ASSERT_TRUE(page);
    for (const auto& k : page->items) seen.push_back(k.id);
    if (!page->next_cursor) break;
    after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
}

TEST_P(ApiKeysTest, AppSecretRotationWithGrace) {
  auto before = Await(store_->FindAppCredentials(tenants_[0].app_key));
  ASSERT_TRUE(before && *before);
  ASSERT_EQ((*before)->secrets.size(), 1u);
  EXPECT_EQ((*before)->secrets[0].secret.Reveal(), secrets_[0]);

  auto rotated = Await(store_->RotateAppSecret(tenants_[0].slug, seconds(60)));
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->app_key, tenants_[0].app_key);
  auto during = Await(store_->FindAppCredentials(tenants_[0].app_key));
  ASSERT_TRUE(during && *during);
  ASSERT_EQ((*during)->secrets.size(), 2u);
  EXPECT_EQ((*during)->secrets[0].secret.Reveal(), rotated->app_secret.Reveal()) << "newest first";
  EXPECT_TRUE((*during)->secrets[1].expires_at);

  ASSERT_TRUE(Await(store_->RotateAppSecret(tenants_[0].id, seconds(0))));
  auto after = Await(store_->FindAppCredentials(tenants_[0].app_key));
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->secrets.size(), 1u);
  EXPECT_FALSE(*Await(store_->FindAppCredentials("ak_unknown")));
}

TEST_P(ApiKeysTest, GenerationMovesOnChangesThatCachesHold) {
  const uint64_t g0 = store_->Generation();
  TenantPatch suspend;
  suspend.status = TenantStatus::kSuspended;
  ASSERT_TRUE(Await(store_->UpdateTenant(tenants_[0].id, suspend)));
  const uint64_t g1 = store_->Generation();
  EXPECT_NE(g1, g0);
  const CreatedApiKey created = MustCreate(Key());
  ASSERT_TRUE(Await(store_->RevokeApiKey(tenants_[0].id, created.key.id)));
  EXPECT_NE(store_->Generation(), g1);
}

TEST_P(ApiKeysTest, GenerationSeesAnotherProcesssChange) {
  // Another process: its own connection, nothing shared with store_ but
  // the database (its change bumps the counter in its own transaction).
  auto other_db = OpenControlDatabase(dir_, url_);
  ASSERT_TRUE(other_db);
  ASSERT_TRUE(Await((*other_db)->Exec("SELECT 1")));
  ASSERT_TRUE(Await(store_->RefreshGeneration()));
  const uint64_t g0 = store_->Generation();
  ASSERT_TRUE(
      Await((*other_db)->Exec("UPDATE tenants SET status = 'suspended' WHERE slug = 'two'")));
  // Polled at most once per interval (1 ms here): wait out one interval.
  uint64_t g = g0;
  for (int i = 0; i < 200 && g == g0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(Await(store_->RefreshGeneration()));
    g = store_->Generation();
  }
  EXPECT_NE(g, g0);
}

}  // namespace
}  // namespace tenantd::control
