// Error values for what clients, the network or the environment can cause.
//
// A failure is an Error carried in a Result<T>; only `public_message` ever
// reaches a client, `log_detail` goes to the error log (never secrets).
// Exceptions stay for start-up/CLI failures and for impossible states.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tenantd::base {

// Abseil's canonical codes, mapped to HTTP status in one place
// (http/problem.cpp). Choose as Abseil advises: kUnauthenticated when the
// caller cannot be identified, kPermissionDenied when it can but may not.
enum class ErrorCode {
  kInvalidArgument,     // 400: malformed request (bad JSON, bad query)
  kFailedPrecondition,  // 412 / 422 depending on the problem code
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kResourceExhausted,   // 429 (or 413 for size problems: see `code`)
  kUnavailable,         // 503: retry the call
  kInternal,            // 500: a bug or an environment failure
};

// One rejected field of a request body (problem+json "errors" array).
struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // Stable snake_case problem code of api.md (e.g. "slug_taken").
  std::string problem_code;
  // Safe to show a client: no secrets, SQL or file paths.
  std::string public_message;
  // For the error log only.
  std::string log_detail;
  // For problem_code "validation_failed": which fields and why.
  std::vector<FieldError> field_errors;
};

Error MakeError(ErrorCode code, std::string problem_code, std::string public_message,
                std::string log_detail = {});
inline Error InvalidArgument(std::string problem_code, std::string msg) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(problem_code), std::move(msg));
}
inline Error NotFound(std::string msg) {
  return MakeError(ErrorCode::kNotFound, "not_found", std::move(msg));
}
// 422 validation_failed with the fields at fault.
inline Error ValidationFailed(std::vector<FieldError> fields) {
  Error e = MakeError(ErrorCode::kInvalidArgument, "validation_failed",
                      "The request body failed validation.");
  e.field_errors = std::move(fields);
  return e;
}
inline Error Internal(std::string log_detail) {
  return MakeError(ErrorCode::kInternal, "internal_error",
                   "The server could not complete the request.", std::move(log_detail));
}

// Lets Result<T>::value() throw on error (used only where failure is a bug).
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

}  // namespace tenantd::base

#define TENANTD_CONCAT_INNER_(a, b) a##b
#define TENANTD_CONCAT_(a, b) TENANTD_CONCAT_INNER_(a, b)

// One implementation for `return` and `co_return` (Abseil's trick).
#define TENANTD_TRY_IMPL_(ret, tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp) ret std::move(tmp).error();        \
  lhs = std::move(*tmp)

// TENANTD_TRY(auto x, Foo());  -- declares x or returns Foo()'s error.
#define TENANTD_TRY(lhs, expr) \
  TENANTD_TRY_IMPL_(return, TENANTD_CONCAT_(tenantd_try_, __LINE__), lhs, expr)
#define TENANTD_CO_TRY(lhs, expr) \
  TENANTD_TRY_IMPL_(co_return, TENANTD_CONCAT_(tenantd_try_, __LINE__), lhs, expr)

// TENANTD_RETURN_IF_ERROR(status_expr);
#define TENANTD_RETURN_IF_ERROR(expr)                                \
  do {                                                               \
    auto tenantd_status_ = (expr);                                   \
    if (!tenantd_status_) return std::move(tenantd_status_).error(); \
  } while (0)
