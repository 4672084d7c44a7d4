#include "admin/admin_auth.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>

#include "crypto/crypto.h"

namespace tenantd::admin {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "adm_4fJ9kQ2sX7vB1nM8pL3rT6wY0zC5hD2gK9aE1uR7iO3";

// Runs the stage's coroutine to completion on a private io_context.
std::optional<http::Response> RunStage(const http::Stage& stage, http::Request& req,
                                       http::RequestContext& ctx) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, stage.OnRequest(req, ctx), boost::asio::use_future);
  io.run();
  return result.get();
}

class AdminAuthTest : public ::testing::Test {
 protected:
  std::optional<http::Response> Authorize(std::optional<std::string> authorization) {
    http::Request req;
    req.method = "GET";
    req.target = "/admin/v1/tenants";
    if (authorization) req.headers.Add("Authorization", *authorization);
    http::RequestContext ctx;
    ctx.request_id = "req_auth_1";
    return RunStage(auth_, req, ctx);
  }

  // Checks a 401 problem answer and returns its problem code.
  static std::string Expect401(const std::optional<http::Response>& r) {
    EXPECT_TRUE(r.has_value());
    if (!r) return "";
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->content_type, "application/problem+json");
    EXPECT_EQ(r->headers.Get("WWW-Authenticate"),
              std::optional<std::string_view>("Bearer realm=\"tenantd-admin\""));
    EXPECT_EQ(r->body.find(kToken), std::string::npos);
    const json::object o = json::parse(r->body).as_object();
    EXPECT_EQ(o.at("status"), 401);
    EXPECT_EQ(o.at("request_id"), "req_auth_1");
    EXPECT_EQ(o.at("title"), "Unauthorized");
    return std::string(o.at("code").as_string());
  }

  AdminAuth auth_{crypto::Sha256(kToken)};
};

TEST_F(AdminAuthTest, AdmitsTheRightToken) {
  EXPECT_EQ(Authorize(std::string("Bearer ") + kToken), std::nullopt);
}

TEST_F(AdminAuthTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(Authorize(std::string("bearer ") + kToken), std::nullopt);
  EXPECT_EQ(Authorize(std::string("BEARER ") + kToken), std::nullopt);
}

TEST_F(AdminAuthTest, MissingHeaderIsMissingCredentials) {
  EXPECT_EQ(Expect401(Authorize(std::nullopt)), "missing_credentials");
  EXPECT_EQ(Expect401(Authorize("")), "missing_credentials");
}

TEST_F(AdminAuthTest, WrongTokenIsInvalidCredentials) {
  EXPECT_EQ(Expect401(Authorize("Bearer adm_wrong")), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer ")), "invalid_credentials");
  // Near misses: a prefix, a suffix, surrounding space.
  const std::string token = kToken;
  EXPECT_EQ(Expect401(Authorize("Bearer " + token.substr(0, token.size() - 1))),
            "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer " + token + "x")), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer " + token + " ")), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer  " + token)), "invalid_credentials");
}

TEST_F(AdminAuthTest, OtherSchemesAreInvalidCredentials) {
  const std::string token = kToken;
  EXPECT_EQ(Expect401(Authorize("Basic " + token)), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize(token)), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer")), "invalid_credentials");
  EXPECT_EQ(Expect401(Authorize("Bearer" + token)), "invalid_credentials");
}

TEST_F(AdminAuthTest, TheDigestItselfIsNotAToken) {
  EXPECT_EQ(Expect401(Authorize("Bearer " + crypto::Sha256Hex(kToken))), "invalid_credentials");
}

TEST_F(AdminAuthTest, AnswersAreNeverCached) {
  http::RequestContext ctx;
  http::Response res = http::Response::Json(200, "{}");
  auth_.OnResponse(ctx, res);
  EXPECT_EQ(res.headers.Get("Cache-Control"), std::optional<std::string_view>("no-store"));
}

}  // namespace
}  // namespace tenantd::admin
