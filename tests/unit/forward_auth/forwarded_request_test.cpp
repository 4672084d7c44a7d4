#include "forward_auth/forwarded_request.h"

#include <gtest/gtest.h>

#include "control/control_store.h"

namespace tenantd::forward_auth {
namespace {

http::Request Check(std::string target, std::vector<std::pair<std::string, std::string>> headers,
                    std::string method = "GET") {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  for (auto& [name, value] : headers) r.headers.Add(name, value);
  r.remote_ip = "10.0.0.7";
  return r;
}

TEST(OriginalRequest, TakesNginxMethodAndUriWithTheCredentials) {
  auto o = OriginalRequest(Check("/auth/v1/check", {{"Host", "tenantd:8080"},
                                                    {"X-Original-Method", "DELETE"},
                                                    {"X-Original-URI", "/v1/orders/7?x=1"},
                                                    {"X-Forwarded-Host", "acme.example.com"},
                                                    {"Authorization", "Bearer sk_live_x"}}));
  ASSERT_TRUE(o) << o.error().public_message;
  EXPECT_EQ(o->method, "DELETE");
  EXPECT_EQ(o->target, "/v1/orders/7?x=1");
  EXPECT_EQ(o->headers.Get("Host"), "acme.example.com");
  EXPECT_EQ(o->headers.Get("Authorization"), "Bearer sk_live_x");
  EXPECT_EQ(o->remote_ip, "10.0.0.7");
  EXPECT_TRUE(o->body_elsewhere);
  EXPECT_FALSE(o->is_tls);
}

TEST(OriginalRequest, TakesTraefikForwardedHeadersAndScheme) {
  auto o = OriginalRequest(Check("/auth/v1/check", {{"X-Forwarded-Method", "POST"},
                                                    {"X-Forwarded-Uri", "/v1/a"},
                                                    {"X-Forwarded-Proto", "https"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->method, "POST");
  EXPECT_EQ(o->target, "/v1/a");
  EXPECT_TRUE(o->is_tls);
}

TEST(OriginalRequest, PrefersNginxOverTraefikHeaders) {
  auto o = OriginalRequest(Check("/auth/v1/check", {{"X-Forwarded-Method", "POST"},
                                                    {"X-Forwarded-Uri", "/forged"},
                                                    {"X-Original-Method", "GET"},
                                                    {"X-Original-URI", "/real"}}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->target, "/real");
}

TEST(OriginalRequest, EnvoyAppendedPathWinsOverHeaders) {
  auto o = OriginalRequest(Check("/auth/v1/check/v1/products?limit=2",
                                 {{"Host", "acme.example.com"}, {"X-Original-URI", "/forged"}},
                                 "PATCH"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->method, "PATCH");
  EXPECT_EQ(o->target, "/v1/products?limit=2");
  EXPECT_EQ(o->headers.Get("Host"), "acme.example.com");
}

TEST(OriginalRequest, RefusesMissingOrMalformedOriginals) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {},
      {{"X-Original-URI", "/v1/a"}},  // no method
      {{"X-Original-Method", "get"}, {"X-Original-URI", "/v1/a"}},
      {{"X-Original-Method", "GET"}, {"X-Original-URI", "http://evil/v1/a"}},
      {{"X-Original-Method", "GET"}, {"X-Original-URI", "/v1/a b"}},
      {{"X-Original-Method", "GET\r\nX: y"}, {"X-Original-URI", "/v1/a"}},
      {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", ""}},
  };
  for (const auto& headers : bad) {
    auto o = OriginalRequest(Check("/auth/v1/check", headers));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().problem_code, "invalid_original_request");
  }
}

TEST(RequiredScopes, CollectsHeaderValuesAndQueryOnThePlainCheckPath) {
  auto s = RequiredScopes(Check(
      "/auth/v1/check?scope=files:write",
      {{"X-Required-Scope", "products:read, orders:write"}, {"X-Required-Scope", "keys:read"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(
      *s, (std::vector<std::string>{"products:read", "orders:write", "keys:read", "files:write"}));
  // Envoy's query is the original request's, never a requirement.
  s = RequiredScopes(Check("/auth/v1/check/v1/x?scope=files:write", {}));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
}

TEST(RequiredScopes, RefusesMalformedScopes) {
  for (const char* bad : {"products", "products:admin", ":read", "Products:read", "a:read\r\n"}) {
    auto s = RequiredScopes(Check("/auth/v1/check", {{"X-Required-Scope", bad}}));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().problem_code, "invalid_required_scope");
  }
}

TEST(IdentityHeaders, SpellsOutTheIdentityAndEveryScopeOfFullAccess) {
  control::Tenant t;
  t.id = "ten_1";
  t.slug = "acme";
  t.plan = "pro";
  http::AuthFacts auth;
  auth.mode = "app_secret";
  auth.all_scopes = true;
  http::Headers out;
  ASSERT_TRUE(AddIdentityHeaders(t, auth, out));
  EXPECT_EQ(out.Get("X-Tenant-Id"), "ten_1");
  EXPECT_EQ(out.Get("X-Tenant-Slug"), "acme");
  EXPECT_EQ(out.Get("X-Tenant-Plan"), "pro");
  EXPECT_EQ(out.Get("X-Auth-Mode"), "app_secret");
  EXPECT_FALSE(out.Get("X-Auth-Key-Id"));
  EXPECT_NE(out.Get("X-Scopes")->find("products:write"), std::string_view::npos);
}

TEST(IdentityHeaders, NeverEmitsAValueThatCouldEndAHeaderLine) {
  control::Tenant t;
  t.id = "ten_1";
  t.slug = "acme\r\nX-Injected: 1";
  t.plan = "free";
  http::AuthFacts auth;
  auth.mode = "api_key";
  auth.scopes = {"products:read"};
  http::Headers out;
  const base::Status st = AddIdentityHeaders(t, auth, out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, base::ErrorCode::kInternal);
  EXPECT_TRUE(out.items().empty());
}

}  // namespace
}  // namespace tenantd::forward_auth
