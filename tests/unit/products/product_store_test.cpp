#include "products/product_store.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "await.h"
#include "base/ids.h"
#include "products/idempotency.h"
#include "products/product_json.h"
#include "temp_dir.h"
#include "tenant_db/migrations.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_data.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::products {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// 2026-11-22T21:04:05.123Z: a fixed clock, so expiry is tested by moving it.
const base::TimePoint kT0 = *base::ParseRfc3339("2026-11-22T21:04:05.123Z");

NewProduct Sample(std::string sku = "SKU-1") {
  NewProduct p;
  p.sku = std::move(sku);
  p.name = "Blue mug";
  p.price_cents = 1299;
  p.attributes = boost::json::object{{"colour", "blue"}, {"size_ml", 350}};
  return p;
}

IdempotencyKey Key(std::string body_hash = "hash-a", std::string key = "retry-1") {
  return {std::move(key), "POST /v1/products", std::move(body_hash)};
}

StoredAnswer Render(const Product& p) { return {201, "/v1/products/" + p.id, ProductAnswer(p)}; }

using boost::asio::awaitable;
using tenant_db::Access;

constexpr std::string_view kTenant = "ten_01JD0000000000000000000000";

// Runs `body` in one transaction on the tenant's data, as a handler does,
// and commits a write that succeeded.
template <class R>
awaitable<R> RunIn(tenant_db::TenantData& data, Access access,
                   std::function<awaitable<R>(storage::Transaction&)> body) {
  auto tx = co_await data.Begin(kTenant, access);
  if (!tx) throw std::runtime_error("begin: " + tx.error().log_detail);
  R r = co_await body(**tx);
  if (r && access == Access::kWrite) {
    auto committed = co_await (*tx)->Commit();
    if (!committed) throw std::runtime_error("commit: " + committed.error().log_detail);
  }
  co_return r;
}

// The store's contract, on the tenant's data as TenantData reaches it (its
// SQLite file, from the pool).
class ProductStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provisioned = databases_.Provision(kTenant);
    ASSERT_TRUE(provisioned) << provisioned.error().log_detail;
  }

  template <class R>
  R In(Access access, std::function<awaitable<R>(storage::Transaction&)> body) {
    return test::Await(RunIn<R>(data_, access, std::move(body)));
  }

  base::Result<Product> Create(const NewProduct& p, base::TimePoint now) {
    return In<base::Result<Product>>(
        Access::kWrite, [&](storage::Transaction& tx) { return CreateProduct(tx, p, now); });
  }
  base::Result<IdempotentCreate> CreateOnce(const NewProduct& p, const IdempotencyKey& key,
                                            base::TimePoint now,
                                            StoredAnswer (*render)(const Product&)) {
    return In<base::Result<IdempotentCreate>>(Access::kWrite, [&](storage::Transaction& tx) {
      return CreateProductOnce(tx, p, key, now, render);
    });
  }
  base::Result<std::optional<Product>> Get(std::string_view id) {
    return In<base::Result<std::optional<Product>>>(
        Access::kRead, [&](storage::Transaction& tx) { return GetProduct(tx, id); });
  }
  base::Result<ProductPage> List(std::string_view after, int limit,
                                 std::optional<std::string_view> sku = std::nullopt) {
    return In<base::Result<ProductPage>>(Access::kRead, [&](storage::Transaction& tx) {
      return ListProducts(tx, after, limit, sku);
    });
  }
  base::Result<Product> Patch(std::string_view id, const ProductPatch& patch,
                              std::optional<int64_t> expected, base::TimePoint now) {
    return In<base::Result<Product>>(Access::kWrite, [&](storage::Transaction& tx) {
      return PatchProduct(tx, id, patch, expected, now);
    });
  }
  base::Status Delete(std::string_view id, std::optional<int64_t> expected) {
    return In<base::Status>(
        Access::kWrite, [&](storage::Transaction& tx) { return DeleteProduct(tx, id, expected); });
  }

  Product MustCreate(NewProduct p, base::TimePoint now = kT0) {
    auto created = Create(p, now);
    if (!created) throw std::runtime_error("create: " + created.error().public_message);
    return *created;
  }

  std::size_t Count(const std::string& table) {
    // Named: the statement runs after the lambda returns (awaitables start
    // when awaited), so its text must outlive the call.
    const std::string sql = "SELECT count(*) FROM " + table;
    auto rows = In<base::Result<storage::Rows>>(
        Access::kRead, [&](storage::Transaction& tx) { return tx.Query(sql); });
    if (!rows || rows->empty()) throw std::runtime_error("count: no row");
    return static_cast<std::size_t>(rows->front().Int64(0));
  }

  test::TempDir tmp_;
  tenant_db::TenantDatabases databases_{tmp_.path(), tenant_db::BuiltInMigrations()};
  tenant_db::TenantDbPool pool_{databases_, tenant_db::PoolOptions{}};
  tenant_db::TenantData data_{pool_};
};

// ---- validation ------------------------------------------------------------

struct InvalidBody {
  std::string body;
  std::string field;
};

TEST(ReadNewProduct, NamesTheFieldAtFault) {
  const std::string long_sku(65, 'a');
  const std::string long_name(201, 'n');
  const std::string big_attributes = R"({"blob":")" + std::string(16 * 1024, 'x') + R"("})";
  const std::vector<InvalidBody> cases = {
      {R"({"name":"n","price_cents":1})", "sku"},
      {R"({"sku":"","name":"n","price_cents":1})", "sku"},
      {R"({"sku":")" + long_sku + R"(","name":"n","price_cents":1})", "sku"},
      {R"({"sku":"a b","name":"n","price_cents":1})", "sku"},
      {R"({"sku":"a/b","name":"n","price_cents":1})", "sku"},
      {R"({"sku":"ü","name":"n","price_cents":1})", "sku"},
      {R"({"sku":5,"name":"n","price_cents":1})", "sku"},
      {R"({"sku":null,"name":"n","price_cents":1})", "sku"},
      {R"({"sku":"s","price_cents":1})", "name"},
      {R"({"sku":"s","name":"","price_cents":1})", "name"},
      {R"({"sku":"s","name":"   ","price_cents":1})", "name"},
      {R"({"sku":"s","name":")" + long_name + R"(","price_cents":1})", "name"},
      {R"({"sku":"s","name":"a\u0007b","price_cents":1})", "name"},
      {R"({"sku":"s","name":"a\u0085b","price_cents":1})", "name"},
      {R"({"sku":"s","name":"a\u007fb","price_cents":1})", "name"},
      {R"({"sku":"s","name":12,"price_cents":1})", "name"},
      {R"({"sku":"s","name":"n"})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":-1})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":1000000000000001})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":18446744073709551615})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":10.5})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":10.0})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":1e3})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":"10"})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":null})", "price_cents"},
      {R"({"sku":"s","name":"n","price_cents":1,"currency":"usd"})", "currency"},
      {R"({"sku":"s","name":"n","price_cents":1,"currency":"US"})", "currency"},
      {R"({"sku":"s","name":"n","price_cents":1,"currency":"USDX"})", "currency"},
      {R"({"sku":"s","name":"n","price_cents":1,"currency":840})", "currency"},
      {R"({"sku":"s","name":"n","price_cents":1,"attributes":[]})", "attributes"},
      {R"({"sku":"s","name":"n","price_cents":1,"attributes":"x"})", "attributes"},
      {R"({"sku":"s","name":"n","price_cents":1,"attributes":1})", "attributes"},
      {R"({"sku":"s","name":"n","price_cents":1,"attributes":)" + big_attributes + "}",
       "attributes"},
      {R"({"sku":"s","name":"n","price_cents":1,"colour":"red"})", "colour"},
  };
  for (const InvalidBody& c : cases) {
    const auto read = ReadNewProduct(boost::json::parse(c.body).as_object());
    ASSERT_FALSE(read) << c.body;
    EXPECT_EQ(read.error().problem_code, "validation_failed");
    ASSERT_EQ(read.error().field_errors.size(), 1u) << c.body.substr(0, 80);
    EXPECT_EQ(read.error().field_errors[0].field, c.field) << c.body.substr(0, 80);
  }
}

TEST(ReadNewProduct, ReportsEveryBadFieldOnce) {
  const auto read = ReadNewProduct(
      boost::json::parse(R"({"sku":"a b","price_cents":1.5,"currency":"x","extra":1})")
          .as_object());
  ASSERT_FALSE(read);
  std::set<std::string> fields;
  for (const auto& e : read.error().field_errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"sku", "name", "price_cents", "currency", "extra"}));
  EXPECT_EQ(read.error().field_errors.size(), 5u);
}

TEST(ReadNewProduct, AcceptsTheLimitsAndFillsDefaults) {
  const std::string sku = "Az09._-" + std::string(57, 'x');
  const std::string name(200, 'n');
  const auto read = ReadNewProduct(
      boost::json::parse(R"({"sku":")" + sku + R"(","name":")" + name +
                         R"(","price_cents":1000000000000000,"currency":null,"attributes":null})")
          .as_object());
  ASSERT_TRUE(read) << read.error().field_errors[0].message;
  EXPECT_EQ(read->sku, sku);
  EXPECT_EQ(read->price_cents, 1'000'000'000'000'000);
  EXPECT_EQ(read->currency, "USD");
  EXPECT_TRUE(read->attributes.empty());
  const auto zero =
      ReadNewProduct(boost::json::parse(R"({"sku":"s","name":"n","price_cents":0})").as_object());
  EXPECT_TRUE(zero);
}

TEST(ReadProductPatch, TakesAnySubsetAndRejectsNulls) {
  const auto empty = ReadProductPatch(boost::json::object());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  const auto some = ReadProductPatch(
      boost::json::parse(R"({"price_cents":5,"attributes":{"a":[1]}})").as_object());
  ASSERT_TRUE(some);
  EXPECT_EQ(some->price_cents, 5);
  EXPECT_FALSE(some->sku);
  for (const char* body : {R"({"name":null})", R"({"attributes":null})", R"({"sku":"a b"})",
                           R"({"price_cents":-5})", R"({"nope":1})", R"({"currency":"eur"})"}) {
    EXPECT_FALSE(ReadProductPatch(boost::json::parse(body).as_object())) << body;
  }
}

TEST_F(ProductStoreTest, CreateValidatesToo) {
  NewProduct p = Sample("bad sku");
  p.currency = "eu";
  const auto created = Create(p, kT0);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().problem_code, "validation_failed");
  EXPECT_EQ(created.error().field_errors.size(), 2u);
  EXPECT_EQ(Count("products"), 0u);
}

// ---- create / get / list ---------------------------------------------------

TEST_F(ProductStoreTest, CreateThenGetReturnsWhatWasStored) {
  NewProduct p = Sample();
  p.name = "  Blue \"mug\" \\ ü  ";
  const Product created = MustCreate(p);
  EXPECT_TRUE(base::IsWellFormedId(created.id, "prd")) << created.id;
  EXPECT_EQ(created.name, "Blue \"mug\" \\ ü") << "trimmed";
  EXPECT_EQ(created.currency, "USD");
  EXPECT_EQ(created.version, kFirstVersion);
  EXPECT_EQ(created.created_at, "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(created.updated_at, created.created_at);

  const auto got = Get(created.id);
  ASSERT_TRUE(got && *got);
  const Product& p2 = **got;
  EXPECT_EQ(p2.id, created.id);
  EXPECT_EQ(p2.sku, "SKU-1");
  EXPECT_EQ(p2.name, created.name);
  EXPECT_EQ(p2.price_cents, 1299);
  EXPECT_EQ(boost::json::parse(p2.attributes),
            boost::json::parse(R"({"colour":"blue","size_ml":350})"));
  EXPECT_EQ(p2.version, 1);

  const auto missing = Get(base::NewId("prd"));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(ProductStoreTest, ProductJsonRoundTrips) {
  NewProduct p = Sample();
  p.name = "Quote \" backslash \\ tab-free ü 日本";
  const Product created = MustCreate(p);
  const boost::json::value answer = boost::json::parse(ProductAnswer(created));
  const boost::json::object& o = answer.at("product").as_object();
  EXPECT_EQ(o.size(), 9u);
  EXPECT_EQ(o.at("id").as_string(), created.id);
  EXPECT_EQ(o.at("sku"), "SKU-1");
  EXPECT_EQ(o.at("name").as_string(), p.name);
  EXPECT_EQ(o.at("price_cents"), 1299);
  EXPECT_EQ(o.at("currency"), "USD");
  EXPECT_EQ(o.at("attributes").at("size_ml"), 350);
  EXPECT_EQ(o.at("version"), 1);
  EXPECT_EQ(o.at("created_at"), "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(o.at("updated_at"), "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(ProductEtag(42), "\"42\"");

  std::string escaped;
  AppendJsonString(escaped, std::string("a\x01\n\"\\", 5));
  EXPECT_EQ(escaped, R"("a\u0001\u000a\"\\")");
  EXPECT_EQ(boost::json::parse(escaped).as_string(), std::string("a\x01\n\"\\", 5));
}

TEST_F(ProductStoreTest, DuplicateSkuIsSkuTakenAndSkusAreCaseSensitive) {
  MustCreate(Sample("abc"));
  const auto again = Create(Sample("abc"), kT0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().problem_code, "sku_taken");
  EXPECT_EQ(again.error().public_message.find("UNIQUE"), std::string::npos);
  EXPECT_TRUE(Create(Sample("ABC"), kT0));
}

TEST_F(ProductStoreTest, ListWalksEveryProductOnceInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(MustCreate(Sample("sku-" + std::to_string(i))).id);
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    const auto page = List(after, 3);
    ASSERT_TRUE(page);
    ++pages;
    EXPECT_LE(page->items.size(), 3u);
    for (const Product& p : page->items) seen.push_back(p.id);
    if (!page->next_cursor) break;
    EXPECT_EQ(*page->next_cursor, page->items.back().id);
    after = *page->next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);

  // A page that ends exactly at the last product has no cursor.
  const auto all = List("", 7);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 7u);
  EXPECT_FALSE(all->next_cursor);
}

TEST_F(ProductStoreTest, ListFiltersBySkuExactly) {
  MustCreate(Sample("mug-1"));
  const Product wanted = MustCreate(Sample("mug-2"));
  MustCreate(Sample("mug-22"));
  const auto page = List("", 50, "mug-2");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, wanted.id);
  EXPECT_FALSE(page->next_cursor);
  const auto none = List("", 50, "MUG-2");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  const auto after = List(wanted.id, 50, "mug-2");
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->items.empty());
}

// ---- patch / delete --------------------------------------------------------

TEST_F(ProductStoreTest, PatchChangesOnlyWhatIsGivenAndBumpsTheVersion) {
  const Product created = MustCreate(Sample());
  ProductPatch patch;
  patch.price_cents = 1500;
  patch.name = " Big mug ";
  patch.attributes = boost::json::object{{"size_ml", 500}};
  const auto later = kT0 + seconds(10);
  const auto updated = Patch(created.id, patch, std::nullopt, later);
  ASSERT_TRUE(updated) << updated.error().log_detail;
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->price_cents, 1500);
  EXPECT_EQ(updated->name, "Big mug");
  EXPECT_EQ(updated->sku, created.sku);
  EXPECT_EQ(updated->currency, created.currency);
  EXPECT_EQ(updated->attributes, R"({"size_ml":500})") << "attributes are replaced, not merged";
  EXPECT_EQ(updated->created_at, created.created_at);
  EXPECT_EQ(updated->updated_at, base::FormatRfc3339(later));

  const auto got = Get(created.id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->price_cents, 1500);
}

TEST_F(ProductStoreTest, PatchWithAStaleVersionChangesNothing) {
  const Product created = MustCreate(Sample());
  ProductPatch patch;
  patch.price_cents = 1;
  ASSERT_TRUE(Patch(created.id, patch, 1, kT0));
  const auto stale = Patch(created.id, patch, 1, kT0);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, base::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(stale.error().problem_code, "precondition_failed");
  const auto fresh = Patch(created.id, patch, 2, kT0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->version, 3);
}

TEST_F(ProductStoreTest, PatchOfAMissingProductIsNotFound) {
  ProductPatch patch;
  patch.price_cents = 1;
  for (std::optional<int64_t> expected : {std::optional<int64_t>(), std::optional<int64_t>(1)}) {
    const auto r = Patch(base::NewId("prd"), patch, expected, kT0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().problem_code, "not_found");
  }
  const auto empty = Patch(base::NewId("prd"), ProductPatch{}, std::nullopt, kT0);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().problem_code, "not_found");
}

TEST_F(ProductStoreTest, PatchToATakenSkuIsSkuTaken) {
  MustCreate(Sample("one"));
  const Product two = MustCreate(Sample("two"));
  ProductPatch patch;
  patch.sku = "one";
  const auto r = Patch(two.id, patch, std::nullopt, kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().problem_code, "sku_taken");
  EXPECT_EQ((*Get(two.id))->version, 1);
}

TEST_F(ProductStoreTest, EmptyPatchWritesNothing) {
  const Product created = MustCreate(Sample());
  const auto same = Patch(created.id, ProductPatch{}, std::nullopt, kT0 + hours(1));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->version, 1);
  EXPECT_EQ(same->updated_at, created.updated_at);
  const auto stale = Patch(created.id, ProductPatch{}, 7, kT0);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().problem_code, "precondition_failed");
}

TEST_F(ProductStoreTest, DeleteHonoursTheExpectedVersion) {
  const Product created = MustCreate(Sample());
  const auto stale = Delete(created.id, 2);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().problem_code, "precondition_failed");
  ASSERT_TRUE(*Get(created.id));
  ASSERT_TRUE(Delete(created.id, 1));
  EXPECT_FALSE(*Get(created.id));
  const auto again = Delete(created.id, std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().problem_code, "not_found");
  // The sku is free again.
  EXPECT_TRUE(Create(Sample(), kT0));
}

// ---- idempotency -----------------------------------------------------------

TEST(IdempotencyKey, IsOneTo255PrintableAsciiCharacters) {
  EXPECT_TRUE(IsValidIdempotencyKey("a"));
  EXPECT_TRUE(IsValidIdempotencyKey(std::string(255, '~')));
  EXPECT_TRUE(IsValidIdempotencyKey("0b6c1a7e-4b1f-4c8e-9a57-2f5d3e1c9b10"));
  EXPECT_FALSE(IsValidIdempotencyKey(""));
  EXPECT_FALSE(IsValidIdempotencyKey(std::string(256, 'a')));
  EXPECT_FALSE(IsValidIdempotencyKey("a b"));
  EXPECT_FALSE(IsValidIdempotencyKey("a\x7f"));
  EXPECT_FALSE(IsValidIdempotencyKey("ü"));
}

TEST_F(ProductStoreTest, SameKeyAndBodyReplaysTheFirstAnswer) {
  const auto first = CreateOnce(Sample(), Key(), kT0, Render);
  ASSERT_TRUE(first) << first.error().log_detail;
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->answer.status, 201);
  // A retry a little later, whose body (as parsed) would also clash on sku.
  const auto second = CreateOnce(Sample(), Key(), kT0 + hours(23), Render);
  ASSERT_TRUE(second) << second.error().log_detail;
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->answer.status, first->answer.status);
  EXPECT_EQ(second->answer.location, first->answer.location);
  EXPECT_EQ(second->answer.body, first->answer.body);
  EXPECT_EQ(Count("products"), 1u);
}

TEST_F(ProductStoreTest, SameKeyWithAnotherBodyIsRefused) {
  ASSERT_TRUE(CreateOnce(Sample("a"), Key("hash-a"), kT0, Render));
  const auto other = CreateOnce(Sample("b"), Key("hash-b"), kT0 + seconds(1), Render);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().problem_code, "idempotency_key_reused");
  EXPECT_EQ(Count("products"), 1u);
  // Keys are per route: the same key on another route is another key.
  IdempotencyKey elsewhere = Key("hash-b");
  elsewhere.route = "POST /v1/other";
  EXPECT_TRUE(CreateOnce(Sample("b"), elsewhere, kT0, Render));
}

TEST_F(ProductStoreTest, KeysExpireAfterADayAndArePruned) {
  ASSERT_TRUE(CreateOnce(Sample("a"), Key(), kT0, Render));
  ASSERT_TRUE(CreateOnce(Sample("b"), Key("h", "other"), kT0 + seconds(1), Render));
  // Just inside the window: still a replay.
  const auto inside = CreateOnce(Sample("a"), Key(), kT0 + kReplayWindow - seconds(1), Render);
  ASSERT_TRUE(inside);
  EXPECT_TRUE(inside->replayed);
  // At 24 h the key is forgotten: the request runs again (and here meets
  // the sku the first one created).
  const auto expired = CreateOnce(Sample("a"), Key(), kT0 + kReplayWindow, Render);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().problem_code, "sku_taken");
  const auto fresh = CreateOnce(Sample("c"), Key(), kT0 + kReplayWindow, Render);
  ASSERT_TRUE(fresh) << fresh.error().log_detail;
  EXPECT_FALSE(fresh->replayed);
  // Storing it pruned the expired first key, not the one a second younger.
  EXPECT_EQ(Count("idempotency_keys"), 2u);
  const auto much_later = CreateOnce(Sample("d"), Key("h", "third"), kT0 + hours(72), Render);
  ASSERT_TRUE(much_later);
  EXPECT_EQ(Count("idempotency_keys"), 1u);
}

TEST_F(ProductStoreTest, AFailedCreateStoresNoKey) {
  MustCreate(Sample("taken"));
  const auto clash = CreateOnce(Sample("taken"), Key("hash-a"), kT0, Render);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().problem_code, "sku_taken");
  EXPECT_EQ(Count("idempotency_keys"), 0u);
  const auto corrected = CreateOnce(Sample("free"), Key("hash-b"), kT0, Render);
  ASSERT_TRUE(corrected);
  EXPECT_FALSE(corrected->replayed);
}

TEST_F(ProductStoreTest, ConcurrentRetriesCreateOnce) {
  // Two write transactions on the same tenant from two threads, as two
  // event-loop threads would begin them: the pool gives each a connection.
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const IdempotencyKey key = Key("hash", "race-" + std::to_string(round));
    const NewProduct p = Sample("race-" + std::to_string(round));
    base::Result<IdempotentCreate> a = base::Internal("unset"), b = base::Internal("unset");
    std::thread t([&] { a = CreateOnce(p, key, kT0, Render); });
    b = CreateOnce(p, key, kT0, Render);
    t.join();
    ASSERT_TRUE(a) << a.error().log_detail;
    ASSERT_TRUE(b) << b.error().log_detail;
    EXPECT_NE(a->replayed, b->replayed);
    EXPECT_EQ(a->answer.body, b->answer.body);
  }
  EXPECT_EQ(Count("products"), static_cast<std::size_t>(kRounds));
}

}  // namespace
}  // namespace tenantd::products
