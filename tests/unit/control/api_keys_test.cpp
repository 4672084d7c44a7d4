#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "storage/sqlite/connection.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'k')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    auto store = ControlStore::Open(dir_, *box_);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    for (const char* slug : {"one", "two"}) {
      NewTenant t;
      t.slug = slug;
      t.name = slug;
      auto created = store_->CreateTenant(t);
      ASSERT_TRUE(created);
      tenants_.push_back(created->tenant);
      secrets_.push_back(created->app_secret.Reveal());
    }
  }
  void TearDown() override { store_.reset(); }

  CreatedApiKey MustCreate(NewApiKey k) {
    auto created = store_->CreateApiKey(k);
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
    auto m = store_->FindApiKeyBySecretHash(store_->ApiKeySecretHash(secret));
    EXPECT_TRUE(m);
    return m ? *m : std::nullopt;
  }

  test::TempDir tmp_;
  const fs::path dir_ = tmp_.path();
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> store_;
  std::vector<Tenant> tenants_;
  std::vector<std::string> secrets_;
};

TEST_F(ApiKeysTest, CreateMintsAPrefixedSecretAndStoresOnlyItsKeyedHash) {
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
  store_.reset();
  auto db = storage::sqlite::Connection::Open(dir_ / "control.db");
  ASSERT_TRUE(db);
  auto st = (*db)->Prepare("SELECT secret_hash FROM api_key_secrets");
  ASSERT_TRUE(st && *st->Step());
  const std::string stored = st->ColumnText(0);
  EXPECT_NE(stored.find_first_not_of("0123456789abcdef"), 0u);
  EXPECT_EQ(stored.find(secret), std::string::npos);
}

TEST_F(ApiKeysTest, RestrictedKeysNeedKnownScopes) {
  NewApiKey k = Key();
  k.type = "restricted";
  auto no_scopes = store_->CreateApiKey(k);
  ASSERT_FALSE(no_scopes);
  EXPECT_EQ(no_scopes.error().problem_code, "validation_failed");
  k.scopes = {"products:delete"};
  EXPECT_FALSE(store_->CreateApiKey(k));
  k.scopes = {"products:write", "products:read", "products:read"};
  const CreatedApiKey created = MustCreate(k);
  EXPECT_TRUE(created.secret.Reveal().starts_with("rk_live_"));
  EXPECT_EQ(created.key.scopes, (std::vector<std::string>{"products:read", "products:write"}));
}

TEST_F(ApiKeysTest, ValidationNamesEachBadField) {
  NewApiKey k = Key();
  k.name = "";
  k.type = "admin";
  k.environment = "prod";
  k.expires_at = std::chrono::system_clock::now() - seconds(1);
  auto r = store_->CreateApiKey(k);
  ASSERT_FALSE(r);
  std::vector<std::string> fields;
  for (const auto& e : r.error().field_errors) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "type", "environment", "expires_at"}));
  NewApiKey secret_with_scopes = Key();
  secret_with_scopes.scopes = {"keys:read"};
  EXPECT_FALSE(store_->CreateApiKey(secret_with_scopes));
}

TEST_F(ApiKeysTest, RotationKeepsTheOldSecretForTheGraceOnly) {
  const CreatedApiKey created = MustCreate(Key());
  auto rotated = store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(60));
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->key.id, created.key.id);
  EXPECT_NE(rotated->secret.Reveal(), created.secret.Reveal());
  const auto old_match = Lookup(created.secret.Reveal());
  ASSERT_TRUE(old_match && old_match->secret_expires_at);
  EXPECT_GT(*old_match->secret_expires_at, std::chrono::system_clock::now() + seconds(50));
  const auto new_match = Lookup(rotated->secret.Reveal());
  ASSERT_TRUE(new_match);
  EXPECT_FALSE(new_match->secret_expires_at);

  auto again = store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(0));
  ASSERT_TRUE(again);
  const auto retired = Lookup(rotated->secret.Reveal());
  ASSERT_TRUE(retired && retired->secret_expires_at);
  EXPECT_LE(*retired->secret_expires_at, std::chrono::system_clock::now());
}

TEST_F(ApiKeysTest, AnotherTenantsKeyIsNotFound) {
  const CreatedApiKey created = MustCreate(Key(0));
  EXPECT_FALSE(*store_->FindApiKey(tenants_[1].id, created.key.id));
  auto rotate = store_->RotateApiKey(tenants_[1].id, created.key.id, seconds(0));
  ASSERT_FALSE(rotate);
  EXPECT_EQ(rotate.error().code, base::ErrorCode::kNotFound);
  EXPECT_FALSE(store_->RevokeApiKey(tenants_[1].id, created.key.id));
  EXPECT_TRUE(store_->ListApiKeys(tenants_[1].id, "", 50)->items.empty());
}

TEST_F(ApiKeysTest, RevokeIsIdempotentAndBlocksRotation) {
  const CreatedApiKey created = MustCreate(Key());
  auto first = store_->RevokeApiKey(tenants_[0].id, created.key.id);
  ASSERT_TRUE(first && first->revoked_at);
  auto second = store_->RevokeApiKey(tenants_[0].id, created.key.id);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->revoked_at, first->revoked_at);
  auto rotate = store_->RotateApiKey(tenants_[0].id, created.key.id, seconds(0));
  ASSERT_FALSE(rotate);
  EXPECT_EQ(rotate.error().problem_code, "key_revoked");
  EXPECT_TRUE(Lookup(created.secret.Reveal())->key.revoked_at);
}

TEST_F(ApiKeysTest, RecordedUseNeverMovesBackwards) {
  const CreatedApiKey created = MustCreate(Key());
  const auto t = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  ASSERT_TRUE(store_->RecordApiKeyUse({{created.key.id, t}}));
  ASSERT_TRUE(store_->RecordApiKeyUse({{created.key.id, t - seconds(10)}}));
  auto key = store_->FindApiKey(tenants_[0].id, created.key.id);
  ASSERT_TRUE(key && *key);
  EXPECT_EQ((*key)->last_used_at, t);
}

TEST_F(ApiKeysTest, ListPagesInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MustCreate(Key()).key.id);
  std::vector<std::string> seen;
  std::string after;
  for (int i = 0; i < 10; ++i) {
    auto page = store_->ListApiKeys(tenants_[0].id, after, 2);
    ASSERT_TRUE(page);
    for (const auto& k : page->items) seen.push_back(k.id);
    if (!page->next_cursor) break;
    after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
}

TEST_F(ApiKeysTest, AppSecretRotationWithGrace) {
  auto before = store_->FindAppCredentials(tenants_[0].app_key);
  ASSERT_TRUE(before && *before);
  ASSERT_EQ((*before)->secrets.size(), 1u);
  EXPECT_EQ((*before)->secrets[0].secret.Reveal(), secrets_[0]);

  auto rotated = store_->RotateAppSecret(tenants_[0].slug, seconds(60));
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->app_key, tenants_[0].app_key);
  auto during = store_->FindAppCredentials(tenants_[0].app_key);
  ASSERT_TRUE(during && *during);
  ASSERT_EQ((*during)->secrets.size(), 2u);
  EXPECT_EQ((*during)->secrets[0].secret.Reveal(), rotated->app_secret.Reveal()) << "newest first";
  EXPECT_TRUE((*during)->secrets[1].expires_at);

  ASSERT_TRUE(store_->RotateAppSecret(tenants_[0].id, seconds(0)));
  auto after = store_->FindAppCredentials(tenants_[0].app_key);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->secrets.size(), 1u);
  EXPECT_FALSE(*store_->FindAppCredentials("ak_unknown"));
}

TEST_F(ApiKeysTest, GenerationMovesOnChangesThatCachesHold) {
  const uint64_t g0 = store_->Generation();
  TenantPatch suspend;
  suspend.status = TenantStatus::kSuspended;
  ASSERT_TRUE(store_->UpdateTenant(tenants_[0].id, suspend));
  const uint64_t g1 = store_->Generation();
  EXPECT_NE(g1, g0);
  const CreatedApiKey created = MustCreate(Key());
  ASSERT_TRUE(store_->RevokeApiKey(tenants_[0].id, created.key.id));
  EXPECT_NE(store_->Generation(), g1);
}

TEST_F(ApiKeysTest, GenerationSeesAnotherConnectionsChange) {
  const uint64_t g0 = store_->Generation();
  {
    auto db = storage::sqlite::Connection::Open(dir_ / "control.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("UPDATE tenants SET status = 'suspended' WHERE slug = 'two'"));
  }
  // The epoch is polled at most once a millisecond.
  uint64_t g = g0;
  for (int i = 0; i < 200 && g == g0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    g = store_->Generation();
  }
  EXPECT_NE(g, g0);
}

}  // namespace
}  // namespace tenantd::control
