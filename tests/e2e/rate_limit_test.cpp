// Rate limits through the real binary (api.md §7): plan limits with exact
// admission, Retry-After and rollover, RateLimit-* headers on every tenant
// answer, and the failed-authentication throttle. Each test starts its own
// server with tiny limits and a short window, and moves the server's clock
// (support/server_clock.h) rather than sleeping.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "support/http_client.h"
#include "support/problem.h"
#include "support/server_clock.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

struct Tenant {
  std::string id, app_key, app_secret;
};

Tenant MustCreateTenant(const TestServer& server, std::string_view plan) {
  Response r = server.CreateTenant(UniqueSlug("rl"), "Rate Limited",
                                   R"("plan":")" + std::string(plan) + R"(")");
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  return {StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
          StringAt(body, "credentials.app_secret")};
}

Headers ModeA(const Tenant& t) {
  return {{"X-App-Key", t.app_key}, {"X-App-Secret", t.app_secret}};
}

Headers WrongSecret(const Tenant& t) {
  return {{"X-App-Key", t.app_key}, {"X-App-Secret", "not-the-secret"}};
}

// A server whose `tiny` plan allows `limit` requests per `window_ms`.
::testing::AssertionResult StartWithTinyPlan(TestServer& server, int limit, int window_ms,
                                             Env env = {}) {
  const auto config = server.root() / "tenantd.toml";
  WriteFile(config, "[plans.tiny]\nrequests_per_minute = " + std::to_string(limit) +
                        "\nauth_requests_per_minute = 100\n");
  env.emplace_back("TENANTD_RATE_LIMIT_WINDOW_MS", std::to_string(window_ms));
  return server.Start({.args = {"--config", config.string()}, .env = env});
}

::testing::AssertionResult HasRateLimitHeaders(const Response& r) {
  for (const char* name : {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                           "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}) {
    if (!r.HasHeader(name))
      return ::testing::AssertionFailure() << "no " << name << " on " << r.Describe();
  }
  if (r.Header("RateLimit-Limit") != r.Header("X-RateLimit-Limit") ||
      r.Header("RateLimit-Remaining") != r.Header("X-RateLimit-Remaining") ||
      r.Header("RateLimit-Reset") != r.Header("X-RateLimit-Reset")) {
    return ::testing::AssertionFailure() << "the two spellings differ on " << r.Describe();
  }
  return ::testing::AssertionSuccess();
}

TEST(RateLimit, PlanLimitAdmitsExactlyNThenAnswers429WithRetryAfterAndRollsOver) {
  TestServer server;
  ServerClock clock;
  // 3 a window of 3 s: one request a second sustained.
  ASSERT_TRUE(StartWithTinyPlan(server, 3, 3000, clock.env()));
  const Tenant t = MustCreateTenant(server, "tiny");

  for (int i = 0; i < 3; ++i) {
    Response r = server.Request("GET", "/v1/whoami", ModeA(t));
    ASSERT_EQ(r.status, 200) << i << " " << r.Describe();
    EXPECT_TRUE(HasRateLimitHeaders(r));
    EXPECT_EQ(r.Header("RateLimit-Limit"), "3");
    EXPECT_EQ(r.Header("RateLimit-Remaining"), std::to_string(2 - i));
    EXPECT_FALSE(r.HasHeader("Retry-After"));
  }
  Response refused = server.Request("GET", "/v1/whoami", ModeA(t));
  EXPECT_TRUE(IsProblem(refused, 429, "rate_limited"));
  EXPECT_TRUE(HasRateLimitHeaders(refused));
  EXPECT_EQ(refused.Header("RateLimit-Remaining"), "0");
  EXPECT_EQ(refused.Header("RateLimit-Reset"), "3");
  EXPECT_EQ(refused.Header("Retry-After"), "1");

  // Retry-After is right: one second later exactly one more is admitted.
  clock.Advance(std::chrono::milliseconds(1050));
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 200);
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 429);

  // A window after the last admission the whole limit is back, no more.
  clock.Advance(std::chrono::milliseconds(3050));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 200) << i;
  }
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 429);

  // Tenants are apart, and /metrics counts the refusals by limit.
  const Tenant other = MustCreateTenant(server, "tiny");
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(other)).status, 200);
  const std::string metrics = server.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("tenantd_rate_limited_total{kind=\"plan\"} 3\n"), std::string::npos)
      << metrics;
}

TEST(RateLimit, HeadersAreOnEveryTenantAnswerAndOnNoPublicOne) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(server, 100, 60000));
  const Tenant t = MustCreateTenant(server, "tiny");
  Headers json_a = ModeA(t);
  json_a.push_back({"Content-Type", "application/json"});
  Response created = server.Request("POST", "/v1/api-keys", json_a,
                                    R"({"name":"ro","type":"restricted","environment":"test",)"
                                    R"("scopes":["products:read"]})");
  ASSERT_EQ(created.status, 201) << created.Describe();
  EXPECT_TRUE(HasRateLimitHeaders(created));
  const Headers restricted = {
      {"Authorization", "Bearer " + std::string(created.Json().at("secret").as_string())}};

  const Response answers[] = {
      server.Request("GET", "/v1/whoami", ModeA(t)),                // 200
      server.Request("GET", "/v1/products/prd_nope", ModeA(t)),     // 404
      server.Request("GET", "/v1/api-keys", restricted),            // 403 scope
      server.Request("GET", "/v1/whoami", WrongSecret(t)),          // 401
      server.Request("GET", "/v1/whoami"),                          // 401 missing
      server.Request("POST", "/v1/products", json_a, "{not json"),  // 400
  };
  const int statuses[] = {200, 404, 403, 401, 401, 400};
  for (std::size_t i = 0; i < std::size(answers); ++i) {
    EXPECT_EQ(answers[i].status, statuses[i]) << answers[i].Describe();
    EXPECT_TRUE(HasRateLimitHeaders(answers[i])) << i;
  }
  // Authenticated answers report the tenant's budget; refused
  // authentications the client's failed-authentication budget.
  EXPECT_EQ(answers[0].Header("RateLimit-Limit"), "100");
  EXPECT_EQ(answers[3].Header("RateLimit-Limit"), "1000000");

  EXPECT_FALSE(server.Request("GET", "/healthz").HasHeader("RateLimit-Limit"));
}

TEST(RateLimit, FailedAuthThrottleTripsAtTheCountBeforeAnySecretCheckAndIgnoresSuccesses) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(
      server, 1000, 60000,
      {{"TENANTD_AUTH_FAILURES_PER_IP", "3"}, {"TENANTD_AUTH_FAILURES_PER_KEY", "100"}}));
  const Tenant t = MustCreateTenant(server, "tiny");

  // Successes in between do not count, and do not reset the count either.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 200) << i;
    Response failed = server.Request("GET", "/v1/whoami", WrongSecret(t));
    EXPECT_TRUE(IsProblem(failed, 401, "invalid_credentials")) << i;
    EXPECT_EQ(failed.Header("RateLimit-Limit"), "3");
    EXPECT_EQ(failed.Header("RateLimit-Remaining"), std::to_string(2 - i));
  }
  // Now even the right secret is refused, before it is checked.
  Response refused = server.Request("GET", "/v1/whoami", ModeA(t));
  EXPECT_TRUE(IsProblem(refused, 429, "rate_limited"));
  EXPECT_TRUE(HasRateLimitHeaders(refused));
  EXPECT_EQ(refused.Header("Retry-After"), "20");  // 3 a minute: one every 20 s
  Response api_key = server.Request("GET", "/v1/whoami", {{"Authorization", "Bearer sk_test_x"}});
  EXPECT_TRUE(IsProblem(api_key, 429, "rate_limited"));
  // A request carrying no credentials is not a guess: it gets its 401.
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami"), 401, "missing_credentials"));

  const std::string metrics = server.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("tenantd_rate_limited_total{kind=\"failed_auth_ip\"} 2\n"),
            std::string::npos)
      << metrics;
}

TEST(RateLimit, FailedAuthThrottleCountsPerPresentedKey) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(
      server, 1000, 60000,
      {{"TENANTD_AUTH_FAILURES_PER_IP", "100"}, {"TENANTD_AUTH_FAILURES_PER_KEY", "2"}}));
  const Tenant guessed = MustCreateTenant(server, "tiny");
  const Tenant bystander = MustCreateTenant(server, "tiny");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(server.Request("GET", "/v1/whoami", WrongSecret(guessed)).status, 401) << i;
  }
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami", ModeA(guessed)), 429, "rate_limited"));
  // The same IP with another key is not throttled by the guessed key's count.
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(bystander)).status, 200);
}

// Issue 12, defect 7: wrong admin tokens were neither counted nor
// throttled. They count against the address like tenant failures.
TEST(RateLimit, WrongAdminTokensAreCountedAndThrottledPerAddress) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(server, 1000, 60000, {{"TENANTD_AUTH_FAILURES_PER_IP", "3"}}));
  const Tenant t = MustCreateTenant(server, "tiny");
  const Headers wrong = {{"Authorization", "Bearer not-the-admin-token-0000"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        IsProblem(server.Request("GET", "/admin/v1/tenants", wrong), 401, "invalid_credentials"))
        << i;
  }
  // Spent: the right token is refused before it is checked, and so is a
  // tenant's secret from the same address.
  Response refused = server.Admin("GET", "/admin/v1/tenants");
  EXPECT_TRUE(IsProblem(refused, 429, "rate_limited"));
  EXPECT_TRUE(HasRateLimitHeaders(refused));
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami", ModeA(t)), 429, "rate_limited"));
  // No token at all is not a guess.
  EXPECT_TRUE(IsProblem(server.Request("GET", "/admin/v1/tenants"), 401, "missing_credentials"));
  const std::string metrics = server.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("tenantd_auth_failures_total{reason=\"invalid_credentials\"} 3\n"),
            std::string::npos)
      << metrics;
}

// Issue 12, defect 8: behind a proxy every client shares the proxy's
// address; with TENANTD_TRUSTED_PROXIES the forwarding header names them.
TEST(RateLimit, BehindATrustedProxyEachClientHasItsOwnFailedAuthBudget) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(
      server, 1000, 60000,
      {{"TENANTD_AUTH_FAILURES_PER_IP", "2"}, {"TENANTD_TRUSTED_PROXIES", "127.0.0.0/8"}}));
  const Tenant t = MustCreateTenant(server, "tiny");
  auto from = [](const std::string& forwarded, Headers h) {
    h.push_back({"X-Forwarded-For", forwarded});
    return h;
  };
  // The bad client forged a hop; the proxy appended the address it saw.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(server.Request("GET", "/v1/whoami", from("198.51.100.1, 203.0.113.5", WrongSecret(t)))
                  .status,
              401);
  }
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami", from("203.0.113.5", ModeA(t))), 429,
                        "rate_limited"));
  // Another client of the same proxy is not locked out, whatever the forger wrote.
  Response other = server.Request("GET", "/v1/whoami", from("198.51.100.1", ModeA(t)));
  ASSERT_EQ(other.status, 200) << other.Describe();
  // Its address is the session's and the access log's.
  const std::string cookie =
      other.Header("Set-Cookie").substr(0, other.Header("Set-Cookie").find(';'));
  Response listed = server.Request("GET", "/v1/session", {{"Cookie", cookie}});
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  EXPECT_EQ(StringAt(listed.Json(), "session.ip"), "198.51.100.1");
  EXPECT_TRUE(server.WaitForLogLine("ip=198.51.100.1 "));
}

TEST(RateLimit, WithoutTrustedProxiesForwardingHeadersAreIgnored) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(server, 1000, 60000, {{"TENANTD_AUTH_FAILURES_PER_IP", "2"}}));
  const Tenant t = MustCreateTenant(server, "tiny");
  for (const char* forged : {"203.0.113.1", "203.0.113.2"}) {
    Headers h = WrongSecret(t);
    h.push_back({"X-Forwarded-For", forged});
    h.push_back({"Forwarded", std::string("for=") + forged});
    EXPECT_EQ(server.Request("GET", "/v1/whoami", h).status, 401);
  }
  Headers fresh = ModeA(t);
  fresh.push_back({"X-Forwarded-For", "203.0.113.3"});
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami", fresh), 429, "rate_limited"));
}

TEST(RateLimit, TenantsTakeConfiguredPlansOnly) {
  TestServer server;
  ASSERT_TRUE(StartWithTinyPlan(server, 10, 60000));
  EXPECT_EQ(server.CreateTenant(UniqueSlug("rl"), "Tiny", R"("plan":"tiny")").status, 201);
  Response unknown = server.CreateTenant(UniqueSlug("rl"), "Gold", R"("plan":"gold")");
  EXPECT_TRUE(IsProblem(unknown, 422, "validation_failed"));
  EXPECT_NE(unknown.body.find("free, pro, enterprise, tiny"), std::string::npos) << unknown.body;
}

}  // namespace
}  // namespace tenantd::test
