#include "http/json_body.h"

#include <gtest/gtest.h>

#include <string>

#include "http/problem.h"

namespace tenantd::http {
namespace {

Request JsonRequest(std::string content_type, std::string body) {
  Request r;
  r.method = "POST";
  r.target = "/admin/v1/tenants";
  if (!content_type.empty()) r.headers.Add("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(ParseJsonObject, AcceptsAnObject) {
  const auto result = ParseJsonObject(JsonRequest("application/json", R"({"slug":"acme","n":2})"));
  ASSERT_TRUE(result) << result.error().problem_code;
  EXPECT_EQ(result->at("slug"), "acme");
  EXPECT_EQ(result->at("n"), 2);
  EXPECT_EQ(result->size(), 2u);
}

TEST(ParseJsonObject, AcceptsParametersAndAnyCaseOfTheMediaType) {
  for (const char* type : {"application/json; charset=utf-8", "application/json;charset=UTF-8",
                           "Application/JSON", "application/json "}) {
    const auto result = ParseJsonObject(JsonRequest(type, "{}"));
    EXPECT_TRUE(result) << type;
  }
}

TEST(ParseJsonObject, OtherContentTypeIs415) {
  for (const char* type :
       {"", "text/plain", "application/jsonp", "application/json-patch+json",
        "application/x-www-form-urlencoded", "json", "application/problem+json"}) {
    const auto result = ParseJsonObject(JsonRequest(type, "{}"));
    ASSERT_FALSE(result) << type;
    EXPECT_EQ(result.error().problem_code, "unsupported_media_type") << type;
    EXPECT_EQ(HttpStatusFor(result.error()), 415) << type;
  }
}

TEST(ParseJsonObject, ContentTypeIsCheckedBeforeTheBody) {
  const auto result = ParseJsonObject(JsonRequest("text/plain", "not json"));
  ASSERT_FALSE(result);
  EXPECT_EQ(HttpStatusFor(result.error()), 415);
}

TEST(ParseJsonObject, MalformedJsonIs400InvalidJson) {
  for (const char* body : {"", "{", "{\"a\":}", "{'a':1}", "{} trailing", "{\"a\":1,}", "nul"}) {
    const auto result = ParseJsonObject(JsonRequest("application/json", body));
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().problem_code, "invalid_json") << body;
    EXPECT_EQ(HttpStatusFor(result.error()), 400) << body;
    EXPECT_FALSE(result.error().public_message.empty());
  }
}

TEST(ParseJsonObject, NonObjectJsonIs422) {
  for (const char* body : {"[]", "[1,2]", "\"text\"", "42", "null", "true"}) {
    const auto result = ParseJsonObject(JsonRequest("application/json", body));
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().problem_code, "validation_failed") << body;
    EXPECT_EQ(HttpStatusFor(result.error()), 422) << body;
    ASSERT_EQ(result.error().field_errors.size(), 1u) << body;
  }
}

TEST(ParseJsonObject, PayloadTooLargeMapsTo413) {
  // The size limit is enforced by the server before the body is read; the
  // problem code it uses maps to 413.
  const base::Error e =
      base::MakeError(base::ErrorCode::kResourceExhausted, "payload_too_large", "Too large.");
  EXPECT_EQ(HttpStatusFor(e), 413);
}

TEST(UnknownFields, NamesEachUnknownMember) {
  const auto body = ParseJsonObject(JsonRequest("application/json", R"({"slug":"a","nmae":"x",
      "plan":"pro","extra":1})"));
  ASSERT_TRUE(body);
  const auto errors = UnknownFields(*body, {"slug", "name", "plan"});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "nmae");
  EXPECT_EQ(errors[1].field, "extra");
  EXPECT_FALSE(errors[0].message.empty());
}

TEST(UnknownFields, EmptyWhenAllKnown) {
  const auto body = ParseJsonObject(JsonRequest("application/json", R"({"slug":"a"})"));
  ASSERT_TRUE(body);
  EXPECT_TRUE(UnknownFields(*body, {"slug", "name"}).empty());
  EXPECT_TRUE(UnknownFields(boost::json::object(), {}).empty());
}

}  // namespace
}  // namespace tenantd::http
