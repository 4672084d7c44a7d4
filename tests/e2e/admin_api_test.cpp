// Platform administration over HTTP (api.md §3): bearer authentication,
// tenant create / read / list / update / delete, validation and the rule that
// an app secret is shown once and never stored or logged in plain text.
#include <boost/json.hpp>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/fixtures.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

class AdminApi : public SharedServerTest<AdminApi> {
 protected:
  // Creates a tenant and returns the answer's JSON; throws (failing the
  // test) when the server does not answer 201.
  static json::value MustCreate(std::string_view slug, std::string_view extra = {}) {
    Response r = server().CreateTenant(slug, "Acme Corp", extra);
    if (r.status != 201)
      throw std::runtime_error("create " + std::string(slug) + ": " + r.Describe());
    return r.Json();
  }

  static json::value MustGet(std::string_view id_or_slug) {
    Response r = server().Admin("GET", "/admin/v1/tenants/" + std::string(id_or_slug));
    if (r.status != 200)
      throw std::runtime_error("get " + std::string(id_or_slug) + ": " + r.Describe());
    return r.Json();
  }

  // Every tenant of the list for `query` (e.g. "status=active"), following
  // next_cursor with pages of `limit`.
  static std::vector<json::value> ListAll(std::string query = {}, int limit = 500) {
    std::vector<json::value> all;
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      std::string target = "/admin/v1/tenants?limit=" + std::to_string(limit);
      if (!query.empty()) target += "&" + query;
      if (!after.empty()) target += "&after=" + after;
      Response r = server().Admin("GET", target);
      if (r.status != 200) throw std::runtime_error("list: " + r.Describe());
      json::value body = r.Json();
      const json::array& data = body.at("data").as_array();
      if (static_cast<int>(data.size()) > limit) throw std::runtime_error("page over limit");
      all.insert(all.end(), data.begin(), data.end());
      const json::value& next = body.at("next_cursor");
      if (next.is_null()) return all;
      after = std::string(next.as_string());
    }
    throw std::runtime_error("pagination does not end");
  }

  static std::vector<std::string> Slugs(const std::vector<json::value>& tenants) {
    std::vector<std::string> slugs;
    for (const json::value& t : tenants) slugs.push_back(StringAt(t, "slug"));
    return slugs;
  }
};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- authentication -------------------------------------------------------

TEST_F(AdminApi, RequestWithoutAuthorizationIsMissingCredentials) {
  Response r = server().Request("GET", "/admin/v1/tenants");
  EXPECT_TRUE(IsProblem(r, 401, "missing_credentials"));
  EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Describe();
}

TEST_F(AdminApi, WrongAdminTokenIsInvalidCredentials) {
  for (std::string token : {std::string("wrong-token-0123456789"), server().admin_token() + "x",
                            server().admin_token().substr(0, server().admin_token().size() - 1)}) {
    SCOPED_TRACE(token);
    Response r =
        server().Request("GET", "/admin/v1/tenants", {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(IsProblem(r, 401, "invalid_credentials"));
    EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Describe();
  }
}

TEST_F(AdminApi, NonBearerSchemeIsRefused) {
  Response r = server().Request("GET", "/admin/v1/tenants",
                                {{"Authorization", "Basic " + server().admin_token()}});
  EXPECT_EQ(r.status, 401) << r.Describe();
  EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Describe();
}

TEST_F(AdminApi, CreateWithoutAuthorizationCreatesNothing) {
  std::string slug = UniqueSlug("noauth");
  Response r = server().Request("POST", "/admin/v1/tenants", {{"Content-Type", "application/json"}},
                                R"({"slug":")" + slug + R"(","name":"X"})");
  EXPECT_TRUE(IsProblem(r, 401, "missing_credentials"));
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
}

TEST_F(AdminApi, UnauthenticatedRequestsDoNotRevealWhetherATenantExists) {
  std::string slug = UniqueSlug("hidden");
  MustCreate(slug);
  for (const char* method : {"GET", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    Response existing = server().Request(method, "/admin/v1/tenants/" + slug);
    Response missing = server().Request(method, "/admin/v1/tenants/no-such-tenant");
    EXPECT_EQ(existing.status, 401) << existing.Describe();
    EXPECT_EQ(missing.status, 401) << missing.Describe();
  }
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "active");
}

// ---- create ---------------------------------------------------------------

TEST_F(AdminApi, CreateAnswersTenantAndCredentialsOnce) {
  std::string slug = UniqueSlug("acme");
  Response r = server().CreateTenant(slug, "Acme Corp");
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_TRUE(r.Header("Content-Type").starts_with("application/json")) << r.Describe();
  json::value body = r.Json();
  std::string id = StringAt(body, "tenant.id");
  EXPECT_TRUE(id.starts_with("ten_")) << id;
  EXPECT_GT(id.size(), 4u);
  EXPECT_EQ(r.Header("Location"), "/admin/v1/tenants/" + id);
  EXPECT_EQ(StringAt(body, "tenant.slug"), slug);
  EXPECT_EQ(StringAt(body, "tenant.name"), "Acme Corp");
  EXPECT_EQ(StringAt(body, "tenant.plan"), "free");
  EXPECT_EQ(StringAt(body, "tenant.isolation"), "database");
  EXPECT_EQ(StringAt(body, "tenant.status"), "active");
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "tenant.created_at"))) << r.body;
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "tenant.updated_at"))) << r.body;
  EXPECT_TRUE(StringAt(body, "credentials.app_key").starts_with("ak_")) << r.body;
  EXPECT_GE(StringAt(body, "credentials.app_secret").size(), 32u) << r.body;
}

TEST_F(AdminApi, CreatedTenantsGetDistinctTimeSortableIdsAndCredentials) {
  json::value a = MustCreate(UniqueSlug("order"));
  json::value b = MustCreate(UniqueSlug("order"));
  EXPECT_LT(StringAt(a, "tenant.id"), StringAt(b, "tenant.id"));
  EXPECT_NE(StringAt(a, "credentials.app_key"), StringAt(b, "credentials.app_key"));
  EXPECT_NE(StringAt(a, "credentials.app_secret"), StringAt(b, "credentials.app_secret"));
}

TEST_F(AdminApi, CreateAcceptsEveryPlan) {
  for (const char* plan : {"free", "pro", "enterprise"}) {
    SCOPED_TRACE(plan);
    json::value body = MustCreate(UniqueSlug(plan), std::string(R"("plan":")") + plan + "\"");
    EXPECT_EQ(StringAt(body, "tenant.plan"), plan);
  }
}

TEST_F(AdminApi, CreateRejectsUnknownPlan) {
  Response r = server().CreateTenant(UniqueSlug("plan"), "X", R"("plan":"platinum")");
  ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
  EXPECT_TRUE(Contains(ErrorFields(r), "plan")) << r.body;
}

TEST_F(AdminApi, CreateAcceptsIsolationDatabase) {
  json::value body = MustCreate(UniqueSlug("iso"), R"("isolation":"database")");
  EXPECT_EQ(StringAt(body, "tenant.isolation"), "database");
}

TEST_F(AdminApi, CreateRejectsOtherIsolationModes) {
  for (const char* isolation : {"schema", "row", "shared"}) {
    SCOPED_TRACE(isolation);
    Response r = server().CreateTenant(UniqueSlug("iso"), "X",
                                       std::string(R"("isolation":")") + isolation + "\"");
    ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
    EXPECT_TRUE(Contains(ErrorFields(r), "isolation")) << r.body;
  }
}

TEST_F(AdminApi, CreateRejectsMalformedSlugs) {
  const std::vector<std::string> bad = {
      "ab",    std::string(64, 'a'), "-abc",  "abc-",   "Acme", "ac_me",
      "ac me", "acm\xC3\xA9",        "a.b.c", "../etc", ""};
  for (const std::string& slug : bad) {
    SCOPED_TRACE("slug '" + slug + "'");
    Response r = server().CreateTenant(slug, "X");
    ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
    std::vector<std::string> fields = ErrorFields(r);
    ASSERT_FALSE(fields.empty()) << r.body;
    EXPECT_EQ(fields[0], "slug") << r.body;
  }
}

TEST_F(AdminApi, CreateAcceptsSlugsAtTheBoundaries) {
  // Fixed names: only this test creates them, once per server.
  for (const std::string& slug :
       {std::string("a1b"), "l" + std::string(62, 'z'), std::string("0-9"), std::string("x--y")}) {
    SCOPED_TRACE(slug);
    EXPECT_EQ(StringAt(MustCreate(slug), "tenant.slug"), slug);
  }
}

TEST_F(AdminApi, CreateRequiresAStringSlug) {
  for (const char* body : {R"({"name":"X"})", R"({"slug":42,"name":"X"})",
                           R"({"slug":null,"name":"X"})", R"({"slug":["abc"],"name":"X"})"}) {
    SCOPED_TRACE(body);
    Response r = server().Admin("POST", "/admin/v1/tenants", body);
    ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
    EXPECT_TRUE(Contains(ErrorFields(r), "slug")) << r.body;
  }
}

TEST_F(AdminApi, CreateRequiresANameOfAtMost200Characters) {
  std::string slug = UniqueSlug("name");
  for (std::string name_member :
       {std::string(""), std::string(R"(,"name":"")"),
        R"(,"name":")" + std::string(201, 'n') + "\"", std::string(R"(,"name":17)")}) {
    SCOPED_TRACE(name_member);
    Response r = server().Admin("POST", "/admin/v1/tenants",
                                R"({"slug":")" + slug + "\"" + name_member + "}");
    ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
    std::vector<std::string> fields = ErrorFields(r);
    ASSERT_FALSE(fields.empty()) << r.body;
    EXPECT_EQ(fields[0], "name") << r.body;
  }
  Response ok = server().CreateTenant(slug, std::string(200, 'n'));
  EXPECT_EQ(ok.status, 201) << ok.Describe();
}

TEST_F(AdminApi, ValidationErrorsCarryFieldAndMessage) {
  Response r = server().Admin("POST", "/admin/v1/tenants", R"({"slug":"-bad-","name":""})");
  ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
  json::value body = r.Json();
  const json::value* errors = FindPath(body, "errors");
  ASSERT_TRUE(errors != nullptr && errors->is_array() && !errors->get_array().empty()) << r.body;
  for (const json::value& e : errors->get_array()) {
    EXPECT_FALSE(StringAt(e, "field").empty()) << r.body;
    EXPECT_FALSE(StringAt(e, "message").empty()) << r.body;
  }
  std::vector<std::string> fields = ErrorFields(r);
  EXPECT_TRUE(Contains(fields, "slug") && Contains(fields, "name"))
      << "every bad field is reported: " << r.body;
}

TEST_F(AdminApi, CreateRejectsUnknownFields) {
  Response r = server().CreateTenant(UniqueSlug("unknown"), "X", R"("colour":"red")");
  EXPECT_TRUE(IsProblem(r, 422, "validation_failed"));
}

TEST_F(AdminApi, CreateRejectsWrongJsonTypes) {
  std::string slug = UniqueSlug("types");
  for (std::string body : {std::string("[]"), std::string("\"acme\""), std::string("42"),
                           std::string("null"), R"({"slug":")" + slug + R"(","name":"X","plan":1})",
                           R"({"slug":")" + slug + R"(","name":"X","isolation":true})"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(
        IsProblem(server().Admin("POST", "/admin/v1/tenants", body), 422, "validation_failed"));
  }
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
}

TEST_F(AdminApi, CreateRejectsMalformedJson) {
  for (const char* body :
       {R"({"slug":)", R"({slug: "abc"})", R"({"slug":"abc","name":"X"} x)", "\xff\xfe{}", " "}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsProblem(server().Admin("POST", "/admin/v1/tenants", body), 400, "invalid_json"));
  }
}

TEST_F(AdminApi, CreateRejectsNonJsonContentTypes) {
  std::string body = R"({"slug":")" + UniqueSlug("ct") + R"(","name":"X"})";
  std::string auth = "Bearer " + server().admin_token();
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                           "multipart/form-data; boundary=x", ""}) {
    SCOPED_TRACE(type);
    Headers headers = {{"Authorization", auth}};
    if (*type != '\0') headers.emplace_back("Content-Type", type);
    EXPECT_TRUE(IsProblem(server().Request("POST", "/admin/v1/tenants", headers, body), 415,
                          "unsupported_media_type"));
  }
}

TEST_F(AdminApi, CreateAcceptsJsonWithCharsetParameter) {
  Response r =
      server().Request("POST", "/admin/v1/tenants",
                       {{"Authorization", "Bearer " + server().admin_token()},
                        {"Content-Type", "application/json; charset=utf-8"}},
                       R"({"slug":")" + UniqueSlug("charset") + R"(","name":"Caf\u00e9 \u2603"})");
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "tenant.name"), "Caf\xC3\xA9 \xE2\x98\x83");
}

TEST_F(AdminApi, DuplicateSlugIsSlugTaken) {
  std::string slug = UniqueSlug("dup");
  MustCreate(slug);
  EXPECT_TRUE(IsProblem(server().CreateTenant(slug, "Other"), 409, "slug_taken"));
}

// ---- read -----------------------------------------------------------------

TEST_F(AdminApi, GetByIdAndBySlugAnswerTheSameTenant) {
  std::string slug = UniqueSlug("get");
  json::value created = MustCreate(slug, R"("plan":"pro")");
  std::string id = StringAt(created, "tenant.id");
  json::value by_id = MustGet(id);
  json::value by_slug = MustGet(slug);
  EXPECT_EQ(by_id, by_slug);
  EXPECT_EQ(by_id.at("tenant"), created.at("tenant"));
  for (const char* member :
       {"id", "slug", "name", "plan", "status", "isolation", "created_at", "updated_at"}) {
    EXPECT_NE(FindPath(by_id, std::string("tenant.") + member), nullptr) << member;
  }
}

TEST_F(AdminApi, GetNeverShowsSecrets) {
  std::string slug = UniqueSlug("secret");
  json::value created = MustCreate(slug);
  std::string secret = StringAt(created, "credentials.app_secret");
  ASSERT_FALSE(secret.empty());
  Response r = server().Admin("GET", "/admin/v1/tenants/" + slug);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body.find(secret), std::string::npos);
  EXPECT_EQ(r.body.find("app_secret"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("password"), std::string::npos) << r.body;
  Response list = server().Admin("GET", "/admin/v1/tenants?limit=500");
  EXPECT_EQ(list.body.find(secret), std::string::npos);
  EXPECT_EQ(list.body.find("app_secret"), std::string::npos);
}

TEST_F(AdminApi, GetUnknownTenantIsNotFound) {
  for (const char* key : {"no-such-tenant", "ten_01JD0000000000000000000000", "ten_"}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(IsProblem(server().Admin("GET", std::string("/admin/v1/tenants/") + key), 404,
                          "not_found"));
  }
}

// ---- list -----------------------------------------------------------------

TEST_F(AdminApi, ListAnswersDataAndNextCursor) {
  MustCreate(UniqueSlug("list"));
  Response r = server().Admin("GET", "/admin/v1/tenants");
  ASSERT_EQ(r.status, 200) << r.Describe();
  json::value body = r.Json();
  ASSERT_NE(FindPath(body, "data"), nullptr) << r.body;
  ASSERT_TRUE(body.at("data").is_array()) << r.body;
  EXPECT_FALSE(body.at("data").as_array().empty());
  const json::value* next = FindPath(body, "next_cursor");
  ASSERT_NE(next, nullptr) << r.body;
  EXPECT_TRUE(next->is_null() || next->is_string()) << r.body;
}

TEST_F(AdminApi, ListPagesThroughTenantsInCreationOrder) {
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(UniqueSlug("page"));
    MustCreate(mine.back());
  }
  std::vector<std::string> paged = Slugs(ListAll({}, 2));
  std::vector<std::string> whole = Slugs(ListAll({}, 500));
  EXPECT_EQ(paged, whole) << "pages of 2 and one page of 500 list the same tenants";
  std::vector<std::string> seen;
  for (const std::string& s : paged) {
    if (Contains(mine, s)) seen.push_back(s);
  }
  EXPECT_EQ(seen, mine);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size())
      << "no tenant listed twice";
}

TEST_F(AdminApi, ListDefaultsToPagesOf50) {
  int existing = static_cast<int>(ListAll().size());
  for (int i = existing; i < 51; ++i) MustCreate(UniqueSlug("fill"));
  Response r = server().Admin("GET", "/admin/v1/tenants");
  ASSERT_EQ(r.status, 200) << r.Describe();
  json::value body = r.Json();
  EXPECT_EQ(body.at("data").as_array().size(), 50u);
  EXPECT_TRUE(body.at("next_cursor").is_string()) << r.body;
}

TEST_F(AdminApi, ListHonoursLimitBounds) {
  MustCreate(UniqueSlug("lim"));
  MustCreate(UniqueSlug("lim"));
  Response one = server().Admin("GET", "/admin/v1/tenants?limit=1");
  ASSERT_EQ(one.status, 200) << one.Describe();
  EXPECT_EQ(one.Json().at("data").as_array().size(), 1u);
  EXPECT_TRUE(one.Json().at("next_cursor").is_string()) << one.body;
  EXPECT_EQ(server().Admin("GET", "/admin/v1/tenants?limit=500").status, 200);
}

TEST_F(AdminApi, ListRejectsBadLimit) {
  for (const char* limit : {"abc", "0", "501", "-1", "1.5", "99999999999999999999"}) {
    SCOPED_TRACE(limit);
    EXPECT_TRUE(IsProblem(server().Admin("GET", std::string("/admin/v1/tenants?limit=") + limit),
                          400, "bad_request"));
  }
}

TEST_F(AdminApi, ListFiltersByStatus) {
  std::string active = UniqueSlug("fa");
  std::string suspended = UniqueSlug("fs");
  std::string deleted = UniqueSlug("fd");
  MustCreate(active);
  MustCreate(suspended);
  MustCreate(deleted);
  ASSERT_EQ(
      server().Admin("PATCH", "/admin/v1/tenants/" + suspended, R"({"status":"suspended"})").status,
      200);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + deleted).status, 204);

  for (const char* status : {"active", "suspended", "deleted"}) {
    SCOPED_TRACE(status);
    std::vector<json::value> listed = ListAll(std::string("status=") + status);
    for (const json::value& t : listed) EXPECT_EQ(StringAt(t, "status"), status);
    std::vector<std::string> slugs = Slugs(listed);
    EXPECT_EQ(Contains(slugs, active), std::string_view(status) == "active");
    EXPECT_EQ(Contains(slugs, suspended), std::string_view(status) == "suspended");
    EXPECT_EQ(Contains(slugs, deleted), std::string_view(status) == "deleted");
  }
}

TEST_F(AdminApi, ListRejectsUnknownStatusFilter) {
  for (const char* status : {"paused", "ACTIVE", "all"}) {
    SCOPED_TRACE(status);
    EXPECT_TRUE(IsProblem(server().Admin("GET", std::string("/admin/v1/tenants?status=") + status),
                          400, "bad_request"));
  }
}

// ---- update ---------------------------------------------------------------

TEST_F(AdminApi, PatchChangesNameAndPlanAndAdvancesUpdatedAt) {
  std::string slug = UniqueSlug("patch");
  json::value created = MustCreate(slug);
  std::string id = StringAt(created, "tenant.id");
  std::this_thread::sleep_for(20ms);  // timestamps have millisecond resolution
  Response r = server().Admin("PATCH", "/admin/v1/tenants/" + id,
                              R"({"name":"Acme Renamed","plan":"enterprise"})");
  ASSERT_EQ(r.status, 200) << r.Describe();
  json::value body = r.Json();
  EXPECT_EQ(StringAt(body, "tenant.name"), "Acme Renamed");
  EXPECT_EQ(StringAt(body, "tenant.plan"), "enterprise");
  EXPECT_EQ(StringAt(body, "tenant.slug"), slug);
  EXPECT_EQ(StringAt(body, "tenant.created_at"), StringAt(created, "tenant.created_at"));
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "tenant.updated_at")));
  EXPECT_GT(StringAt(body, "tenant.updated_at"), StringAt(created, "tenant.updated_at"));
  EXPECT_EQ(MustGet(id).at("tenant"), body.at("tenant"));
}

TEST_F(AdminApi, PatchAddressesTenantsBySlug) {
  std::string slug = UniqueSlug("pslug");
  MustCreate(slug);
  Response r = server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"plan":"pro"})");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.plan"), "pro");
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.name"), "Acme Corp") << "untouched fields stay";
}

TEST_F(AdminApi, PatchSuspendsAndReactivates) {
  std::string slug = UniqueSlug("susp");
  MustCreate(slug);
  Response s = server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"status":"suspended"})");
  ASSERT_EQ(s.status, 200) << s.Describe();
  EXPECT_EQ(StringAt(s.Json(), "tenant.status"), "suspended");
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "suspended");
  Response a = server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"status":"active"})");
  ASSERT_EQ(a.status, 200) << a.Describe();
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "active");
}

TEST_F(AdminApi, PatchCannotSetStatusDeleted) {
  std::string slug = UniqueSlug("pdel");
  MustCreate(slug);
  Response r = server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"status":"deleted"})");
  ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
  EXPECT_TRUE(Contains(ErrorFields(r), "status")) << r.body;
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "active");
}

TEST_F(AdminApi, PatchValidatesEachField) {
  std::string slug = UniqueSlug("pval");
  MustCreate(slug);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"plan":"platinum"})", "plan"},
      {R"({"plan":3})", "plan"},
      {R"({"name":""})", "name"},
      {R"({"name":")" + std::string(201, 'n') + "\"}", "name"},
      {R"({"status":"paused"})", "status"},
      {R"({"status":false})", "status"}};
  for (const auto& [body, field] : cases) {
    SCOPED_TRACE(body);
    Response r = server().Admin("PATCH", "/admin/v1/tenants/" + slug, body);
    ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
    EXPECT_TRUE(Contains(ErrorFields(r), field)) << r.body;
  }
  json::value after = MustGet(slug);
  EXPECT_EQ(StringAt(after, "tenant.plan"), "free");
  EXPECT_EQ(StringAt(after, "tenant.name"), "Acme Corp");
}

TEST_F(AdminApi, PatchRejectsMalformedJsonAndOtherContentTypes) {
  std::string slug = UniqueSlug("pjson");
  MustCreate(slug);
  EXPECT_TRUE(IsProblem(server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"name":)"), 400,
                        "invalid_json"));
  Response r = server().Request(
      "PATCH", "/admin/v1/tenants/" + slug,
      {{"Authorization", "Bearer " + server().admin_token()}, {"Content-Type", "text/plain"}},
      R"({"name":"Y"})");
  EXPECT_TRUE(IsProblem(r, 415, "unsupported_media_type"));
}

TEST_F(AdminApi, PatchOfADeletedTenantIsTenantDeleted) {
  std::string slug = UniqueSlug("pgone");
  MustCreate(slug);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + slug).status, 204);
  EXPECT_TRUE(IsProblem(server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"name":"Y"})"),
                        409, "tenant_deleted"));
  EXPECT_TRUE(
      IsProblem(server().Admin("PATCH", "/admin/v1/tenants/" + slug, R"({"status":"active"})"), 409,
                "tenant_deleted"));
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "deleted");
}

TEST_F(AdminApi, PatchOfAnUnknownTenantIsNotFound) {
  EXPECT_TRUE(
      IsProblem(server().Admin("PATCH", "/admin/v1/tenants/no-such-tenant", R"({"name":"Y"})"), 404,
                "not_found"));
}

// ---- delete ---------------------------------------------------------------

TEST_F(AdminApi, DeleteMarksTheTenantDeleted) {
  std::string slug = UniqueSlug("del");
  std::string id = StringAt(MustCreate(slug), "tenant.id");
  Response r = server().Admin("DELETE", "/admin/v1/tenants/" + id);
  ASSERT_EQ(r.status, 204) << r.Describe();
  json::value after = MustGet(id);
  EXPECT_EQ(StringAt(after, "tenant.status"), "deleted");
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.id"), id);
}

TEST_F(AdminApi, DeleteAddressesTenantsBySlug) {
  std::string slug = UniqueSlug("delslug");
  MustCreate(slug);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + slug).status, 204);
  EXPECT_EQ(StringAt(MustGet(slug), "tenant.status"), "deleted");
}

TEST_F(AdminApi, DeletedTenantKeepsItsSlugTaken) {
  std::string slug = UniqueSlug("keep");
  MustCreate(slug);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + slug).status, 204);
  EXPECT_TRUE(IsProblem(server().CreateTenant(slug, "Again"), 409, "slug_taken"));
}

TEST_F(AdminApi, PurgeRemovesTheTenantAndFreesItsSlug) {
  std::string slug = UniqueSlug("purge");
  std::string id = StringAt(MustCreate(slug), "tenant.id");
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + id + "?purge=true").status, 204);
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + id), 404, "not_found"));
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
  EXPECT_FALSE(Contains(Slugs(ListAll("status=deleted")), slug));
  json::value again = MustCreate(slug);
  EXPECT_NE(StringAt(again, "tenant.id"), id);
  EXPECT_EQ(StringAt(again, "tenant.status"), "active");
}

TEST_F(AdminApi, PurgeAfterSoftDeleteRemovesTheTenant) {
  std::string slug = UniqueSlug("purge2");
  MustCreate(slug);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + slug).status, 204);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + slug + "?purge=true").status, 204);
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
  EXPECT_EQ(server().CreateTenant(slug).status, 201);
}

TEST_F(AdminApi, DeleteOfAnUnknownTenantIsNotFound) {
  EXPECT_TRUE(
      IsProblem(server().Admin("DELETE", "/admin/v1/tenants/no-such-tenant"), 404, "not_found"));
  EXPECT_TRUE(IsProblem(server().Admin("DELETE", "/admin/v1/tenants/no-such-tenant?purge=true"),
                        404, "not_found"));
}

// ---- methods --------------------------------------------------------------

TEST_F(AdminApi, WrongMethodOnTheCollectionIsMethodNotAllowed) {
  Response r = server().Admin("PUT", "/admin/v1/tenants", R"({"slug":"put-me","name":"X"})");
  ASSERT_TRUE(IsProblem(r, 405, "method_not_allowed"));
  std::string allow = r.Header("Allow");
  EXPECT_NE(allow.find("GET"), std::string::npos) << allow;
  EXPECT_NE(allow.find("POST"), std::string::npos) << allow;
}

TEST_F(AdminApi, WrongMethodOnATenantIsMethodNotAllowed) {
  std::string slug = UniqueSlug("put");
  MustCreate(slug);
  Response r = server().Admin("PUT", "/admin/v1/tenants/" + slug, R"({"name":"X"})");
  ASSERT_TRUE(IsProblem(r, 405, "method_not_allowed"));
  std::string allow = r.Header("Allow");
  for (const char* m : {"GET", "PATCH", "DELETE"})
    EXPECT_NE(allow.find(m), std::string::npos) << allow;
}

// ---- secrets at rest ------------------------------------------------------

TEST_F(AdminApi, AppSecretIsNotStoredInPlainText) {
  std::string secret = StringAt(MustCreate(UniqueSlug("rest")), "credentials.app_secret");
  ASSERT_FALSE(secret.empty());
  // On PostgreSQL (the suite's second run) the control store is not a file
  // here; its rows are the control store contract tests' to check.
  const char* on_postgres = std::getenv("TENANTD_E2E_POSTGRES");
  if (on_postgres == nullptr || std::string_view(on_postgres) != "1") {
    ASSERT_TRUE(std::filesystem::exists(server().data_dir() / "control.db"));
  }
  // Every file of the data dir: control.db and its -wal/-journal, the
  // tenant's own database, the log.
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(server().data_dir())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(ReadFile(entry.path()).find(secret), std::string::npos)
        << "app secret in plain text in " << entry.path();
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace tenantd::test
