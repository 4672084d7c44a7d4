// Sessions and rate limits shared through a real redis-server (api.md §7,
// docs/operations.md "Several nodes"): two tenantd processes on one Redis
// share one limit exactly and one set of sessions, Redis going away and
// coming back, REDIS_URL's password kept out of every output, and
// revocations seen by the other process within 1 s.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/problem.h"
#include "support/redis_server.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct Tenant {
  std::string id, app_key, app_secret;
};

Tenant MustCreateTenant(const TestServer& server) {
  Response r = server.CreateTenant(UniqueSlug("rr"), "Shared", R"("plan":"tiny")");
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  return {StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
          StringAt(body, "credentials.app_secret")};
}

Headers ModeA(const Tenant& t) {
  return {{"X-App-Key", t.app_key}, {"X-App-Secret", t.app_secret}};
}

// Two tenantd processes on one data directory (one control store) and one
// Redis: two nodes of one deployment. The `tiny` plan allows `limit` a minute.
class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    config_ = first_.root() / "tenantd.toml";
    WriteFile(config_, "[plans.tiny]\nrequests_per_minute = 20\n");
    ASSERT_TRUE(first_.Start(Options()));
    ServerOptions second = Options();
    second.data_dir = first_.data_dir();
    second.set_admin_token = false;
    second.env.emplace_back("TENANTD_ADMIN_TOKEN", first_.admin_token());
    ASSERT_TRUE(second_.Start(second));
  }

  ServerOptions Options() const {
    // A failed-authentication budget below the plan's 20, so an answer
    // that reported it instead of the plan's would show.
    return {.args = {"--config", config_.string()},
            .env = {{"REDIS_URL", redis_.url()}, {"TENANTD_AUTH_FAILURES_PER_IP", "15"}}};
  }

  RedisServer redis_;
  TestServer first_, second_;
  std::filesystem::path config_;
};

TEST_F(TwoNodes, ShareOneLimitExactlyWithRequestsAlternating) {
  const Tenant t = MustCreateTenant(first_);
  int admitted = 0;
  for (int i = 0; i < 30; ++i) {
    const TestServer& node = i % 2 == 0 ? first_ : second_;
    Response r = node.Request("GET", "/v1/whoami", ModeA(t));
    if (r.status == 200) {
      // One budget: each answer counts down from the other node's last.
      // It is the plan's, not the failed-authentication count checked in
      // the same round trip.
      EXPECT_EQ(r.Header("RateLimit-Limit"), "20") << i;
      EXPECT_EQ(r.Header("RateLimit-Remaining"), std::to_string(19 - admitted)) << i;
      ++admitted;
    } else {
      EXPECT_TRUE(IsProblem(r, 429, "rate_limited")) << i;
      EXPECT_EQ(r.Header("RateLimit-Remaining"), "0");
      EXPECT_FALSE(r.Header("Retry-After").empty());
    }
  }
  EXPECT_EQ(admitted, 20);  // not 2 x 20: exact, no over-admission at all
}

TEST_F(TwoNodes, AKeyRevokedOnOneNodeIsRefusedByTheOtherWithinOneSecond) {
  const Tenant t = MustCreateTenant(first_);
  Headers json_a = ModeA(t);
  json_a.push_back({"Content-Type", "application/json"});
  Response created = first_.Request("POST", "/v1/api-keys", json_a, R"({"name":"shared"})");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const std::string key_id = StringAt(created.Json(), "api_key.id");
  const Headers bearer = {
      {"Authorization", "Bearer " + std::string(created.Json().at("secret").as_string())}};
  ASSERT_EQ(second_.Request("GET", "/v1/whoami", bearer).status, 200);

  ASSERT_EQ(first_.Request("DELETE", "/v1/api-keys/" + key_id, ModeA(t)).status, 200);
  const auto revoked = steady_clock::now();
  EXPECT_TRUE(PollUntil([&] { return second_.Request("GET", "/v1/whoami", bearer).status == 401; },
                        milliseconds(1000)));
  EXPECT_LE(steady_clock::now() - revoked, milliseconds(1000));
  EXPECT_TRUE(IsProblem(second_.Request("GET", "/v1/whoami", bearer), 401, "key_revoked"));
}

// The "sid=…" part of an answer's Set-Cookie ("" when none).
std::string SessionCookie(const Response& r) {
  const std::string set = r.Header("Set-Cookie");
  return set.substr(0, set.find(';'));
}

TEST_F(TwoNodes, ShareSessionsAndASessionEndedOnOneNodeEndsOnTheOther) {
  const Tenant t = MustCreateTenant(first_);
  Response signed_in = first_.Request("GET", "/v1/whoami", ModeA(t));
  ASSERT_EQ(signed_in.status, 200);
  const std::string cookie = SessionCookie(signed_in);
  ASSERT_FALSE(cookie.empty());

  Response elsewhere = second_.Request("GET", "/v1/whoami", {{"Cookie", cookie}});
  ASSERT_EQ(elsewhere.status, 200) << elsewhere.Describe();
  EXPECT_EQ(StringAt(elsewhere.Json(), "auth.mode"), "session");
  EXPECT_EQ(StringAt(elsewhere.Json(), "tenant.id"), t.id);
  Response listed = second_.Request("GET", "/v1/sessions", ModeA(t));
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  EXPECT_GE(listed.Json().at("data").as_array().size(), 1u);

  ASSERT_EQ(second_.Request("DELETE", "/v1/session", {{"Cookie", cookie}}).status / 100, 2);
  EXPECT_TRUE(IsProblem(first_.Request("GET", "/v1/whoami", {{"Cookie", cookie}}), 401,
                        "missing_credentials"));
}

// Issue 12, defect 5, with sessions in Redis: rotating the app secret out
// on one node ends the sessions it started, on both nodes.
TEST_F(TwoNodes, ASessionEndsOnEveryNodeWhenItsAppSecretIsRotatedOut) {
  const Tenant t = MustCreateTenant(first_);
  const std::string cookie = SessionCookie(first_.Request("GET", "/v1/whoami", ModeA(t)));
  ASSERT_FALSE(cookie.empty());
  ASSERT_EQ(second_.Request("GET", "/v1/whoami", {{"Cookie", cookie}}).status, 200);
  Response rotated = first_.Admin("POST", "/admin/v1/tenants/" + t.id + "/credentials/rotate",
                                  R"({"grace_seconds":0})");
  ASSERT_EQ(rotated.status, 200) << rotated.Describe();
  EXPECT_TRUE(PollUntil(
      [&] {
        return second_.Request("GET", "/v1/whoami", {{"Cookie", cookie}}).status == 401;
      },
      milliseconds(1000)));
  EXPECT_TRUE(IsProblem(first_.Request("GET", "/v1/whoami", {{"Cookie", cookie}}), 401,
                        "missing_credentials"));
  const Tenant renewed{t.id, t.app_key, StringAt(rotated.Json(), "credentials.app_secret")};
  const std::string fresh = SessionCookie(first_.Request("GET", "/v1/whoami", ModeA(renewed)));
  EXPECT_EQ(second_.Request("GET", "/v1/whoami", {{"Cookie", fresh}}).status, 200);
}

TEST_F(TwoNodes, RedisGoneMeansLocalLimitsAndReadyz503ThenBothResumeByThemselves) {
  const Tenant t = MustCreateTenant(first_);
  Response ready = first_.Request("GET", "/readyz");
  ASSERT_EQ(ready.status, 200) << ready.Describe();
  EXPECT_EQ(StringAt(ready.Json(), "checks.redis"), "ok");

  const std::string cookie = SessionCookie(first_.Request("GET", "/v1/whoami", ModeA(t)));
  ASSERT_FALSE(cookie.empty());

  redis_.Kill();
  // Tenant requests go on, limited by each process alone (the documented
  // bound: at most one full limit per process), with their headers.
  Response served = first_.Request("GET", "/v1/whoami", ModeA(t));
  EXPECT_EQ(served.status, 200) << served.Describe();
  EXPECT_EQ(served.Header("RateLimit-Limit"), "20");
  // A cookie alone cannot be checked: 503; credentials still work, without
  // a session.
  Response cookie_only = second_.Request("GET", "/v1/whoami", {{"Cookie", cookie}});
  EXPECT_TRUE(IsProblem(cookie_only, 503, "session_store_unavailable"));
  EXPECT_TRUE(cookie_only.HasHeader("RateLimit-Limit"));
  EXPECT_TRUE(SessionCookie(served).empty());  // served without a session
  Response not_ready = first_.Request("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(StringAt(not_ready.Json(), "checks.redis"), "ok");
  EXPECT_NE(first_.Request("GET", "/metrics").body.find("tenantd_redis_up 0\n"), std::string::npos);

  ASSERT_TRUE(redis_.Start());  // same port, empty: as after a crash
  EXPECT_TRUE(PollUntil([&] { return first_.Request("GET", "/readyz").status == 200; },
                        milliseconds(5000)));
  EXPECT_TRUE(PollUntil([&] { return second_.Request("GET", "/readyz").status == 200; },
                        milliseconds(5000)));
  // Shared again: the two nodes count down one budget. (The restarted
  // Redis is empty, so the session is gone: it is as if never started.)
  EXPECT_TRUE(IsProblem(second_.Request("GET", "/v1/whoami", {{"Cookie", cookie}}), 401,
                        "missing_credentials"));
  Response a = first_.Request("GET", "/v1/whoami", ModeA(t));
  Response b = second_.Request("GET", "/v1/whoami", ModeA(t));
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(std::stoi(b.Header("RateLimit-Remaining")),
            std::stoi(a.Header("RateLimit-Remaining")) - 1);
}

TEST(RedisRateLimit, FailedAuthCountsAreSharedByNodes) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  const Env env = {{"REDIS_URL", redis.url()},
                   {"TENANTD_AUTH_FAILURES_PER_IP", "3"},
                   {"TENANTD_AUTH_FAILURES_PER_KEY", "100"}};
  TestServer a, b;
  ASSERT_TRUE(a.Start({.env = env}));
  Env b_env = env;
  b_env.emplace_back("TENANTD_ADMIN_TOKEN", a.admin_token());
  ASSERT_TRUE(b.Start({.env = b_env, .set_admin_token = false, .data_dir = a.data_dir()}));
  Response created = a.CreateTenant(UniqueSlug("rr"));
  ASSERT_EQ(created.status, 201);
  const Tenant t{StringAt(created.Json(), "tenant.id"),
                 StringAt(created.Json(), "credentials.app_key"),
                 StringAt(created.Json(), "credentials.app_secret")};
  const Headers wrong = {{"X-App-Key", t.app_key}, {"X-App-Secret", "wrong"}};

  // Three failures, spread over the nodes, reach the count of 3 ...
  EXPECT_EQ(a.Request("GET", "/v1/whoami", wrong).status, 401);
  EXPECT_EQ(b.Request("GET", "/v1/whoami", wrong).status, 401);
  EXPECT_EQ(a.Request("GET", "/v1/whoami", wrong).status, 401);
  // ... and both refuse even the right secret, also the node that did not
  // count the last one.
  Response on_b = b.Request("GET", "/v1/whoami", ModeA(t));
  EXPECT_TRUE(IsProblem(on_b, 429, "rate_limited"));
  EXPECT_EQ(on_b.Header("RateLimit-Limit"), "3");
  EXPECT_FALSE(on_b.Header("Retry-After").empty());
  EXPECT_TRUE(IsProblem(a.Request("GET", "/v1/whoami", ModeA(t)), 429, "rate_limited"));
  EXPECT_TRUE(IsProblem(b.Request("GET", "/v1/whoami", ModeA(t)), 429, "rate_limited"));
}

TEST(RedisRateLimit, FailsClosedWhenConfiguredAndRecovers) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  TestServer server;
  ASSERT_TRUE(server.Start(
      {.env = {{"REDIS_URL", redis.url()}, {"TENANTD_RATE_LIMIT_REDIS_DOWN", "closed"}}}));
  Response created = server.CreateTenant(UniqueSlug("rr"));
  ASSERT_EQ(created.status, 201);
  const Tenant t{StringAt(created.Json(), "tenant.id"),
                 StringAt(created.Json(), "credentials.app_key"),
                 StringAt(created.Json(), "credentials.app_secret")};
  ASSERT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 200);

  redis.Kill();
  Response closed = server.Request("GET", "/v1/whoami", ModeA(t));
  EXPECT_TRUE(IsProblem(closed, 503, "rate_limiter_unavailable"));
  EXPECT_TRUE(closed.HasHeader("RateLimit-Limit"));

  ASSERT_TRUE(redis.Start());
  EXPECT_TRUE(PollUntil([&] { return server.Request("GET", "/v1/whoami", ModeA(t)).status == 200; },
                        milliseconds(5000)));
}

TEST(RedisRateLimit, PasswordOfRedisUrlNeverShows) {
  // Nothing listens there: the server starts all the same, limits locally
  // and says why it is not ready, without the password.
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"REDIS_URL", "redis://tenantd:s3cret-Pa55@127.0.0.1:1/0"}}}));
  Response ready = server.Request("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("redis://tenantd:***@127.0.0.1:1/0"), std::string::npos) << ready.body;
  Response created = server.CreateTenant(UniqueSlug("rr"));
  ASSERT_EQ(created.status, 201);
  const Tenant t{"", StringAt(created.Json(), "credentials.app_key"),
                 StringAt(created.Json(), "credentials.app_secret")};
  EXPECT_EQ(server.Request("GET", "/v1/whoami", ModeA(t)).status, 200);
  const std::string metrics = server.Request("GET", "/metrics").body;
  EXPECT_EQ(metrics.find("s3cret"), std::string::npos);
  server.Stop();
  for (const std::string& out :
       {server.StdoutText(), server.StderrText(), server.LogText(), ready.body, metrics}) {
    EXPECT_EQ(out.find("s3cret-Pa55"), std::string::npos) << out;
  }
}

// One event loop and a Redis that stops answering (SIGSTOP): a request
// waiting for Redis must not hold the loop. While the cookie request waits
// (the server's tenantd_redis_commands_waiting gauge says so), /metrics and
// /healthz, served by the same and only loop, answer; a blocking Redis call
// would hold them until it failed, and would never show as waiting. The
// cookie request then gets 503 once the client gives up on Redis (200 ms),
// and service resumes by itself when Redis does.
TEST(RedisStalled, ARequestWaitingForRedisDoesNotHoldItsEventLoop) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  TestServer server;
  ASSERT_TRUE(server.Start({.args = {"--threads", "1"}, .env = {{"REDIS_URL", redis.url()}}}));
  Response created = server.CreateTenant(UniqueSlug("rs"), "Stalled");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const json::value body = created.Json();
  const Tenant t{StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
                 StringAt(body, "credentials.app_secret")};
  const std::string cookie = SessionCookie(server.Request("GET", "/v1/whoami", ModeA(t)));
  ASSERT_FALSE(cookie.empty());
  ASSERT_EQ(server.Request("GET", "/v1/whoami", {{"Cookie", cookie}}).status, 200);
  const std::string kWaitingOne = "\ntenantd_redis_commands_waiting 1\n";
  ASSERT_EQ(server.Request("GET", "/metrics").body.find(kWaitingOne), std::string::npos);

  redis.Pause();
  auto waiting = std::async(std::launch::async, [&] {
    return server.Request("GET", "/v1/whoami", {{"Cookie", cookie}});
  });
  // Ask the loop, without pause, until it reports the cookie request's
  // command waiting on Redis (or that request has been answered: failure).
  bool seen_waiting = false;
  while (!seen_waiting && waiting.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    Response metrics = server.Request("GET", "/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.Describe();
    seen_waiting = metrics.body.find(kWaitingOne) != std::string::npos;
  }
  EXPECT_TRUE(seen_waiting) << "the cookie request was answered before the loop, free, "
                               "reported it waiting on Redis";
  Response health = server.Request("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.Describe();
  EXPECT_TRUE(IsProblem(waiting.get(), 503, "session_store_unavailable"));

  redis.Resume();
  EXPECT_TRUE(PollUntil(
      [&] {
        return server.Request("GET", "/v1/whoami", {{"Cookie", cookie}}).status == 200;
      },
      std::chrono::seconds(5)));
}

}  // namespace
}  // namespace tenantd::test
