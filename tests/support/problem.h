// Assertions shared by the end-to-end suites: the problem+json shape of
// api.md §1 and the "nothing internal leaks" rule.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "support/http_client.h"

namespace tenantd::test {

// True when `r` is a tenantd error answer: the status, Content-Type
// application/problem+json, and a JSON body with type
// "https://tenantd.dev/errors/<code>", a title, the same status, the code, a
// detail string and request_id equal to the X-Request-Id header. Also checks
// HasNoInternals(r).
//   EXPECT_TRUE(IsProblem(r, 404, "not_found"));
::testing::AssertionResult IsProblem(const Response& r, int status, std::string_view code);

// True when the body holds no stack trace, SQL or path of a test data dir.
::testing::AssertionResult HasNoInternals(const Response& r);

// The `field` of every entry of a 422 answer's "errors" array, in order.
std::vector<std::string> ErrorFields(const Response& r);

// "2026-11-22T21:04:05.123Z": RFC 3339, UTC, milliseconds.
bool IsRfc3339Millis(std::string_view s);

}  // namespace tenantd::test
