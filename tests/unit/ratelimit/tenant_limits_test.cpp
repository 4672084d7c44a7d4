#include "ratelimit/tenant_limits.h"

#include <gtest/gtest.h>

#include "await.h"
#include "http/message.h"
#include "http/stage.h"
#include "ratelimit/in_process_limiter.h"

namespace tenantd::ratelimit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;
using test::Await;

http::Request Get(std::string target, std::string method = "GET") {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.remote_ip = "192.0.2.7";
  return req;
}

TenantLimitsOptions SmallPlans() {
  TenantLimitsOptions options;
  config::Plan& free = options.plans.Upsert("free");
  free.requests_per_minute = 5;
  free.credential_requests_per_minute = 3;
  free.auth_requests_per_minute = 2;
  options.window = std::chrono::milliseconds(60000);
  options.failures_per_ip = 3;
  options.failures_per_key = 5;
  return options;
}

std::string HeaderOf(const http::Headers& h, std::string_view name) {
  return std::string(h.Get(name).value_or("<absent>"));
}

TEST(TenantLimits, FailedAuthKeysAreTheAddressAndThePresentedKey) {
  const FailedAuthKeys both = TenantLimits::ForCredentials("192.0.2.7", "ak_123");
  EXPECT_EQ(both.ip, "fa:ip:192.0.2.7");
  EXPECT_EQ(both.key, "fa:key:ak_123");
  // A secret without its key: the address's count only.
  EXPECT_EQ(TenantLimits::ForCredentials("192.0.2.7", "").key, "");
  // A verify call's request has no address: the key's count only.
  EXPECT_EQ(TenantLimits::ForCredentials("", "sk_live_abcd").ip, "");
  EXPECT_EQ(TenantLimits::AddressOnly("192.0.2.7").key, "");
}

TEST(TenantLimits, FailedAuthTripsAtTheConfiguredCountPerIp) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  const FailedAuthKeys keys{"fa:ip:1", "fa:key:a"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Await(limits.CheckFailedAuth(keys, now))->decision.allowed) << i;
    Await(limits.CountFailedAuth(keys, now));
  }
  const Verdict v = Await(limits.CheckFailedAuth(keys, now)).value();
  EXPECT_FALSE(v.decision.allowed);
  EXPECT_EQ(v.decision.limit, 3u);
  EXPECT_EQ(v.decision.retry_after, seconds(20));
  // Another IP with the same key still gets in: the key allows 5.
  EXPECT_TRUE(Await(limits.CheckFailedAuth({"fa:ip:2", "fa:key:a"}, now))->decision.allowed);
  EXPECT_EQ(Await(limits.FailedAuthBudget("1", now)).remaining, 0u);
  EXPECT_EQ(Await(limits.FailedAuthBudget("3", now)).remaining, 3u);
}

// POST /auth/v1/verify builds a request without an address: its failures
// count per key only, so a backend's address is never throttled.
TEST(TenantLimits, ARequestWithoutAnAddressIsCountedPerKeyOnly) {
  const std::optional<FailedAuthKeys> keys = TenantLimits::ForCredentials("", "sk_live_abcd");

  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  for (int i = 0; i < 5; ++i) {  // past the per-IP 3, up to the per-key 5
    EXPECT_TRUE(Await(limits.CheckFailedAuth(*keys, now))->decision.allowed) << i;
    Await(limits.CountFailedAuth(*keys, now));
  }
  const Verdict v = Await(limits.CheckFailedAuth(*keys, now)).value();
  EXPECT_FALSE(v.decision.allowed);
  EXPECT_EQ(v.decision.limit, 5u);
  // The tenant's own charges are unaffected...
  const http::Request verify = Get("/auth/v1/verify", "POST");
  EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "api_key:key_1", verify, nullptr, now))
                  ->verdict.decision.allowed);
  // ...but a request presenting that key is refused when it is counted too
  // (a count reached between its gate and its admission).
  const Admission gated =
      Await(limits.Admit("free", "ten_1", "api_key:key_1", verify, &*keys, now)).value();
  EXPECT_FALSE(gated.verdict.decision.allowed);
  EXPECT_TRUE(gated.throttled);
}

TEST(TenantLimits, FailedAuthTripsPerKeyAcrossIps) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  for (int i = 0; i < 5; ++i) {
    Await(limits.CountFailedAuth({"fa:ip:" + std::to_string(i), "fa:key:a"}, now));
  }
  const Verdict v = Await(limits.CheckFailedAuth({"fa:ip:9", "fa:key:a"}, now)).value();
  EXPECT_FALSE(v.decision.allowed);
  EXPECT_EQ(v.refused_by, 1u);
  std::string metrics;
  limits.Render(metrics);
  EXPECT_NE(metrics.find("tenantd_rate_limited_total{kind=\"failed_auth_key\"} 1\n"),
            std::string::npos)
      << metrics;
}

TEST(TenantLimits, PublicFilesAreCountedPerIpAnHour) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) {
    const Decision d = Await(limits.AdmitPublicFile("192.0.2.1", 3, now)).value();
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, 2u - i);
  }
  const Decision refused = Await(limits.AdmitPublicFile("192.0.2.1", 3, now)).value();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1200));  // an hour / 3
  // Another address has its own budget; the tenant limits are untouched.
  EXPECT_TRUE(Await(limits.AdmitPublicFile("192.0.2.2", 3, now))->allowed);
  EXPECT_TRUE(Await(limits.CheckFailedAuth({"fa:ip:192.0.2.1", ""}, now))->decision.allowed);
  // One interval later the next request conforms again.
  EXPECT_TRUE(Await(limits.AdmitPublicFile("192.0.2.1", 3, now + seconds(1200)))->allowed);
  std::string metrics;
  limits.Render(metrics);
  EXPECT_NE(metrics.find("tenantd_rate_limited_total{kind=\"public_file_ip\"} 1\n"),
            std::string::npos)
      << metrics;
}

TEST(TenantLimits, AdmitCountsThePlanAndTheCredential) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  const http::Request read = Get("/v1/products");
  // The credential allows 3 of the tenant's 5.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "api_key:k1", read, nullptr, now))
                    ->verdict.decision.allowed);
  }
  const Verdict by_key =
      Await(limits.Admit("free", "ten_1", "api_key:k1", read, nullptr, now)).value().verdict;
  EXPECT_FALSE(by_key.decision.allowed);
  EXPECT_EQ(by_key.decision.limit, 3u);
  // Another credential of the tenant uses the rest of the plan's 5.
  EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "api_key:k2", read, nullptr, now))
                  ->verdict.decision.allowed);
  const Verdict last =
      Await(limits.Admit("free", "ten_1", "api_key:k2", read, nullptr, now)).value().verdict;
  EXPECT_TRUE(last.decision.allowed);
  EXPECT_EQ(last.decision.remaining, 0u);
  EXPECT_EQ(last.decision.limit, 5u);
  const Verdict by_plan =
      Await(limits.Admit("free", "ten_1", "api_key:k3", read, nullptr, now)).value().verdict;
  EXPECT_FALSE(by_plan.decision.allowed);
  EXPECT_EQ(by_plan.refused_by, 0u);
}

TEST(TenantLimits, AuthRoutesHaveTheirOwnStricterTier) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const auto now = Clock::now();
  const http::Request sign_in = Get("/v1/session", "POST");
  EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "app:ten_1", sign_in, nullptr, now))
                  ->verdict.decision.allowed);
  EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "app:ten_2", sign_in, nullptr, now))
                  ->verdict.decision.allowed);
  const Verdict v =
      Await(limits.Admit("free", "ten_1", "app:ten_3", sign_in, nullptr, now)).value().verdict;
  EXPECT_FALSE(v.decision.allowed);
  EXPECT_EQ(v.decision.limit, 2u);
  EXPECT_TRUE(Await(limits.Admit("free", "ten_1", "app:ten_3", Get("/v1/whoami"), nullptr, now))
                  ->verdict.decision.allowed);
}

TEST(TenantLimits, UnknownPlanGetsTheFreeLimits) {
  InProcessLimiter limiter;
  TenantLimits limits(SmallPlans(), limiter);
  const Verdict v =
      Await(limits.Admit("retired", "ten_1", "app:ten_1", Get("/v1/whoami"), nullptr, Clock::now()))
          .value()
          .verdict;
  EXPECT_EQ(v.decision.limit, 3u);  // free's credential limit is the tighter
}

TEST(TenantLimits, AuthRouteGroup) {
  EXPECT_TRUE(TenantLimits::IsAuthRoute(Get("/v1/session", "POST")));
  EXPECT_TRUE(TenantLimits::IsAuthRoute(Get("/v1/api-keys", "POST")));
  EXPECT_TRUE(TenantLimits::IsAuthRoute(Get("/v1/api-keys/key_1/rotate", "POST")));
  EXPECT_TRUE(TenantLimits::IsAuthRoute(Get("/v1/api-keys/key_1", "DELETE")));
  EXPECT_TRUE(TenantLimits::IsAuthRoute(Get("/v1/sessions/ses_1", "DELETE")));
  EXPECT_FALSE(TenantLimits::IsAuthRoute(Get("/v1/session")));
  EXPECT_FALSE(TenantLimits::IsAuthRoute(Get("/v1/api-keys?limit=5")));
  EXPECT_FALSE(TenantLimits::IsAuthRoute(Get("/v1/sessions")));
  EXPECT_FALSE(TenantLimits::IsAuthRoute(Get("/v1/products", "POST")));
}

TEST(RateLimitedResponse, Is429RateLimitedWithTheDecisionsHeaders) {
  const Decision refused{false, 20, 0, seconds(60), std::chrono::milliseconds(1500)};
  const http::Response res = RateLimitedResponse(refused, "Slow down.", "req_1");
  EXPECT_EQ(res.status, 429);
  EXPECT_NE(res.body.find("\"rate_limited\""), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("Slow down."), std::string::npos) << res.body;
  EXPECT_EQ(HeaderOf(res.headers, "Retry-After"), "2");
  EXPECT_EQ(HeaderOf(res.headers, "RateLimit-Limit"), "20");

  // What an answer reports later, from the facts kept in the context.
  const http::RateLimitFacts facts =
      FactsOf(Decision{true, 20, 7, std::chrono::milliseconds(2100), {}});
  EXPECT_EQ(facts.reset_seconds, 3u);  // rounded up
  http::Headers later;
  AddRateLimitHeaders(facts, later);
  EXPECT_EQ(HeaderOf(later, "RateLimit-Remaining"), "7");
  EXPECT_EQ(HeaderOf(later, "RateLimit-Reset"), "3");
  EXPECT_EQ(HeaderOf(later, "Retry-After"), "<absent>");
}

TEST(AddRateLimitHeaders, WritesBothSpellingsAndRetryAfterOnRefusal) {
  http::Headers allowed;
  AddRateLimitHeaders(Decision{true, 600, 599, std::chrono::milliseconds(100), {}}, allowed);
  EXPECT_EQ(HeaderOf(allowed, "RateLimit-Limit"), "600");
  EXPECT_EQ(HeaderOf(allowed, "RateLimit-Remaining"), "599");
  EXPECT_EQ(HeaderOf(allowed, "RateLimit-Reset"), "1");  // rounded up
  EXPECT_EQ(HeaderOf(allowed, "X-RateLimit-Limit"), "600");
  EXPECT_EQ(HeaderOf(allowed, "X-RateLimit-Remaining"), "599");
  EXPECT_EQ(HeaderOf(allowed, "X-RateLimit-Reset"), "1");
  EXPECT_EQ(HeaderOf(allowed, "Retry-After"), "<absent>");

  http::Headers refused;
  AddRateLimitHeaders(Decision{false, 3, 0, seconds(60), std::chrono::milliseconds(20001)},
                      refused);
  EXPECT_EQ(HeaderOf(refused, "Retry-After"), "21");
  EXPECT_EQ(HeaderOf(refused, "RateLimit-Remaining"), "0");
  EXPECT_EQ(HeaderOf(refused, "RateLimit-Reset"), "60");
}

}  // namespace
}  // namespace tenantd::ratelimit
