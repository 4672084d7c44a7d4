#include "control/control_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "await.h"
#include "base/ids.h"
#include "control/migrations.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "storage/database.h"
#include "storage/sqlite/connection.h"
#include "storage_engines.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

namespace fs = std::filesystem;

using test::Await;
using test::TempDir;

const std::vector<std::string> kPlans = ControlStoreOptions{}.plans;

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

NewTenant Acme(std::string slug = "acme") {
  NewTenant t;
  t.slug = std::move(slug);
  t.name = "Acme Corp";
  return t;
}

std::vector<std::string> FieldsOf(const std::vector<base::FieldError>& errors) {
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  return fields;
}

// The contract of the control store, run on each engine (TEST_P); what
// only SQLite has (a file, WAL) is ControlStoreSqliteTest's.
class ControlStoreTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x42')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (engine() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    store_ = OpenStore();
    ASSERT_TRUE(store_);
  }

  virtual test::EngineKind engine() const { return GetParam(); }
  fs::path DataDir() const { return dir_.path() / "data"; }

  // Another store on the same database, as another process would open it.
  std::unique_ptr<ControlStore> OpenStore() {
    auto db = OpenControlDatabase(DataDir(), url_);
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    if (!db) return nullptr;
    auto store = Await(ControlStore::Open(std::move(*db), *box_));
    EXPECT_TRUE(store) << (store ? "" : store.error().log_detail);
    return store ? std::move(*store) : nullptr;
  }

  CreatedTenant Create(std::string slug) {
    auto created = Await(store_->CreateTenant(Acme(std::move(slug))));
    EXPECT_TRUE(created) << (created ? "" : created.error().problem_code);
    return created ? std::move(*created) : CreatedTenant{};
  }

  // A query the store API does not offer, on the store's own database.
  storage::Rows Sql(std::string_view sql, storage::Params params = {}) {
    auto rows = Await(store_->database().Query(sql, std::move(params)));
    EXPECT_TRUE(rows) << (rows ? "" : rows.error().log_detail);
    return rows ? std::move(*rows) : storage::Rows{};
  }

  // A second, raw connection for checks the store API does not offer.
  std::unique_ptr<storage::sqlite::Connection> RawDb() {
    auto db = storage::sqlite::Connection::Open(DataDir() / "control.db");
    EXPECT_TRUE(db);
    return db ? std::move(*db) : nullptr;
  }

  TempDir dir_;
  std::string url_;  // the PostgreSQL database; "" on SQLite
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Engines, ControlStoreTest, test::kEngineKinds, test::EngineKindName);

class ControlStoreSqliteTest : public ControlStoreTest {
 protected:
  test::EngineKind engine() const override { return test::EngineKind::kSqlite; }
};

TEST_F(ControlStoreSqliteTest, OpenCreatesOwnerOnlyDataDirAndMigratesOnce) {
  struct stat st {};
  ASSERT_EQ(stat(DataDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::exists(DataDir() / "control.db"));
  // The newest migration, applied once.
  const int newest = ControlMigrations().back().version;
  auto version = Await(store_->SchemaVersion());
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, newest);
  EXPECT_GE(newest, 5);
  EXPECT_TRUE(Await(store_->Ping()));

  store_.reset();
  store_ = OpenStore();
  ASSERT_TRUE(store_);
  EXPECT_EQ(*Await(store_->SchemaVersion()), newest);
  auto db = RawDb();
  auto rows = db->Prepare("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(rows && *rows->Step());
  EXPECT_EQ(rows->ColumnInt64(0), static_cast<int64_t>(ControlMigrations().size()));
}

TEST_P(ControlStoreTest, CreateMintsIdAppKeyAndSecret) {
  const CreatedTenant created = Create("acme");
  const Tenant& t = created.tenant;
  EXPECT_TRUE(base::IsWellFormedId(t.id, "ten")) << t.id;
  EXPECT_EQ(t.slug, "acme");
  EXPECT_EQ(t.name, "Acme Corp");
  EXPECT_EQ(t.plan, "free");
  EXPECT_EQ(t.status, TenantStatus::kActive);
  EXPECT_EQ(t.isolation, "database");
  EXPECT_EQ(t.created_at, t.updated_at);
  ASSERT_EQ(t.app_key.size(), 3u + 24u);
  EXPECT_EQ(t.app_key.substr(0, 3), "ak_");
  const std::string& secret = created.app_secret.Reveal();
  ASSERT_EQ(secret.size(), 43u);
  EXPECT_TRUE(std::all_of(secret.begin(), secret.end(), [](char c) { return std::isalnum(c); }));

  const CreatedTenant other = Create("globex");
  EXPECT_NE(other.tenant.id, t.id);
  EXPECT_NE(other.tenant.app_key, t.app_key);
  EXPECT_NE(other.app_secret.Reveal(), secret);
}

TEST_P(ControlStoreTest, SecretIsPrintedAsStars) {
  const CreatedTenant created = Create("acme");
  std::ostringstream out;
  out << created.app_secret;
  EXPECT_EQ(out.str(), "***");
}

TEST_P(ControlStoreTest, FindsByIdAndBySlug) {
  const Tenant created = Create("acme").tenant;
  auto by_id = Await(store_->FindTenant(created.id));
  ASSERT_TRUE(by_id);
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->slug, "acme");
  EXPECT_EQ((*by_id)->app_key, created.app_key);
  EXPECT_EQ((*by_id)->created_at, created.created_at);
  EXPECT_EQ((*by_id)->updated_at, created.updated_at);

  auto by_slug = Await(store_->FindTenant("acme"));
  ASSERT_TRUE(by_slug && by_slug->has_value());
  EXPECT_EQ((*by_slug)->id, created.id);

  auto missing_slug = Await(store_->FindTenant("nobody"));
  ASSERT_TRUE(missing_slug);
  EXPECT_FALSE(missing_slug->has_value());
  auto missing_id = Await(store_->FindTenant(base::NewId("ten")));
  ASSERT_TRUE(missing_id);
  EXPECT_FALSE(missing_id->has_value());
  auto junk = Await(store_->FindTenant("'; DROP TABLE tenants; --"));
  ASSERT_TRUE(junk);
  EXPECT_FALSE(junk->has_value());
}

TEST_P(ControlStoreTest, ListPaginatesByIdWithCursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Create("tenant-" + std::to_string(i)).tenant.id);

  TenantListQuery q;
  q.limit = 2;
  std::vector<std::string> seen;
  std::vector<std::optional<std::string>> cursors;
  for (;;) {
    auto page = Await(store_->ListTenants(q));
    ASSERT_TRUE(page);
    for (const Tenant& t : page->items) seen.push_back(t.id);
    cursors.push_back(page->next_cursor);
    if (!page->next_cursor) break;
    EXPECT_EQ(*page->next_cursor, page->items.back().id);
    q.after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);  // ids sort by creation
  EXPECT_EQ(cursors.size(), 3u);

  // A page that ends exactly at the last tenant says so.
  q.after = ids[2];
  auto last = Await(store_->ListTenants(q));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->items.size(), 2u);
  EXPECT_FALSE(last->next_cursor.has_value());

  q.after.clear();
  q.limit = 50;
  auto all = Await(store_->ListTenants(q));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 5u);
  EXPECT_FALSE(all->next_cursor.has_value());
}

TEST_P(ControlStoreTest, ListFiltersByStatus) {
  const std::string a = Create("alpha").tenant.id;
  const std::string b = Create("bravo").tenant.id;
  const std::string c = Create("charlie").tenant.id;
  TenantPatch suspend;
  suspend.status = TenantStatus::kSuspended;
  ASSERT_TRUE(Await(store_->UpdateTenant(b, suspend)));
  ASSERT_TRUE(Await(store_->DeleteTenant(c)));

  auto ids_with = [&](std::optional<TenantStatus> status) {
    TenantListQuery q;
    q.status = status;
    auto page = Await(store_->ListTenants(q));
    EXPECT_TRUE(page);
    std::vector<std::string> ids;
    for (const Tenant& t : page->items) ids.push_back(t.id);
    return ids;
  };
  EXPECT_EQ(ids_with(TenantStatus::kActive), std::vector<std::string>{a});
  EXPECT_EQ(ids_with(TenantStatus::kSuspended), std::vector<std::string>{b});
  EXPECT_EQ(ids_with(TenantStatus::kDeleted), std::vector<std::string>{c});
  EXPECT_EQ(ids_with(std::nullopt), (std::vector<std::string>{a, b, c}));
}

TEST_P(ControlStoreTest, UpdateChangesFieldsAndBumpsUpdatedAt) {
  const Tenant created = Create("acme").tenant;
  std::this_thread::sleep_for(std::chrono::milliseconds(3));  // timestamps have ms resolution
  TenantPatch patch;
  patch.name = "  Acme Industries  ";
  patch.plan = "pro";
  auto updated = Await(store_->UpdateTenant("acme", patch));
  ASSERT_TRUE(updated) << updated.error().log_detail;
  EXPECT_EQ(updated->name, "Acme Industries");
  EXPECT_EQ(updated->plan, "pro");
  EXPECT_EQ(updated->status, TenantStatus::kActive);
  EXPECT_EQ(updated->created_at, created.created_at);
  EXPECT_GT(updated->updated_at, created.updated_at);

  auto found = Await(store_->FindTenant(created.id));
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->name, "Acme Industries");
  EXPECT_EQ((*found)->plan, "pro");
  EXPECT_EQ((*found)->updated_at, updated->updated_at);
}

TEST_P(ControlStoreTest, SuspendAndReactivate) {
  const Tenant created = Create("acme").tenant;
  TenantPatch patch;
  patch.status = TenantStatus::kSuspended;
  auto suspended = Await(store_->UpdateTenant(created.id, patch));
  ASSERT_TRUE(suspended);
  EXPECT_EQ(suspended->status, TenantStatus::kSuspended);
  EXPECT_EQ((*Await(store_->FindTenant("acme")))->status, TenantStatus::kSuspended);

  patch.status = TenantStatus::kActive;
  auto active = Await(store_->UpdateTenant(created.id, patch));
  ASSERT_TRUE(active);
  EXPECT_EQ((*Await(store_->FindTenant("acme")))->status, TenantStatus::kActive);
}

TEST_P(ControlStoreTest, UpdateOfUnknownOrDeletedTenantFails) {
  TenantPatch patch;
  patch.plan = "pro";
  auto unknown = Await(store_->UpdateTenant("nobody", patch));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().problem_code, "not_found");

  const Tenant created = Create("acme").tenant;
  ASSERT_TRUE(Await(store_->DeleteTenant(created.id)));
  auto deleted = Await(store_->UpdateTenant(created.id, patch));
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, base::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(deleted.error().problem_code, "tenant_deleted");
  EXPECT_EQ(deleted.error().public_message, "The tenant is deleted.");
  // Deleted tenants cannot be brought back by a PATCH either.
  TenantPatch revive;
  revive.status = TenantStatus::kActive;
  EXPECT_FALSE(Await(store_->UpdateTenant(created.id, revive)));
  EXPECT_EQ((*Await(store_->FindTenant(created.id)))->status, TenantStatus::kDeleted);
}

TEST_P(ControlStoreTest, InvalidPatchIsRejectedWithFieldNames) {
  const Tenant created = Create("acme").tenant;
  TenantPatch patch;
  patch.name = "   ";
  patch.plan = "gold";
  patch.status = TenantStatus::kDeleted;
  auto result = Await(store_->UpdateTenant(created.id, patch));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().problem_code, "validation_failed");
  EXPECT_EQ(FieldsOf(result.error().field_errors),
            (std::vector<std::string>{"name", "plan", "status"}));
  EXPECT_NE(result.error().field_errors[2].message.find("use DELETE"), std::string::npos);
  // Nothing changed.
  EXPECT_EQ((*Await(store_->FindTenant(created.id)))->updated_at, created.updated_at);
}

TEST_P(ControlStoreTest, DeleteIsIdempotentAndKeepsFirstDeletion) {
  const Tenant created = Create("acme").tenant;
  auto first = Await(store_->DeleteTenant("acme"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, TenantStatus::kDeleted);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  auto second = Await(store_->DeleteTenant(created.id));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, TenantStatus::kDeleted);
  EXPECT_EQ(second->updated_at, first->updated_at);

  // Found, with the status telling.
  auto found = Await(store_->FindTenant(created.id));
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->status, TenantStatus::kDeleted);

  const storage::Rows rows = Sql("SELECT deleted_at FROM tenants WHERE id = $1", {created.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(base::ParseRfc3339(rows.front().Text(0)), first->updated_at);

  auto unknown = Await(store_->DeleteTenant("nobody"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);
}

TEST_P(ControlStoreTest, PurgeRemovesTenantAndCredentials) {
  const Tenant purged = Create("acme").tenant;
  const Tenant kept = Create("globex").tenant;
  ASSERT_TRUE(Await(store_->DeleteTenant(purged.id)));
  ASSERT_TRUE(Await(store_->PurgeTenant("acme")));

  auto found = Await(store_->FindTenant(purged.id));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
  constexpr std::string_view kCount = "SELECT count(*) FROM app_credentials WHERE tenant_id = $1";
  EXPECT_EQ(Sql(kCount, {purged.id}).front().Int64(0), 0);
  EXPECT_EQ(Sql(kCount, {kept.id}).front().Int64(0), 1);

  auto again = Await(store_->PurgeTenant(purged.id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kNotFound);
}

TEST_P(ControlStoreTest, SlugIsReusableAfterPurgeButNotBefore) {
  const Tenant first = Create("acme").tenant;
  auto duplicate = Await(store_->CreateTenant(Acme("acme")));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(duplicate.error().problem_code, "slug_taken");
  EXPECT_EQ(duplicate.error().public_message, "A tenant with this slug already exists.");

  ASSERT_TRUE(Await(store_->DeleteTenant(first.id)));
  auto after_delete = Await(store_->CreateTenant(Acme("acme")));
  ASSERT_FALSE(after_delete);
  EXPECT_EQ(after_delete.error().problem_code, "slug_taken");

  ASSERT_TRUE(Await(store_->PurgeTenant(first.id)));
  auto after_purge = Await(store_->CreateTenant(Acme("acme")));
  ASSERT_TRUE(after_purge);
  EXPECT_NE(after_purge->tenant.id, first.id);
}

TEST_P(ControlStoreTest, InvalidNewTenantIsRejectedWithFieldNames) {
  NewTenant t;
  t.slug = "-bad-";
  t.name = "";
  t.plan = "gold";
  t.isolation = "schema";
  auto result = Await(store_->CreateTenant(t));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().problem_code, "validation_failed");
  EXPECT_EQ(FieldsOf(result.error().field_errors),
            (std::vector<std::string>{"slug", "name", "plan", "isolation"}));
  EXPECT_NE(result.error().field_errors[3].message.find("not available yet"), std::string::npos);
  auto page = Await(store_->ListTenants({}));
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

TEST(ValidateNewTenant, SlugRules) {
  auto slug_ok = [](std::string slug) {
    NewTenant t = Acme(std::move(slug));
    return ValidateNewTenant(t, kPlans).empty();
  };
  EXPECT_TRUE(slug_ok("abc"));
  EXPECT_TRUE(slug_ok("a-b"));
  EXPECT_TRUE(slug_ok("acme-2026"));
  EXPECT_TRUE(slug_ok("123"));
  EXPECT_TRUE(slug_ok(std::string(63, 'a')));
  EXPECT_FALSE(slug_ok(std::string(64, 'a')));
  EXPECT_FALSE(slug_ok("ab"));
  EXPECT_FALSE(slug_ok(""));
  EXPECT_FALSE(slug_ok("-abc"));
  EXPECT_FALSE(slug_ok("abc-"));
  EXPECT_FALSE(slug_ok("Acme"));
  EXPECT_FALSE(slug_ok("ac_me"));
  EXPECT_FALSE(slug_ok("ac me"));
  EXPECT_FALSE(slug_ok("acm\xc3\xa9"));
  EXPECT_FALSE(slug_ok("ten_01HZX3K5Q8N3V6W9YBCDEFGHJK"));

  NewTenant bad = Acme("ab");
  const auto errors = ValidateNewTenant(bad, kPlans);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "slug");
  EXPECT_FALSE(errors[0].message.empty());
}

TEST(ValidateNewTenant, NameRules) {
  auto name_ok = [](std::string name) {
    NewTenant t = Acme();
    t.name = std::move(name);
    return ValidateNewTenant(t, kPlans).empty();
  };
  EXPECT_TRUE(name_ok("A"));
  EXPECT_TRUE(name_ok("  Acme  "));
  EXPECT_TRUE(name_ok("Caf\xc3\xa9 M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x9a\x80"));
  EXPECT_TRUE(name_ok(std::string(200, 'x')));
  EXPECT_TRUE(name_ok(" " + std::string(200, 'x') + "\t"));  // limit applies after trimming
  EXPECT_FALSE(name_ok(std::string(201, 'x')));
  EXPECT_FALSE(name_ok(""));
  EXPECT_FALSE(name_ok(" \t\n "));
  EXPECT_FALSE(name_ok("Ac\nme"));
  EXPECT_FALSE(name_ok(std::string("Ac\0me", 5)));
  EXPECT_FALSE(name_ok("Ac\x7fme"));
  EXPECT_FALSE(name_ok("Ac\xc2\x85me"));        // U+0085, a C1 control
  EXPECT_FALSE(name_ok("Ac\x1b[2Jme"));         // terminal escape
  EXPECT_FALSE(name_ok("Ac\xffme"));            // not UTF-8
  EXPECT_FALSE(name_ok("Ac\xc0\xafme"));        // overlong '/'
  EXPECT_FALSE(name_ok("Ac\xed\xa0\x80me"));    // UTF-16 surrogate
  EXPECT_FALSE(name_ok("Ac\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(name_ok("Ac\xe2\x82"));          // truncated sequence
}

TEST(ValidateNewTenant, PlanAndIsolationRules) {
  for (const char* plan : {"free", "pro", "enterprise"}) {
    NewTenant t = Acme();
    t.plan = plan;
    EXPECT_TRUE(ValidateNewTenant(t, kPlans).empty()) << plan;
  }
  NewTenant bad_plan = Acme();
  bad_plan.plan = "Pro";
  EXPECT_EQ(FieldsOf(ValidateNewTenant(bad_plan, kPlans)), std::vector<std::string>{"plan"});

  for (const char* isolation : {"schema", "shared", "", "Database"}) {
    NewTenant t = Acme();
    t.isolation = isolation;
    EXPECT_EQ(FieldsOf(ValidateNewTenant(t, kPlans)), std::vector<std::string>{"isolation"})
        << isolation;
  }
}

TEST(ValidateNewTenant, AcceptsExactlyTheConfiguredPlans) {
  const std::vector<std::string> plans = {"free", "gold"};
  NewTenant t = Acme();
  t.plan = "gold";
  EXPECT_TRUE(ValidateNewTenant(t, plans).empty());
  t.plan = "pro";
  const auto errors = ValidateNewTenant(t, plans);
  ASSERT_EQ(FieldsOf(errors), std::vector<std::string>{"plan"});
  EXPECT_EQ(errors[0].message, "Plan must be one of free, gold.");
  TenantPatch p;
  p.plan = "gold";
  EXPECT_TRUE(ValidatePatch(p, plans).empty());
  p.plan = "enterprise";
  EXPECT_EQ(FieldsOf(ValidatePatch(p, plans)), std::vector<std::string>{"plan"});
}

TEST(ValidatePatch, EmptyPatchIsValidAndStatusIsLimited) {
  EXPECT_TRUE(ValidatePatch({}, kPlans).empty());
  TenantPatch p;
  p.status = TenantStatus::kSuspended;
  EXPECT_TRUE(ValidatePatch(p, kPlans).empty());
  p.status = TenantStatus::kActive;
  EXPECT_TRUE(ValidatePatch(p, kPlans).empty());
  p.status = TenantStatus::kDeleted;
  EXPECT_EQ(FieldsOf(ValidatePatch(p, kPlans)), std::vector<std::string>{"status"});
}

TEST(TenantStatusText, RoundTrips) {
  for (TenantStatus s : {TenantStatus::kActive, TenantStatus::kSuspended, TenantStatus::kDeleted}) {
    EXPECT_EQ(ParseTenantStatus(ToString(s)), s);
  }
  EXPECT_EQ(ToString(TenantStatus::kSuspended), "suspended");
  EXPECT_EQ(ParseTenantStatus("Active"), std::nullopt);
  EXPECT_EQ(ParseTenantStatus(""), std::nullopt);
}

TEST_F(ControlStoreSqliteTest, SecretIsStoredSealedAndAsDigestOnly) {
  const CreatedTenant created = Create("acme");
  const std::string& secret = created.app_secret.Reveal();
  const std::string digest = crypto::Sha256Hex(secret);

  // Read the files while the store is open: the rows may still be in the
  // WAL, and closing would checkpoint them into the main file.
  const std::string bytes =
      ReadFileBytes(DataDir() / "control.db") + ReadFileBytes(DataDir() / "control.db-wal");
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  EXPECT_NE(bytes.find(digest), std::string::npos);
  EXPECT_NE(bytes.find(created.tenant.app_key), std::string::npos);

  // The sealed copy opens only for this tenant's row.
  auto db = RawDb();
  {
    auto st =
        db->Prepare("SELECT secret_sealed, secret_sha256 FROM app_credentials WHERE tenant_id = ?");
    ASSERT_TRUE(st);
    st->Bind(1, created.tenant.id);
    ASSERT_TRUE(*st->Step());
    const std::string sealed = st->ColumnText(0);
    EXPECT_EQ(st->ColumnText(1), digest);
    auto opened = box_->Open(sealed, "tenant:" + created.tenant.id + ":app_secret");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->Reveal(), secret);
    EXPECT_FALSE(box_->Open(sealed, "tenant:" + base::NewId("ten") + ":app_secret"));
  }

  // And after a checkpoint, in the main file alone.
  ASSERT_TRUE(db->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  const std::string main_file = ReadFileBytes(DataDir() / "control.db");
  EXPECT_EQ(main_file.find(secret), std::string::npos);
  EXPECT_NE(main_file.find(digest), std::string::npos);
}

TEST_P(ControlStoreTest, SettingsRoundTrip) {
  auto missing = Await(store_->GetSetting("admin_token_sha256"));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(Await(store_->PutSetting("admin_token_sha256", "abc")));
  EXPECT_EQ(*Await(store_->GetSetting("admin_token_sha256")), std::optional<std::string>("abc"));
  ASSERT_TRUE(Await(store_->PutSetting("admin_token_sha256", "def")));
  EXPECT_EQ(*Await(store_->GetSetting("admin_token_sha256")), std::optional<std::string>("def"));
  ASSERT_TRUE(Await(store_->PutSetting("empty", "")));
  EXPECT_EQ(*Await(store_->GetSetting("empty")), std::optional<std::string>(""));

  store_.reset();
  store_ = OpenStore();
  ASSERT_TRUE(store_);
  EXPECT_EQ(*Await(store_->GetSetting("admin_token_sha256")), std::optional<std::string>("def"));
}

TEST_P(ControlStoreTest, TwoStoresOnOneDirectorySeeEachOthersWrites) {
  auto other = OpenStore();
  ASSERT_TRUE(other);
  const Tenant created = Create("acme").tenant;
  auto seen = Await(other->FindTenant("acme"));
  ASSERT_TRUE(seen && seen->has_value());
  EXPECT_EQ((*seen)->id, created.id);

  TenantPatch patch;
  patch.status = TenantStatus::kSuspended;
  ASSERT_TRUE(Await(other->UpdateTenant("acme", patch)));
  EXPECT_EQ((*Await(store_->FindTenant(created.id)))->status, TenantStatus::kSuspended);

  ASSERT_TRUE(Await(other->PutSetting("k", "v")));
  EXPECT_EQ(*Await(store_->GetSetting("k")), std::optional<std::string>("v"));

  auto duplicate = Await(other->CreateTenant(Acme("acme")));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().problem_code, "slug_taken");
}

TEST_P(ControlStoreTest, ConcurrentCreatesOnOneStoreAllSucceed) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        auto created =
            Await(store_->CreateTenant(Acme("t" + std::to_string(i) + "-" + std::to_string(j))));
        if (created) ids[i].push_back(created->tenant.id);
      }
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::string> distinct;
  for (const auto& v : ids) {
    EXPECT_EQ(v.size(), static_cast<std::size_t>(kPerThread));
    distinct.insert(v.begin(), v.end());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kPerThread));
  TenantListQuery q;
  q.limit = 500;
  auto page = Await(store_->ListTenants(q));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_P(ControlStoreTest, ConcurrentCreatesThroughSeparateStoresAllSucceed) {
  // Separate connections contend for SQLite's write lock, as the CLI and a
  // running server do; the busy timeout must absorb it.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::unique_ptr<ControlStore>> stores;
  for (int i = 0; i < kThreads; ++i) {
    stores.push_back(OpenStore());
    ASSERT_TRUE(stores.back());
  }
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        auto created =
            Await(stores[i]->CreateTenant(Acme("s" + std::to_string(i) + "-" + std::to_string(j))));
        if (created) {
          ids[i].push_back(created->tenant.id);
        } else {
          failures[i] = created.error().log_detail;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(ids[i].size(), static_cast<std::size_t>(kPerThread)) << failures[i];
    distinct.insert(ids[i].begin(), ids[i].end());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace tenantd::control
