#include "http/problem.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace tenantd::http {
namespace {

namespace json = boost::json;

json::object ParseBody(const Response& r) {
  json::value v = json::parse(r.body);
  EXPECT_TRUE(v.is_object()) << r.body;
  return v.is_object() ? v.as_object() : json::object();
}

TEST(ProblemResponse, HasAllFieldsAndProblemContentType) {
  const Response r =
      ProblemResponse(409, "slug_taken", "A tenant with this slug already exists.", "req_01JD");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/problem+json");
  const json::object o = ParseBody(r);
  EXPECT_EQ(o.size(), 6u) << r.body;
  EXPECT_EQ(o.at("type"), "https://tenantd.dev/errors/slug_taken");
  EXPECT_EQ(o.at("title"), "Conflict");
  EXPECT_EQ(o.at("status"), 409);
  EXPECT_EQ(o.at("code"), "slug_taken");
  EXPECT_EQ(o.at("detail"), "A tenant with this slug already exists.");
  EXPECT_EQ(o.at("request_id"), "req_01JD");
  EXPECT_FALSE(o.contains("errors"));
}

TEST(ProblemResponse, ListsFieldErrorsInOrder) {
  const Response r =
      ProblemResponse(422, "validation_failed", "The request body failed validation.", "req_2",
                      {{"slug", "Too short."}, {"plan", "Unknown plan."}});
  const json::object o = ParseBody(r);
  EXPECT_EQ(o.at("title"), "Unprocessable Content");
  EXPECT_EQ(o.at("status"), 422);
  ASSERT_TRUE(o.contains("errors"));
  const json::array& errors = o.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], (json::value{{"field", "slug"}, {"message", "Too short."}}));
  EXPECT_EQ(errors[1], (json::value{{"field", "plan"}, {"message", "Unknown plan."}}));
}

TEST(ProblemResponse, EscapesDetailAndRequestIdAsJson) {
  const std::string detail = "quote \" backslash \\ newline \n tab \t";
  const Response r = ProblemResponse(400, "bad_request", detail, "id\"x");
  const json::object o = ParseBody(r);
  EXPECT_EQ(o.at("detail"), json::value(detail));
  EXPECT_EQ(o.at("request_id"), "id\"x");
}

TEST(HttpStatusFor, MapsCanonicalCodes) {
  using base::ErrorCode;
  auto status = [](ErrorCode c) { return HttpStatusFor(base::MakeError(c, "some_code", "m")); };
  EXPECT_EQ(status(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(status(ErrorCode::kFailedPrecondition), 409);
  EXPECT_EQ(status(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(status(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(status(ErrorCode::kNotFound), 404);
  EXPECT_EQ(status(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(status(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(status(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(status(ErrorCode::kInternal), 500);
}

TEST(HttpStatusFor, ProblemCodeRefinesStatus) {
  using base::ErrorCode;
  EXPECT_EQ(HttpStatusFor(base::ValidationFailed({{"slug", "bad"}})), 422);
  EXPECT_EQ(
      HttpStatusFor(base::MakeError(ErrorCode::kInvalidArgument, "unsupported_media_type", "m")),
      415);
  EXPECT_EQ(HttpStatusFor(base::MakeError(ErrorCode::kResourceExhausted, "payload_too_large", "m")),
            413);
  EXPECT_EQ(HttpStatusFor(base::MakeError(ErrorCode::kResourceExhausted, "quota_exceeded", "m")),
            413);
  EXPECT_EQ(
      HttpStatusFor(base::MakeError(ErrorCode::kFailedPrecondition, "precondition_failed", "m")),
      412);
  EXPECT_EQ(HttpStatusFor(base::MakeError(ErrorCode::kFailedPrecondition, "tenant_deleted", "m")),
            409);
  EXPECT_EQ(HttpStatusFor(base::InvalidArgument("invalid_json", "m")), 400);
  EXPECT_EQ(HttpStatusFor(base::NotFound("m")), 404);
  EXPECT_EQ(HttpStatusFor(base::Internal("detail")), 500);
}

TEST(ErrorResponse, SendsOnlyThePublicMessage) {
  const base::Error e = base::MakeError(
      base::ErrorCode::kInternal, "internal_error", "The server could not complete the request.",
      "sqlite: SELECT secret FROM apps failed at /var/lib/tenantd/control.db");
  const Response r = ErrorResponse(e, "req_9");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body.find("SELECT"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("control.db"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
  const json::object o = ParseBody(r);
  EXPECT_EQ(o.at("detail"), "The server could not complete the request.");
  EXPECT_EQ(o.at("code"), "internal_error");
  EXPECT_EQ(o.at("type"), "https://tenantd.dev/errors/internal_error");
  EXPECT_EQ(o.at("title"), "Internal Server Error");
  EXPECT_EQ(o.at("request_id"), "req_9");
}

TEST(ErrorResponse, CarriesFieldErrorsAndMappedStatus) {
  const Response r = ErrorResponse(base::ValidationFailed({{"name", "Required."}}), "req_3");
  EXPECT_EQ(r.status, 422);
  const json::object o = ParseBody(r);
  EXPECT_EQ(o.at("status"), 422);
  EXPECT_EQ(o.at("code"), "validation_failed");
  ASSERT_TRUE(o.contains("errors"));
  const json::array& errors = o.at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (json::value{{"field", "name"}, {"message", "Required."}}));
}

TEST(ReasonPhrase, NamesCommonStatuses) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(201), "Created");
  EXPECT_EQ(ReasonPhrase(204), "No Content");
  EXPECT_EQ(ReasonPhrase(400), "Bad Request");
  EXPECT_EQ(ReasonPhrase(401), "Unauthorized");
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(405), "Method Not Allowed");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(415), "Unsupported Media Type");
  EXPECT_EQ(ReasonPhrase(422), "Unprocessable Content");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(500), "Internal Server Error");
  EXPECT_EQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(ReasonPhrase(599), "Error");
}

}  // namespace
}  // namespace tenantd::http
