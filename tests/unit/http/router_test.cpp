#include "http/router.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tenantd::http {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/healthz", {}, nullptr);
    router_.Add("GET", "/admin/v1/tenants", {}, nullptr);
    router_.Add("POST", "/admin/v1/tenants", {}, nullptr, RouteOptions{.max_body_bytes = 4096});
    router_.Add("GET", "/admin/v1/tenants/{id}", {}, nullptr);
    router_.Add("PATCH", "/admin/v1/tenants/{id}", {}, nullptr);
    router_.Add("DELETE", "/admin/v1/tenants/{id}", {}, nullptr);
    router_.Add("PUT", "/v1/files/{bucket}/{name}", {}, nullptr);
    router_.Add("POST", "/v1/upload", {}, nullptr);
  }

  Router router_;
};

TEST_F(RouterTest, MatchesLiteralPath) {
  const RouteMatch m = router_.Find("GET", "/healthz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_EQ(m.route->pattern, "/healthz");
  EXPECT_TRUE(m.params.empty());
  EXPECT_TRUE(m.allow.empty());
  EXPECT_TRUE(m.path_exists());
  EXPECT_EQ(m.pattern_index, 0u);
}

TEST_F(RouterTest, PicksTheRouteOfTheRequestedMethod) {
  const RouteMatch m = router_.Find("POST", "/admin/v1/tenants");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "POST");
  EXPECT_EQ(m.route->options.max_body_bytes, 4096u);
}

TEST_F(RouterTest, ExtractsParameter) {
  const RouteMatch m = router_.Find("PATCH", "/admin/v1/tenants/ten_01JD");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "PATCH");
  EXPECT_EQ(m.route->pattern, "/admin/v1/tenants/{id}");
  EXPECT_EQ(m.params, (Params{{"id", "ten_01JD"}}));
}

TEST_F(RouterTest, ExtractsSeveralParametersInOrder) {
  const RouteMatch m = router_.Find("PUT", "/v1/files/photos/cat.png");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params, (Params{{"bucket", "photos"}, {"name", "cat.png"}}));
}

TEST_F(RouterTest, PercentDecodesParameters) {
  const RouteMatch m = router_.Find("PUT", "/v1/files/my%20photos/a%2Fb");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params, (Params{{"bucket", "my photos"}, {"name", "a/b"}}));
}

TEST_F(RouterTest, MalformedEscapeInParameterDoesNotMatch) {
  const RouteMatch m = router_.Find("GET", "/admin/v1/tenants/ten%zz");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_exists());
}

TEST_F(RouterTest, LiteralSegmentsMustMatchExactly) {
  EXPECT_EQ(router_.Find("GET", "/Healthz").route, nullptr);
  EXPECT_EQ(router_.Find("GET", "/healthz2").route, nullptr);
  EXPECT_EQ(router_.Find("GET", "/admin/v1/tenants/x/y").route, nullptr);
  EXPECT_EQ(router_.Find("GET", "/admin/v1").route, nullptr);
}

TEST_F(RouterTest, UnknownPathIsNotFoundWithoutAllow) {
  const RouteMatch m = router_.Find("GET", "/nope");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_exists());
  EXPECT_TRUE(m.allow.empty());
  EXPECT_EQ(m.pattern_index, SIZE_MAX);
}

TEST_F(RouterTest, OtherMethodGivesSortedAllowListWithHeadForGet) {
  const RouteMatch m = router_.Find("POST", "/admin/v1/tenants/ten_1");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_exists());
  EXPECT_EQ(m.allow, "DELETE, GET, HEAD, PATCH");
  ASSERT_LT(m.pattern_index, router_.patterns().size());
  EXPECT_EQ(router_.patterns()[m.pattern_index], "/admin/v1/tenants/{id}");
}

TEST_F(RouterTest, AllowListHasNoHeadWithoutGet) {
  const RouteMatch m = router_.Find("GET", "/v1/upload");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(router_.Find("HEAD", "/v1/upload").allow, "POST");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  const RouteMatch m = router_.Find("get", "/healthz");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  const RouteMatch m = router_.Find("HEAD", "/admin/v1/tenants/ten_9");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_EQ(m.params, (Params{{"id", "ten_9"}}));
  EXPECT_TRUE(m.allow.empty());
}

TEST(RouterHead, ExplicitHeadRouteWinsOverGetAndAllowListsHeadOnce) {
  Router r;
  r.Add("GET", "/x", {}, nullptr);
  r.Add("HEAD", "/x", {}, nullptr);
  const RouteMatch head = r.Find("HEAD", "/x");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->method, "HEAD");
  EXPECT_EQ(r.Find("DELETE", "/x").allow, "GET, HEAD");
}

TEST_F(RouterTest, NoTrailingSlashFolding) {
  EXPECT_FALSE(router_.Find("GET", "/healthz/").path_exists());
  EXPECT_FALSE(router_.Find("GET", "/admin/v1/tenants/").path_exists());
  EXPECT_FALSE(router_.Find("GET", "/admin/v1/tenants/ten_1/").path_exists());
}

TEST_F(RouterTest, NoEmptySegments) {
  EXPECT_FALSE(router_.Find("GET", "//healthz").path_exists());
  EXPECT_FALSE(router_.Find("GET", "/admin//v1/tenants").path_exists());
  EXPECT_FALSE(router_.Find("PUT", "/v1/files//cat.png").path_exists());
}

TEST_F(RouterTest, PathMustStartWithSlash) {
  EXPECT_FALSE(router_.Find("GET", "").path_exists());
  EXPECT_FALSE(router_.Find("GET", "healthz").path_exists());
  EXPECT_FALSE(router_.Find("OPTIONS", "*").path_exists());
}

TEST(RouterRoot, RootPatternMatchesOnlyRoot) {
  Router r;
  r.Add("GET", "/", {}, nullptr);
  EXPECT_NE(r.Find("GET", "/").route, nullptr);
  EXPECT_FALSE(r.Find("GET", "/x").path_exists());
  EXPECT_FALSE(r.Find("GET", "//").path_exists());
}

TEST_F(RouterTest, PatternsAreDistinctInRegistrationOrder) {
  EXPECT_EQ(router_.patterns(),
            (std::vector<std::string>{"/healthz", "/admin/v1/tenants", "/admin/v1/tenants/{id}",
                                      "/v1/files/{bucket}/{name}", "/v1/upload"}));
}

TEST_F(RouterTest, PatternIndexIsSharedByAllMethodsOfOnePattern) {
  const RouteMatch get = router_.Find("GET", "/admin/v1/tenants/a");
  const RouteMatch patch = router_.Find("PATCH", "/admin/v1/tenants/b");
  const RouteMatch del = router_.Find("DELETE", "/admin/v1/tenants/c");
  ASSERT_NE(get.route, nullptr);
  ASSERT_NE(patch.route, nullptr);
  ASSERT_NE(del.route, nullptr);
  EXPECT_EQ(get.pattern_index, 2u);
  EXPECT_EQ(patch.pattern_index, 2u);
  EXPECT_EQ(del.pattern_index, 2u);
  EXPECT_EQ(get.route->pattern_index, 2u);
  EXPECT_EQ(del.route->pattern_index, 2u);
  EXPECT_EQ(router_.Find("POST", "/admin/v1/tenants").pattern_index, 1u);
  EXPECT_EQ(router_.Find("GET", "/admin/v1/tenants").pattern_index, 1u);
  EXPECT_NE(get.pattern_index, router_.Find("GET", "/healthz").pattern_index);
}

TEST(RouterDeathTest, AbortsOnDuplicateRoute) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Router r;
        r.Add("GET", "/a/{id}", {}, nullptr);
        r.Add("GET", "/a/{id}", {}, nullptr);
      },
      "duplicate route GET /a/\\{id\\}");
}

TEST(RouterDeathTest, AbortsOnMalformedPattern) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Router r;
        r.Add("GET", "/a//b", {}, nullptr);
      },
      "malformed pattern");
  EXPECT_DEATH(
      {
        Router r;
        r.Add("GET", "a", {}, nullptr);
      },
      "malformed pattern");
}

TEST(RouterRest, TakesTheRestOfThePathUndecodedFromItsSlash) {
  Router router;
  router.Add("GET", "/auth/v1/check", {}, nullptr);
  router.Add("GET", "/auth/v1/check/{original...}", {}, nullptr);
  RouteMatch m = router.Find("GET", "/auth/v1/check/v1/products//a%2Fb");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/auth/v1/check/{original...}");
  EXPECT_EQ(m.params, (Params{{"original", "/v1/products//a%2Fb"}}));
  m = router.Find("GET", "/auth/v1/check/");  // the original request was for "/"
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params, (Params{{"original", "/"}}));
  m = router.Find("GET", "/auth/v1/check");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/auth/v1/check");
  EXPECT_EQ(router.Find("GET", "/auth/v1/checkx").route, nullptr);
  EXPECT_EQ(router.Find("POST", "/auth/v1/check/v1").allow, "GET, HEAD");
}

}  // namespace
}  // namespace tenantd::http
