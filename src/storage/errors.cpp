#include "storage/errors.h"

namespace tenantd::storage {

bool IsUniqueViolation(const base::Error& e) {
  return e.code == base::ErrorCode::kAlreadyExists && e.problem_code == kUniqueViolation;
}

base::Status Ok() { return {}; }

base::Error Unavailable(std::string_view problem_code, std::string log_detail) {
  return base::MakeError(base::ErrorCode::kUnavailable, std::string(problem_code),
                         "The service is temporarily unavailable; try again.",
                         std::move(log_detail));
}

}  // namespace tenantd::storage
