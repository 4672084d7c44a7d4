#include "base/error.h"

#include <stdexcept>

namespace tenantd::base {

Error MakeError(ErrorCode code, std::string problem_code, std::string public_message,
                std::string log_detail) {
  return Error{code, std::move(problem_code), std::move(public_message), std::move(log_detail), {}};
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.problem_code + ": " + e.public_message +
                           (e.log_detail.empty() ? "" : " (" + e.log_detail + ")"));
}

}  // namespace tenantd::base
