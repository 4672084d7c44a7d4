// The error vocabulary every storage engine shares (see database.h).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace tenantd::storage {

// Problem code of the kAlreadyExists error a UNIQUE or PRIMARY KEY
// violation maps to. Callers translate it into their own code ("slug_taken").
inline constexpr std::string_view kUniqueViolation = "unique_violation";

// True when `e` came from a UNIQUE or PRIMARY KEY constraint violation.
bool IsUniqueViolation(const base::Error& e);

// kUnavailable: the database cannot serve now (server gone, no pooled
// connection in time, statement timeout); retrying later can succeed.
// `problem_code` is the one the database was opened with.
base::Error Unavailable(std::string_view problem_code, std::string log_detail);

// Success, for coroutines returning a Status: `co_return storage::Ok();`
// (GCC 12 warns, wrongly, that `co_return base::Status{}` reads an
// uninitialised error; a call it cannot see into keeps it quiet).
base::Status Ok();

}  // namespace tenantd::storage

// TENANTD_CO_RETURN_IF_ERROR(co_await status_expr): base/error.h's
// TENANTD_RETURN_IF_ERROR for coroutines.
#define TENANTD_CO_RETURN_IF_ERROR(expr)                                \
  do {                                                                  \
    auto tenantd_status_ = (expr);                                      \
    if (!tenantd_status_) co_return std::move(tenantd_status_).error(); \
  } while (0)
