// GET /openapi.json (api.md §18): it describes every route the server
// serves and no other, passes Redocly's lint, and the server's real answers
// match the response schemas it publishes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/people.h"
#include "support/png.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kTools = fs::path(TENANTD_SOURCE_DIR) / "tools" / "openapi";

class OpenApi : public SharedServerTest<OpenApi> {
 protected:
  json::value Document() const {
    Response r = server().Request("GET", "/openapi.json");
    EXPECT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    return r.Json();
  }
  fs::path WriteDocument() const {
    Response r = server().Request("GET", "/openapi.json");
    const fs::path path = server().root() / "openapi.json";
    WriteFile(path, r.body);
    return path;
  }
};

// A target for a documented path: each {param} filled with "x".
std::string Probe(std::string_view pattern) {
  return std::regex_replace(std::string(pattern), std::regex(R"(\{[^}]+\})"), "x");
}

TEST_F(OpenApi, EveryServedRouteIsDocumented) {
  const json::value doc = Document();
  // The router's own list: routes added without a RouteDoc are listed here
  // instead of under paths.
  EXPECT_FALSE(doc.as_object().contains("x-tenantd-undocumented"))
      << "routes without an OpenAPI description (add a RouteDoc to their Router::Add): "
      << json::serialize(doc.at("x-tenantd-undocumented"));
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      const std::string where = std::string(method) + " " + std::string(path);
      EXPECT_FALSE(op.at("summary").as_string().empty()) << where;
      EXPECT_FALSE(op.at("operationId").as_string().empty()) << where;
      EXPECT_FALSE(op.at("responses").as_object().empty()) << where;
    }
  }
}

TEST_F(OpenApi, EveryDocumentedRouteIsServed) {
  const json::value doc = Document();
  int probed = 0;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string verb(method);
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      // No credentials: a served route answers from its stages or handler
      // (401, 200, 404 of a missing thing); only an unserved one gets the
      // router's own 404 "No such route." or a 405.
      const Response r = server().Request(verb, Probe(path));
      ASSERT_TRUE(r.ok()) << r.error;
      EXPECT_NE(r.status, 405) << verb << " " << path << " is documented but not served";
      EXPECT_FALSE(r.status == 404 && r.body.find("No such route.") != std::string::npos)
          << verb << " " << path << " is documented but not served";
      ++probed;
    }
  }
  EXPECT_GT(probed, 30);
}

TEST_F(OpenApi, DeclaresScopesFromTheRouteStagesAndProblemCodes) {
  const json::value doc = Document();
  const json::value& create = doc.at("paths").at("/v1/products").at("post");
  EXPECT_EQ(create.at("x-required-scopes"), json::parse(R"(["products:write"])"));
  EXPECT_EQ(create.at("security").as_array().size(), 4u);  // cookie, API key, mode A, mode B
  const json::value& conflict =
      create.at("responses").at("409").at("content").at("application/problem+json");
  EXPECT_NE(json::serialize(conflict).find("sku_taken"), std::string::npos);
  const json::value& unauthorized =
      create.at("responses").at("401").at("content").at("application/problem+json");
  EXPECT_NE(json::serialize(unauthorized).find("replayed_request"), std::string::npos);
  const json::value& admin = doc.at("paths").at("/admin/v1/tenants").at("post");
  EXPECT_EQ(admin.at("security"), json::parse(R"([{"adminToken":[]}])"));
  const json::value& link = doc.at("paths").at("/v1/files/{id}").at("get");
  EXPECT_EQ(link.at("security").as_array().back(), json::object{});  // presigned: none
  for (const char* scheme :
       {"adminToken", "apiKey", "appKey", "appSecret", "appSignature", "sessionCookie"}) {
    EXPECT_TRUE(doc.at("components").at("securitySchemes").as_object().contains(scheme)) << scheme;
  }
}

TEST_F(OpenApi, WelcomePageLinksToTheViewerServedFromLocalAssets) {
  const Response welcome = server().Request("GET", "/");
  EXPECT_NE(welcome.body.find("href=\"/docs\""), std::string::npos) << welcome.body;
  EXPECT_NE(welcome.body.find("href=\"/openapi.json\""), std::string::npos);
  const Response page = server().Request("GET", "/docs");
  ASSERT_EQ(page.status, 200) << page.Describe();
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  // Nothing from another origin.
  EXPECT_EQ(page.body.find("http"), std::string::npos) << page.body;
  const Response script = server().Request("GET", "/docs/viewer.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_NE(script.body.find("fetch('/openapi.json')"), std::string::npos);
  EXPECT_EQ(script.body.find("https://"), std::string::npos);
  EXPECT_EQ(server().Request("GET", "/docs/viewer.css").status, 200);
  EXPECT_EQ(server().Request("GET", "/docs/..%2Fopenapi.json").status, 404);
  EXPECT_EQ(server().Request("GET", "/docs/index.html").status, 404);
}

TEST_F(OpenApi, PassesRedoclyLintWithoutWarnings) {
  const fs::path doc = WriteDocument();
  CommandResult r = RunCommand(
      {"node", (kTools / "node_modules" / "@redocly" / "cli" / "bin" / "cli.js").string(), "lint",
       "--config", (kTools / "redocly.yaml").string(), "--format", "json", doc.string()},
      {{"REDOCLY_TELEMETRY", "off"}, {"REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"}},
      std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json::value report;
  ASSERT_NO_THROW(report = json::parse(r.out)) << r.out << r.err;
  // Warnings fail too: the document is generated, so it can be kept clean.
  EXPECT_EQ(report.at("totals").at("errors"), 0) << json::serialize(report.at("problems"));
  EXPECT_EQ(report.at("totals").at("warnings"), 0) << json::serialize(report.at("problems"));
}

// Real answers, each recorded with the route pattern it came from.
class Answers {
 public:
  const Response& Add(std::string_view method, std::string_view pattern, Response r) {
    EXPECT_TRUE(r.ok()) << method << " " << pattern << ": " << r.error;
    list_.push_back(json::object{{"method", method},
                                 {"path", pattern},
                                 {"status", r.status},
                                 {"content_type", r.Header("Content-Type")},
                                 {"body", r.body}});
    last_ = std::move(r);
    return last_;
  }
  std::size_t size() const { return list_.size(); }
  std::string Serialize() const { return json::serialize(list_); }

 private:
  json::array list_;
  Response last_;
};

TEST_F(OpenApi, RealAnswersMatchTheDocumentedSchemas) {
  TestServer& s = server();
  Answers a;
  a.Add("GET", "/", s.Request("GET", "/", {{"Accept", "application/json"}}));
  a.Add("GET", "/", s.Request("GET", "/"));
  a.Add("GET", "/healthz", s.Request("GET", "/healthz"));
  a.Add("GET", "/readyz", s.Request("GET", "/readyz"));
  a.Add("GET", "/metrics", s.Request("GET", "/metrics"));
  a.Add("GET", "/docs", s.Request("GET", "/docs"));
  a.Add("GET", "/docs/{asset}", s.Request("GET", "/docs/viewer.js"));
  a.Add("GET", "/docs/{asset}", s.Request("GET", "/docs/nope.js"));
  // Forward authentication: loopback is no trusted proxy here (403).
  a.Add("GET", "/auth/v1/check", s.Request("GET", "/auth/v1/check"));
  a.Add("GET", "/auth/v1/check/{original}", s.Request("GET", "/auth/v1/check/v1/whoami"));
  a.Add("POST", "/auth/v1/verify",
        s.Admin("POST", "/auth/v1/verify", R"({"key":"sk_live_nope"})"));  // valid: false
  a.Add("POST", "/auth/v1/verify", s.Admin("POST", "/auth/v1/verify", R"({"key":7})"));  // 422
  a.Add("POST", "/auth/v1/verify", s.Request("POST", "/auth/v1/verify"));                // 401

  // Administration.
  const std::string slug = UniqueSlug("oas");
  const json::value created =
      a.Add("POST", "/admin/v1/tenants", s.CreateTenant(slug, "Schema Check")).Json();
  const std::string id = StringAt(created, "tenant.id");
  const Headers app = {{"X-App-Key", StringAt(created, "credentials.app_key")},
                       {"X-App-Secret", StringAt(created, "credentials.app_secret")}};
  const std::string t = "/admin/v1/tenants/" + id;
  a.Add("POST", "/admin/v1/tenants", s.CreateTenant(slug));  // 409 slug_taken
  a.Add("POST", "/admin/v1/tenants", s.Admin("POST", "/admin/v1/tenants", R"({"slug":"x"})"));
  a.Add("POST", "/admin/v1/tenants", s.Request("POST", "/admin/v1/tenants"));  // 401
  a.Add("GET", "/admin/v1/tenants", s.Admin("GET", "/admin/v1/tenants?limit=2"));
  a.Add("GET", "/admin/v1/tenants", s.Admin("GET", "/admin/v1/tenants?limit=0"));
  a.Add("GET", "/admin/v1/tenants/{id}", s.Admin("GET", t));
  a.Add("GET", "/admin/v1/tenants/{id}", s.Admin("GET", "/admin/v1/tenants/ten_nope"));
  a.Add("PATCH", "/admin/v1/tenants/{id}", s.Admin("PATCH", t, R"({"name":"Renamed"})"));
  a.Add("POST", "/admin/v1/tenants/{id}/backups", s.Admin("POST", t + "/backups"));
  const std::string backup_id = StringAt(
      a.Add("GET", "/admin/v1/tenants/{id}/backups", s.Admin("GET", t + "/backups")).Json(),
      "data.0.id");
  a.Add("POST", "/admin/v1/tenants/{id}/restore",
        s.Admin("POST", t + "/restore", R"({"backup_id":")" + backup_id + R"("})"));
  a.Add("GET", "/admin/v1/tenants/{id}/usage", s.Admin("GET", t + "/usage"));
  a.Add("GET", "/admin/v1/emails", s.Admin("GET", "/admin/v1/emails?status=failed&limit=2"));
  a.Add("GET", "/admin/v1/emails", s.Admin("GET", "/admin/v1/emails?status=queued"));  // 400
  const std::string user_slug = UniqueSlug("oas-user");
  const std::string u =
      "/admin/v1/users/" + CreateUser(s.data_dir(), user_slug + "@example.com", user_slug).id;
  a.Add("GET", "/admin/v1/users", s.Admin("GET", "/admin/v1/users?limit=2"));
  a.Add("GET", "/admin/v1/users", s.Admin("GET", "/admin/v1/users?limit=0"));  // 400
  a.Add("GET", "/admin/v1/users/{id}", s.Admin("GET", u));
  a.Add("GET", "/admin/v1/users/{id}", s.Admin("GET", "/admin/v1/users/usr_nope"));  // 404
  a.Add("PATCH", "/admin/v1/users/{id}", s.Admin("PATCH", u, R"({"status":"suspended"})"));
  a.Add("PATCH", "/admin/v1/users/{id}", s.Admin("PATCH", u, R"({"status":"gone"})"));  // 422

  // The tenant, with app key + secret.
  a.Add("GET", "/v1/whoami", s.Request("GET", "/v1/whoami", app));
  a.Add("GET", "/v1/whoami", s.Request("GET", "/v1/whoami"));  // 401
  a.Add("POST", "/v1/session", s.Request("POST", "/v1/session", app));
  a.Add("GET", "/v1/session", s.Request("GET", "/v1/session", app));
  a.Add("GET", "/v1/sessions", s.Request("GET", "/v1/sessions", app));
  a.Add("DELETE", "/v1/session", s.Request("DELETE", "/v1/session", app));
  Headers json_app = app;
  json_app.push_back({"Content-Type", "application/json"});
  const json::value key =
      a.Add("POST", "/v1/api-keys",
            s.Request("POST", "/v1/api-keys", json_app,
                      R"({"name":"ro","type":"restricted","scopes":["products:read"]})"))
          .Json();
  const std::string key_path = "/v1/api-keys/" + StringAt(key, "api_key.id");
  const Headers restricted = {{"Authorization", "Bearer " + StringAt(key, "secret")}};
  a.Add("GET", "/v1/api-keys", s.Request("GET", "/v1/api-keys", app));
  a.Add("GET", "/v1/api-keys/{id}", s.Request("GET", key_path, app));
  a.Add("POST", "/v1/api-keys/{id}/rotate",
        s.Request("POST", key_path + "/rotate", json_app, R"({"grace_seconds":0})"));
  a.Add("DELETE", "/v1/api-keys/{id}", s.Request("DELETE", key_path, app));

  // Users (api.md §11): sign-up, the user's session on /v1/ and /auth/v1/, roles.
  const Headers json_only = {{"Content-Type", "application/json"}};
  const std::string email = UniqueSlug("oas-user") + "@example.com";
  const std::string credentials =
      R"({"email":")" + email + R"(","password":"correct horse battery")";
  const Response signed_up =
      a.Add("POST", "/auth/v1/signup",
            s.Request("POST", "/auth/v1/signup", json_only, credentials + R"(,"name":"Ada"})"));
  a.Add("POST", "/auth/v1/signup",
        s.Request("POST", "/auth/v1/signup", json_only, R"({"email":"x"})"));  // 422
  const std::string set_cookie = signed_up.Header("Set-Cookie");
  const Headers user = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  Headers json_user = user;
  json_user.push_back({"Content-Type", "application/json"});
  a.Add("GET", "/v1/whoami", s.Request("GET", "/v1/whoami", user));
  a.Add("GET", "/auth/v1/user", s.Request("GET", "/auth/v1/user", user));
  a.Add("GET", "/auth/v1/user", s.Request("GET", "/auth/v1/user"));  // 401
  a.Add("PATCH", "/auth/v1/user",
        s.Request("PATCH", "/auth/v1/user", json_user, R"({"name":"Ada L"})"));
  a.Add("GET", "/auth/v1/sessions", s.Request("GET", "/auth/v1/sessions", user));
  a.Add("POST", "/auth/v1/signin",
        s.Request("POST", "/auth/v1/signin", json_only, credentials + "}"));
  a.Add("POST", "/auth/v1/signin",
        s.Request("POST", "/auth/v1/signin", json_only,
                  R"({"email":")" + email + R"(","password":"wrong password"})"));  // 401
  a.Add("GET", "/v1/members", s.Request("GET", "/v1/members", user));
  a.Add("GET", "/v1/roles", s.Request("GET", "/v1/roles", user));
  const json::value role = a.Add("POST", "/v1/roles",
                                 s.Request("POST", "/v1/roles", json_user,
                                           R"({"name":"support","scopes":["products:read"]})"))
                               .Json();
  a.Add("PATCH", "/v1/roles/{id}",
        s.Request("PATCH", "/v1/roles/" + StringAt(role, "role.id"), json_user,
                  R"({"name":"helpdesk"})"));
  a.Add("POST", "/auth/v1/recover",
        s.Request("POST", "/auth/v1/recover", json_only, R"({"email":")" + email + R"("})"));
  a.Add("POST", "/auth/v1/reset",
        s.Request("POST", "/auth/v1/reset", json_only,
                  R"({"token":"nope","password":"a long password"})"));  // 400
  a.Add("POST", "/auth/v1/switch",
        s.Request("POST", "/auth/v1/switch", json_user, R"({"tenant":"nope"})"));  // 403
  a.Add("GET", "/auth/verify", s.Request("GET", "/auth/verify?token=x"));
  a.Add("POST", "/v1/api-keys", s.Request("POST", "/v1/api-keys", app, "{}"));  // 415

  const json::value product =
      a.Add("POST", "/v1/products",
            s.Request("POST", "/v1/products", json_app,
                      R"({"sku":"OAS-1","name":"Mug","price_cents":1299,"attributes":{"c":1}})"))
          .Json();
  const std::string p = "/v1/products/" + StringAt(product, "product.id");
  a.Add(
      "POST", "/v1/products",
      s.Request("POST", "/v1/products", json_app, R"({"sku":"OAS-1","name":"M","price_cents":1})"));
  a.Add("POST", "/v1/products",
        s.Request("POST", "/v1/products", json_app, R"({"sku":"","price_cents":1.5})"));
  a.Add("GET", "/v1/products", s.Request("GET", "/v1/products?limit=1", app));
  a.Add("GET", "/v1/products/{id}", s.Request("GET", p, app));
  a.Add("GET", "/v1/products/{id}",
        s.Request("GET", p, {app[0], app[1], {"If-None-Match", "\"1\""}}));
  a.Add("GET", "/v1/products/{id}", s.Request("GET", "/v1/products/prd_nope", app));
  a.Add("PATCH", "/v1/products/{id}", s.Request("PATCH", p, json_app, R"({"price_cents":1399})"));
  Headers stale = json_app;
  stale.push_back({"If-Match", "\"1\""});
  a.Add("PATCH", "/v1/products/{id}", s.Request("PATCH", p, stale, R"({"name":"x"})"));
  a.Add("POST", "/v1/products", s.Request("POST", "/v1/products", restricted, "{}"));  // 401/403
  a.Add("DELETE", "/v1/products/{id}", s.Request("DELETE", p, app));

  Headers upload = app;
  upload.push_back({"Content-Type", "application/octet-stream"});
  upload.push_back({"X-Filename", "notes.txt"});
  const json::value file =
      a.Add("POST", "/v1/files", s.Request("POST", "/v1/files", upload, "hello")).Json();
  const std::string f = "/v1/files/" + StringAt(file, "file.id");
  a.Add("GET", "/v1/files", s.Request("GET", "/v1/files", app));
  a.Add("GET", "/v1/files/{id}", s.Request("GET", f, app));
  a.Add("GET", "/v1/files/{id}", s.Request("GET", f, {app[0], app[1], {"Range", "bytes=1-2"}}));
  a.Add("GET", "/v1/files/{id}", s.Request("GET", f, {app[0], app[1], {"Range", "bytes=9-"}}));
  a.Add("POST", "/v1/files/{id}/links", s.Request("POST", f + "/links", json_app, "{}"));
  const json::value published =
      a.Add("PATCH", "/v1/files/{id}", s.Request("PATCH", f, json_app, R"({"public":true})"))
          .Json();
  a.Add("PATCH", "/v1/files/{id}", s.Request("PATCH", f, json_app, R"({"public":"yes"})"));
  a.Add("GET", "/v1/files", s.Request("GET", "/v1/files", app));  // with public_url
  const std::string pub = StringAt(published, "file.public_url");
  const std::string public_route = "/public/{tenant_slug}/{file_id}/{filename}";
  const std::string etag = a.Add("GET", public_route, s.Request("GET", pub)).Header("ETag");
  a.Add("GET", public_route, s.Request("GET", pub, {{"Range", "bytes=1-2"}}));
  a.Add("GET", public_route, s.Request("GET", pub, {{"If-None-Match", etag}}));
  a.Add("GET", public_route, s.Request("GET", pub, {{"Range", "bytes=9-"}}));
  a.Add("GET", public_route, s.Request("GET", pub + "x"));
  a.Add("GET", "/v1/files/{id}", s.Request("GET", f + "?expires=1&signature=x"));
  // Image variants: of an image (200, 206, 304), of a size not configured
  // (404), of a file that is no image (415), and a public file's.
  Headers png = app;
  png.push_back({"Content-Type", "application/octet-stream"});
  png.push_back({"X-Filename", "pic.png"});
  const std::string img =
      "/v1/files/" +
      StringAt(
          a.Add("POST", "/v1/files", s.Request("POST", "/v1/files", png, MakePng(40, 30))).Json(),
          "file.id");
  const std::string variant = "/v1/files/{id}/variants/{variant}";
  const std::string variant_etag =
      a.Add("GET", variant, s.Request("GET", img + "/variants/64x64.png", app)).Header("ETag");
  a.Add("GET", variant, s.Request("GET", img + "/variants/256x256.webp", app));
  a.Add("GET", variant, s.Request("GET", img + "/variants/64x64.jpeg", app));
  a.Add("GET", variant,
        s.Request("GET", img + "/variants/64x64.png", {app[0], app[1], {"Range", "bytes=0-3"}}));
  a.Add("GET", variant,
        s.Request("GET", img + "/variants/64x64.png",
                  {app[0], app[1], {"If-None-Match", variant_etag}}));
  a.Add("GET", variant, s.Request("GET", img + "/variants/99x99.png", app));
  a.Add("GET", variant, s.Request("GET", f + "/variants/64x64.png", app));
  const std::string public_variant = "/public/{tenant_slug}/{file_id}/variants/{variant}";
  const std::string pub_variant =
      "/public/" + slug + "/" + StringAt(file, "file.id") + "/variants/";
  a.Add("GET", public_variant, s.Request("GET", pub_variant + "64x64.png"));  // 415: no image
  a.Add("GET", public_variant, s.Request("GET", pub_variant + "1x1.png"));    // 404
  a.Add("DELETE", "/v1/files/{id}", s.Request("DELETE", f, app));

  const std::string session = StringAt(
      a.Add("POST", "/v1/session", s.Request("POST", "/v1/session", app)).Json(), "session.id");
  a.Add("DELETE", "/v1/sessions/{id}", s.Request("DELETE", "/v1/sessions/" + session, app));
  a.Add("DELETE", "/v1/sessions", s.Request("DELETE", "/v1/sessions", app));
  a.Add("DELETE", "/admin/v1/tenants/{id}", s.Admin("DELETE", t));
  a.Add("POST", "/admin/v1/tenants/{id}/credentials/rotate",
        s.Admin("POST", t + "/credentials/rotate"));  // 409 tenant_deleted
  a.Add("GET", "/openapi.json", s.Request("GET", "/openapi.json"));

  const fs::path answers = s.root() / "answers.json";
  WriteFile(answers, a.Serialize());
  CommandResult r = RunCommand({"node", (kTools / "validate-answers.mjs").string(),
                                WriteDocument().string(), answers.string()},
                               {}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(a.size()) + " passed, 0 failed"), std::string::npos)
      << r.out << r.err;
}

}  // namespace
}  // namespace tenantd::test
