// Products through the real binary (api.md §5): the CRUD routes, tenant
// isolation, scopes, validation, ETag preconditions, Idempotency-Key and
// pagination.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

struct Tenant {
  std::string id, app_key, app_secret;
  std::string key;  // a secret API key: every scope
};

class Products : public SharedServerTest<Products> {
 protected:
  static Tenant MustCreateTenant() {
    Response r = server().CreateTenant(UniqueSlug("prd"));
    if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
    const json::value body = r.Json();
    Tenant t{StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
             StringAt(body, "credentials.app_secret"), ""};
    t.key = MustCreateKey(t, R"({"name":"backend"})");
    return t;
  }

  // Creates an API key with app credentials; returns its secret.
  static std::string MustCreateKey(const Tenant& t, const std::string& body) {
    Response r = server().Request("POST", "/v1/api-keys",
                                  {{"X-App-Key", t.app_key},
                                   {"X-App-Secret", t.app_secret},
                                   {"Content-Type", "application/json"}},
                                  body);
    if (r.status != 201) throw std::runtime_error("create key: " + r.Describe());
    return std::string(r.Json().at("secret").as_string());
  }

  // A request with `key` as bearer token (and a JSON content type when a
  // body is sent), plus `extra` headers.
  static Response Call(const std::string& key, std::string_view method, std::string_view target,
                       std::string_view body = {}, Headers extra = {}) {
    Headers h = {{"Authorization", "Bearer " + key}};
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    for (auto& e : extra) h.push_back(std::move(e));
    return server().Request(method, target, h, body);
  }

  static std::string ProductBody(std::string_view sku, int64_t price = 1299) {
    return R"({"sku":")" + std::string(sku) + R"(","name":"Blue mug","price_cents":)" +
           std::to_string(price) + R"(,"attributes":{"colour":"blue"}})";
  }

  // POSTs a product; returns the "product" object of the answer.
  static json::object MustCreateProduct(const std::string& key, std::string_view sku) {
    Response r = Call(key, "POST", "/v1/products", ProductBody(sku));
    if (r.status != 201) throw std::runtime_error("create product: " + r.Describe());
    return r.Json().at("product").as_object();
  }

  static std::string Id(const json::object& product) {
    return std::string(product.at("id").as_string());
  }
};

// ---- create and read -------------------------------------------------------

TEST_F(Products, CreateAnswersTheProductWithLocationAndEtag) {
  const Tenant t = MustCreateTenant();
  Response r = Call(t.key, "POST", "/v1/products", ProductBody("MUG-1"));
  ASSERT_EQ(r.status, 201) << r.Describe();
  const json::value body = r.Json();
  const std::string id = StringAt(body, "product.id");
  EXPECT_TRUE(id.starts_with("prd_")) << id;
  EXPECT_EQ(r.Header("Location"), "/v1/products/" + id);
  EXPECT_EQ(r.Header("ETag"), "\"1\"");
  EXPECT_FALSE(r.HasHeader("Idempotent-Replayed"));
  EXPECT_EQ(StringAt(body, "product.sku"), "MUG-1");
  EXPECT_EQ(StringAt(body, "product.name"), "Blue mug");
  EXPECT_EQ(StringAt(body, "product.currency"), "USD");
  EXPECT_EQ(body.at("product").at("price_cents"), 1299);
  EXPECT_EQ(body.at("product").at("version"), 1);
  EXPECT_EQ(json::serialize(body.at("product").at("attributes")), R"({"colour":"blue"})");
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "product.created_at")));
  EXPECT_EQ(StringAt(body, "product.updated_at"), StringAt(body, "product.created_at"));

  Response got = Call(t.key, "GET", "/v1/products/" + id);
  ASSERT_EQ(got.status, 200) << got.Describe();
  EXPECT_EQ(got.Header("ETag"), "\"1\"");
  EXPECT_EQ(got.Json(), body);
}

TEST_F(Products, UnknownAndMalformedIdsAreNotFound) {
  const Tenant t = MustCreateTenant();
  for (const char* id : {"prd_01JD0000000000000000000000", "prd_nope", "key_x", "1"}) {
    EXPECT_TRUE(IsProblem(Call(t.key, "GET", std::string("/v1/products/") + id), 404, "not_found"))
        << id;
  }
}

TEST_F(Products, RequestsWithoutCredentialsAreRefused) {
  EXPECT_TRUE(IsProblem(server().Request("GET", "/v1/products"), 401, "missing_credentials"));
}

// ---- tenant isolation ------------------------------------------------------

TEST_F(Products, TwoTenantsMayUseOneSkuAndEachListsOnlyItsOwn) {
  const Tenant a = MustCreateTenant();
  const Tenant b = MustCreateTenant();
  const std::string a_id = Id(MustCreateProduct(a.key, "SHARED-1"));
  const std::string b_id = Id(MustCreateProduct(b.key, "SHARED-1"));
  EXPECT_NE(a_id, b_id);
  for (const auto& [key, own] : {std::pair{a.key, a_id}, std::pair{b.key, b_id}}) {
    Response list = Call(key, "GET", "/v1/products");
    ASSERT_EQ(list.status, 200) << list.Describe();
    const json::value body = list.Json();
    ASSERT_EQ(body.at("data").as_array().size(), 1u) << list.body;
    EXPECT_EQ(StringAt(body, "data.0.id"), own);
    EXPECT_TRUE(body.at("next_cursor").is_null());
  }
}

TEST_F(Products, AnotherTenantsIdIsNotFoundAndStaysUnchanged) {
  const Tenant a = MustCreateTenant();
  const Tenant b = MustCreateTenant();
  const std::string id = Id(MustCreateProduct(a.key, "MINE"));
  const std::string target = "/v1/products/" + id;
  Response before = Call(a.key, "GET", target);
  ASSERT_EQ(before.status, 200);

  EXPECT_TRUE(IsProblem(Call(b.key, "GET", target), 404, "not_found"));
  EXPECT_TRUE(IsProblem(Call(b.key, "PATCH", target, R"({"price_cents":1})"), 404, "not_found"));
  EXPECT_TRUE(IsProblem(Call(b.key, "PATCH", target, R"({"price_cents":1})", {{"If-Match", "*"}}),
                        404, "not_found"));
  EXPECT_TRUE(IsProblem(Call(b.key, "DELETE", target), 404, "not_found"));
  EXPECT_TRUE(
      IsProblem(Call(b.key, "DELETE", target, {}, {{"If-Match", "\"1\""}}), 404, "not_found"));

  Response after = Call(a.key, "GET", target);
  ASSERT_EQ(after.status, 200) << after.Describe();
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(after.Header("ETag"), "\"1\"");
}

// ---- scopes ----------------------------------------------------------------

TEST_F(Products, ReadScopeReadsButCannotWrite) {
  const Tenant t = MustCreateTenant();
  const std::string id = Id(MustCreateProduct(t.key, "RO-1"));
  const std::string reader =
      MustCreateKey(t, R"({"name":"ro","type":"restricted","scopes":["products:read"]})");
  EXPECT_EQ(Call(reader, "GET", "/v1/products").status, 200);
  EXPECT_EQ(Call(reader, "GET", "/v1/products/" + id).status, 200);
  EXPECT_TRUE(IsProblem(Call(reader, "POST", "/v1/products", ProductBody("RO-2")), 403,
                        "insufficient_scope"));
  EXPECT_TRUE(IsProblem(Call(reader, "PATCH", "/v1/products/" + id, R"({"price_cents":1})"), 403,
                        "insufficient_scope"));
  EXPECT_TRUE(IsProblem(Call(reader, "DELETE", "/v1/products/" + id), 403, "insufficient_scope"));
  // products:write includes products:read.
  const std::string writer =
      MustCreateKey(t, R"({"name":"rw","type":"restricted","scopes":["products:write"]})");
  EXPECT_EQ(Call(writer, "GET", "/v1/products/" + id).status, 200);
  EXPECT_EQ(Call(writer, "POST", "/v1/products", ProductBody("RW-1")).status, 201);
}

TEST_F(Products, KeysWithoutProductScopesAreRefused) {
  const Tenant t = MustCreateTenant();
  const std::string id = Id(MustCreateProduct(t.key, "NS-1"));
  const std::string other =
      MustCreateKey(t, R"({"name":"keys","type":"restricted","scopes":["keys:write"]})");
  EXPECT_TRUE(IsProblem(Call(other, "GET", "/v1/products"), 403, "insufficient_scope"));
  EXPECT_TRUE(IsProblem(Call(other, "GET", "/v1/products/" + id), 403, "insufficient_scope"));
  EXPECT_TRUE(IsProblem(Call(other, "POST", "/v1/products", ProductBody("NS-2")), 403,
                        "insufficient_scope"));
}

// ---- validation ------------------------------------------------------------

TEST_F(Products, InvalidBodiesAre422NamingTheField) {
  const Tenant t = MustCreateTenant();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"sku":"bad sku!","name":"n","price_cents":1})", "sku"},
      {R"({"sku":"s1","name":"n","price_cents":-1})", "price_cents"},
      {R"({"sku":"s2","name":"n","price_cents":12.5})", "price_cents"},
      {R"({"sku":"s3","name":"n","price_cents":"12"})", "price_cents"},
      {R"({"sku":"s4","name":"n","price_cents":1,"colour":"red"})", "colour"},
      {R"({"sku":"s5","name":"n","price_cents":1,"attributes":["a"]})", "attributes"},
      {R"({"sku":"s6","name":"n","price_cents":1,"currency":"usd"})", "currency"},
      {R"({"sku":"s7","name":"","price_cents":1})", "name"},
  };
  for (const auto& [body, field] : cases) {
    Response r = Call(t.key, "POST", "/v1/products", body);
    EXPECT_TRUE(IsProblem(r, 422, "validation_failed")) << body;
    EXPECT_EQ(ErrorFields(r), std::vector<std::string>{field}) << r.body;
  }
  const std::string id = Id(MustCreateProduct(t.key, "OK-1"));
  Response patch = Call(t.key, "PATCH", "/v1/products/" + id, R"({"price_cents":1.5})");
  EXPECT_TRUE(IsProblem(patch, 422, "validation_failed"));
  EXPECT_EQ(ErrorFields(patch), std::vector<std::string>{"price_cents"});
  EXPECT_EQ(Call(t.key, "GET", "/v1/products").Json().at("data").as_array().size(), 1u);
}

TEST_F(Products, WrongContentTypeIs415AndMalformedJsonIs400) {
  const Tenant t = MustCreateTenant();
  Response text = server().Request(
      "POST", "/v1/products",
      {{"Authorization", "Bearer " + t.key}, {"Content-Type", "text/plain"}}, ProductBody("CT-1"));
  EXPECT_TRUE(IsProblem(text, 415, "unsupported_media_type"));
  EXPECT_TRUE(IsProblem(Call(t.key, "POST", "/v1/products", R"({"sku":)"), 400, "invalid_json"));
  EXPECT_TRUE(IsProblem(Call(t.key, "POST", "/v1/products", "[1]"), 422, "validation_failed"));
}

TEST_F(Products, DuplicateSkuIs409SkuTaken) {
  const Tenant t = MustCreateTenant();
  MustCreateProduct(t.key, "DUP-1");
  Response r = Call(t.key, "POST", "/v1/products", ProductBody("DUP-1", 5));
  EXPECT_TRUE(IsProblem(r, 409, "sku_taken"));
  const std::string other = Id(MustCreateProduct(t.key, "DUP-2"));
  EXPECT_TRUE(IsProblem(Call(t.key, "PATCH", "/v1/products/" + other, R"({"sku":"DUP-1"})"), 409,
                        "sku_taken"));
}

// ---- ETag preconditions ----------------------------------------------------

TEST_F(Products, IfMatchGuardsUpdatesAndDeletes) {
  const Tenant t = MustCreateTenant();
  const std::string target = "/v1/products/" + Id(MustCreateProduct(t.key, "ETAG-1"));

  Response first = Call(t.key, "PATCH", target, R"({"price_cents":1500})", {{"If-Match", "\"1\""}});
  ASSERT_EQ(first.status, 200) << first.Describe();
  EXPECT_EQ(first.Header("ETag"), "\"2\"");
  EXPECT_EQ(first.Json().at("product").at("version"), 2);
  EXPECT_EQ(first.Json().at("product").at("price_cents"), 1500);

  // A client still holding "1" loses, and changes nothing.
  Response stale = Call(t.key, "PATCH", target, R"({"price_cents":1})", {{"If-Match", "\"1\""}});
  EXPECT_TRUE(IsProblem(stale, 412, "precondition_failed"));
  EXPECT_TRUE(
      IsProblem(Call(t.key, "PATCH", target, R"({"price_cents":1})", {{"If-Match", "W/\"2\""}}),
                412, "precondition_failed"))
      << "If-Match compares strongly";
  EXPECT_EQ(Call(t.key, "GET", target).Json().at("product").at("price_cents"), 1500);

  // With the fresh ETag it succeeds; `*` and no If-Match at all too.
  Response fresh = Call(t.key, "PATCH", target, R"({"name":"Mug"})",
                        {{"If-Match", "\"1\", " + first.Header("ETag")}});
  ASSERT_EQ(fresh.status, 200) << fresh.Describe();
  EXPECT_EQ(fresh.Header("ETag"), "\"3\"");
  EXPECT_EQ(Call(t.key, "PATCH", target, R"({"name":"Mug 2"})", {{"If-Match", "*"}}).status, 200);
  Response unconditional = Call(t.key, "PATCH", target, R"({"name":"Mug 3"})");
  ASSERT_EQ(unconditional.status, 200);
  EXPECT_EQ(unconditional.Header("ETag"), "\"5\"");

  EXPECT_TRUE(IsProblem(Call(t.key, "DELETE", target, {}, {{"If-Match", "\"4\""}}), 412,
                        "precondition_failed"));
  Response removed = Call(t.key, "DELETE", target, {}, {{"If-Match", "\"5\""}});
  EXPECT_EQ(removed.status, 204) << removed.Describe();
}

TEST_F(Products, IfNoneMatchWithTheCurrentEtagIsNotModified) {
  const Tenant t = MustCreateTenant();
  const std::string target = "/v1/products/" + Id(MustCreateProduct(t.key, "INM-1"));
  Response same = Call(t.key, "GET", target, {}, {{"If-None-Match", "\"1\""}});
  EXPECT_EQ(same.status, 304) << same.Describe();
  EXPECT_EQ(same.Header("ETag"), "\"1\"");
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(Call(t.key, "GET", target, {}, {{"If-None-Match", "W/\"1\""}}).status, 304);
  ASSERT_EQ(Call(t.key, "PATCH", target, R"({"price_cents":7})").status, 200);
  Response changed = Call(t.key, "GET", target, {}, {{"If-None-Match", "\"1\""}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.Header("ETag"), "\"2\"");
}

// ---- Idempotency-Key -------------------------------------------------------

TEST_F(Products, IdempotencyKeyReplaysTheFirstAnswer) {
  const Tenant t = MustCreateTenant();
  const std::string body = ProductBody("IDEM-1");
  Response first = Call(t.key, "POST", "/v1/products", body, {{"Idempotency-Key", "order-42"}});
  ASSERT_EQ(first.status, 201) << first.Describe();
  Response again = Call(t.key, "POST", "/v1/products", body, {{"Idempotency-Key", "order-42"}});
  ASSERT_EQ(again.status, 201) << again.Describe();
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(StringAt(again.Json(), "product.id"), StringAt(first.Json(), "product.id"));
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("Location"), first.Header("Location"));
  EXPECT_EQ(again.Header("ETag"), "\"1\"");
  Response list = Call(t.key, "GET", "/v1/products?sku=IDEM-1");
  EXPECT_EQ(list.Json().at("data").as_array().size(), 1u);
  EXPECT_EQ(Call(t.key, "GET", "/v1/products").Json().at("data").as_array().size(), 1u);

  // The key belongs to this tenant: another tenant's identical request runs.
  const Tenant other = MustCreateTenant();
  Response theirs =
      Call(other.key, "POST", "/v1/products", body, {{"Idempotency-Key", "order-42"}});
  EXPECT_EQ(theirs.status, 201);
  EXPECT_FALSE(theirs.HasHeader("Idempotent-Replayed"));
}

TEST_F(Products, IdempotencyKeyWithAnotherBodyIs422) {
  const Tenant t = MustCreateTenant();
  ASSERT_EQ(Call(t.key, "POST", "/v1/products", ProductBody("IDEM-A"), {{"Idempotency-Key", "k1"}})
                .status,
            201);
  Response other =
      Call(t.key, "POST", "/v1/products", ProductBody("IDEM-B"), {{"Idempotency-Key", "k1"}});
  EXPECT_TRUE(IsProblem(other, 422, "idempotency_key_reused"));
  EXPECT_EQ(Call(t.key, "GET", "/v1/products").Json().at("data").as_array().size(), 1u);
}

TEST_F(Products, MalformedIdempotencyKeyIs400) {
  const Tenant t = MustCreateTenant();
  for (const std::string& key : {std::string(256, 'k'), std::string("caf\xc3\xa9")}) {
    EXPECT_TRUE(IsProblem(
        Call(t.key, "POST", "/v1/products", ProductBody("IDEM-X"), {{"Idempotency-Key", key}}), 400,
        "bad_request"));
  }
  EXPECT_EQ(Call(t.key, "GET", "/v1/products").Json().at("data").as_array().size(), 0u);
}

// ---- lists -----------------------------------------------------------------

TEST_F(Products, PaginationWalksEveryProductExactlyOnce) {
  const Tenant t = MustCreateTenant();
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i)
    created.push_back(Id(MustCreateProduct(t.key, "P-" + std::to_string(i))));
  std::vector<std::string> seen;
  std::string target = "/v1/products?limit=3";
  int pages = 0;
  for (;;) {
    Response r = Call(t.key, "GET", target);
    ASSERT_EQ(r.status, 200) << r.Describe();
    ++pages;
    const json::value body = r.Json();
    EXPECT_LE(body.at("data").as_array().size(), 3u);
    for (const auto& p : body.at("data").as_array()) seen.emplace_back(p.at("id").as_string());
    if (body.at("next_cursor").is_null()) break;
    target = "/v1/products?limit=3&after=" + std::string(body.at("next_cursor").as_string());
    ASSERT_LT(pages, 5);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);
  EXPECT_TRUE(IsProblem(Call(t.key, "GET", "/v1/products?limit=0"), 400, "bad_request"));
  EXPECT_TRUE(IsProblem(Call(t.key, "GET", "/v1/products?after=nope"), 400, "bad_request"));
}

TEST_F(Products, SkuFilterIsExact) {
  const Tenant t = MustCreateTenant();
  MustCreateProduct(t.key, "CUP-1");
  const std::string wanted = Id(MustCreateProduct(t.key, "CUP-10"));
  Response r = Call(t.key, "GET", "/v1/products?sku=CUP-10");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value body = r.Json();
  ASSERT_EQ(body.at("data").as_array().size(), 1u);
  EXPECT_EQ(StringAt(body, "data.0.id"), wanted);
  EXPECT_EQ(Call(t.key, "GET", "/v1/products?sku=cup-10").Json().at("data").as_array().size(), 0u);
}

// ---- methods and deletion --------------------------------------------------

TEST_F(Products, WrongMethodIs405WithAllow) {
  const Tenant t = MustCreateTenant();
  const std::string id = Id(MustCreateProduct(t.key, "PUT-1"));
  Response r = Call(t.key, "PUT", "/v1/products/" + id, ProductBody("PUT-1"));
  ASSERT_TRUE(IsProblem(r, 405, "method_not_allowed"));
  const std::string allow = r.Header("Allow");
  for (const char* m : {"GET", "PATCH", "DELETE"}) {
    EXPECT_NE(allow.find(m), std::string::npos) << allow;
  }
  Response collection = Call(t.key, "DELETE", "/v1/products");
  ASSERT_TRUE(IsProblem(collection, 405, "method_not_allowed"));
  EXPECT_NE(collection.Header("Allow").find("POST"), std::string::npos);
}

TEST_F(Products, DeletedProductIsGone) {
  const Tenant t = MustCreateTenant();
  const std::string target = "/v1/products/" + Id(MustCreateProduct(t.key, "DEL-1"));
  Response removed = Call(t.key, "DELETE", target);
  EXPECT_EQ(removed.status, 204) << removed.Describe();
  EXPECT_TRUE(removed.body.empty());
  EXPECT_TRUE(IsProblem(Call(t.key, "GET", target), 404, "not_found"));
  EXPECT_TRUE(IsProblem(Call(t.key, "DELETE", target), 404, "not_found"));
  // Its sku can be used again.
  EXPECT_EQ(Call(t.key, "POST", "/v1/products", ProductBody("DEL-1")).status, 201);
}

// ---- availability ----------------------------------------------------------

TEST_F(Products, UnmigratedTenantDatabaseIs503WithRetryAfter) {
  const Tenant t = MustCreateTenant();
  // No product request has opened it yet, so no pooled handle keeps it: a
  // missing file is what a tenant awaiting `tenantd migrate` looks like.
  const std::filesystem::path db = server().data_dir() / "tenants" / (t.id + ".db");
  ASSERT_TRUE(std::filesystem::exists(db)) << db;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db.string() + suffix);
  }
  Response r = Call(t.key, "GET", "/v1/products");
  EXPECT_TRUE(IsProblem(r, 503, "tenant_migrating"));
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_TRUE(
      IsProblem(Call(t.key, "POST", "/v1/products", ProductBody("M-1")), 503, "tenant_migrating"));
}

}  // namespace
}  // namespace tenantd::test
