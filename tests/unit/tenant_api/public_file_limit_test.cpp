#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "await.h"
#include "base/clock.h"
#include "http/message.h"
#include "http/stage.h"
#include "ratelimit/in_process_limiter.h"
#include "ratelimit/tenant_limits.h"
#include "tenant_api/file_handlers.h"

namespace tenantd::tenant_api {
namespace {

using test::Await;

http::Request PublicGet(std::string ip) {
  http::Request req;
  req.method = "GET";
  req.target = "/public/acme/fil_01JD0000000000000000000000/a.png";
  req.remote_ip = std::move(ip);
  return req;
}

std::optional<http::Response> Check(const PublicFileLimit& stage, std::string ip) {
  http::Request req = PublicGet(std::move(ip));
  http::RequestContext ctx;
  ctx.request_id = "req_test";
  return Await(stage.OnRequest(req, ctx));
}

struct Limits {
  ratelimit::InProcessLimiter local;
  ratelimit::TenantLimits limits{ratelimit::TenantLimitsOptions{}, local};
};

TEST(PublicFileLimit, RefusesPastTheRatePerAddressWithRetryAfter) {
  Limits l;
  base::TestClock clock;
  const PublicFileLimit stage(&l.limits, 2, clock);
  EXPECT_FALSE(Check(stage, "192.0.2.1"));
  EXPECT_FALSE(Check(stage, "192.0.2.1"));
  const std::optional<http::Response> refused = Check(stage, "192.0.2.1");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_NE(refused->body.find("\"rate_limited\""), std::string::npos) << refused->body;
  EXPECT_EQ(refused->headers.Get("Retry-After"), std::optional<std::string_view>("1800"));
  EXPECT_FALSE(Check(stage, "192.0.2.2"));  // another address
  clock.Advance(std::chrono::minutes(30));  // one interval: one more request
  EXPECT_FALSE(Check(stage, "192.0.2.1"));
  EXPECT_TRUE(Check(stage, "192.0.2.1"));
}

TEST(PublicFileLimit, ZeroOrNoLimiterCountsNothing) {
  Limits l;
  base::TestClock clock;
  const PublicFileLimit off(&l.limits, 0, clock);
  const PublicFileLimit none(nullptr, 1, clock);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(Check(off, "192.0.2.1")) << i;
    ASSERT_FALSE(Check(none, "192.0.2.1")) << i;
  }
  // Nothing was counted for the address meanwhile.
  const PublicFileLimit one(&l.limits, 1, clock);
  EXPECT_FALSE(Check(one, "192.0.2.1"));
  EXPECT_TRUE(Check(one, "192.0.2.1"));
}

}  // namespace
}  // namespace tenantd::tenant_api
