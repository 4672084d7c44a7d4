#include "support/problem.h"

#include <boost/json/parse.hpp>
#include <regex>
#include <string>

namespace tenantd::test {

::testing::AssertionResult IsProblem(const Response& r, int status, std::string_view code) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "expected status " << status << ", got " << r.Describe();
  }
  if (!r.Header("Content-Type").starts_with("application/problem+json")) {
    return ::testing::AssertionFailure()
           << "Content-Type is not application/problem+json: " << r.Describe();
  }
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(r.body, ec);
  if (ec || !body.is_object()) {
    return ::testing::AssertionFailure() << "body is not a JSON object: " << r.Describe();
  }
  std::string expected_type = "https://tenantd.dev/errors/" + std::string(code);
  if (StringAt(body, "type") != expected_type) {
    return ::testing::AssertionFailure() << "type is not " << expected_type << ": " << r.Describe();
  }
  if (StringAt(body, "code") != code) {
    return ::testing::AssertionFailure() << "code is not " << code << ": " << r.Describe();
  }
  if (StringAt(body, "title").empty()) {
    return ::testing::AssertionFailure() << "title missing: " << r.Describe();
  }
  const boost::json::value* s = FindPath(body, "status");
  if (s == nullptr || !s->is_number() || s->to_number<int>() != status) {
    return ::testing::AssertionFailure()
           << "status member is not " << status << ": " << r.Describe();
  }
  const boost::json::value* detail = FindPath(body, "detail");
  if (detail == nullptr || !detail->is_string()) {
    return ::testing::AssertionFailure() << "detail missing: " << r.Describe();
  }
  std::string request_id = StringAt(body, "request_id");
  if (request_id.empty() || request_id != r.Header("X-Request-Id")) {
    return ::testing::AssertionFailure()
           << "request_id differs from X-Request-Id: " << r.Describe();
  }
  return HasNoInternals(r);
}

::testing::AssertionResult HasNoInternals(const Response& r) {
  static constexpr std::string_view kForbidden[] = {
      "tenantd-e2e",  // every test data dir lives under /tmp/tenantd-e2e-*
      "/storage/",   "control.db", "SELECT ", "INSERT INTO", "UPDATE ", "sqlite3_",
      "SQLITE_",     "std::",      "what():", "Traceback",   ".cpp:",   "terminate called"};
  for (std::string_view needle : kForbidden) {
    if (r.body.find(needle) != std::string::npos) {
      return ::testing::AssertionFailure()
             << "body leaks internals (\"" << needle << "\"): " << r.Describe();
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> ErrorFields(const Response& r) {
  std::vector<std::string> fields;
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(r.body, ec);
  if (ec) return fields;
  const boost::json::value* errors = FindPath(body, "errors");
  if (errors == nullptr || !errors->is_array()) return fields;
  for (const boost::json::value& e : errors->get_array()) fields.push_back(StringAt(e, "field"));
  return fields;
}

bool IsRfc3339Millis(std::string_view s) {
  static const std::regex kFormat(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  return std::regex_match(s.begin(), s.end(), kFormat);
}

}  // namespace tenantd::test
