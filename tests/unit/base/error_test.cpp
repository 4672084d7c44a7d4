#include "base/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace tenantd::base {
namespace {

using ::testing::HasSubstr;

TEST(MakeError, FillsEveryField) {
  const Error e = MakeError(ErrorCode::kAlreadyExists, "slug_taken", "Slug in use.", "row 7");
  EXPECT_EQ(e.code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(e.problem_code, "slug_taken");
  EXPECT_EQ(e.public_message, "Slug in use.");
  EXPECT_EQ(e.log_detail, "row 7");
  EXPECT_TRUE(e.field_errors.empty());
}

TEST(ErrorHelpers, SetCodeAndProblemCode) {
  const Error invalid = InvalidArgument("bad_request", "Bad limit.");
  EXPECT_EQ(invalid.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(invalid.problem_code, "bad_request");
  EXPECT_EQ(invalid.public_message, "Bad limit.");

  const Error missing = NotFound("No such tenant.");
  EXPECT_EQ(missing.code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.problem_code, "not_found");
  EXPECT_EQ(missing.public_message, "No such tenant.");

  const Error validation = ValidationFailed({{"slug", "Too short."}, {"plan", "Unknown."}});
  EXPECT_EQ(validation.problem_code, "validation_failed");
  ASSERT_EQ(validation.field_errors.size(), 2u);
  EXPECT_EQ(validation.field_errors[0].field, "slug");
  EXPECT_EQ(validation.field_errors[1].message, "Unknown.");
}

TEST(ErrorHelpers, InternalKeepsDetailOutOfThePublicMessage) {
  const Error e = Internal("disk I/O error at /var/lib/tenantd/control.db");
  EXPECT_EQ(e.code, ErrorCode::kInternal);
  EXPECT_EQ(e.problem_code, "internal_error");
  EXPECT_EQ(e.log_detail, "disk I/O error at /var/lib/tenantd/control.db");
  EXPECT_THAT(e.public_message, ::testing::Not(HasSubstr("control.db")));
  EXPECT_FALSE(e.public_message.empty());
}

TEST(Result, ValueOnErrorThrowsWithCodeAndDetail) {
  Result<int> r = Internal("the detail");
  ASSERT_FALSE(r);
  try {
    (void)r.value();
    FAIL() << "value() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("internal_error"));
    EXPECT_THAT(e.what(), HasSubstr("the detail"));
  }
  Result<int> ok = 7;
  EXPECT_EQ(ok.value(), 7);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd", "Odd number.");
  return x / 2;
}

Result<int> Quarter(int x) {
  TENANTD_TRY(const int half, Half(x));
  TENANTD_TRY(const int quarter, Half(half));
  return quarter;
}

Status CheckEven(int x) {
  TENANTD_RETURN_IF_ERROR(Half(x));
  return {};
}

TEST(TenantdTry, AssignsOnSuccessAndPropagatesTheFirstError) {
  EXPECT_EQ(Quarter(12).value(), 3);
  const Result<int> odd = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().problem_code, "odd");
  EXPECT_EQ(odd.error().code, ErrorCode::kInvalidArgument);
}

TEST(TenantdReturnIfError, PropagatesErrorsOnly) {
  EXPECT_TRUE(CheckEven(4));
  const Status s = CheckEven(5);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().problem_code, "odd");
}

}  // namespace
}  // namespace tenantd::base
