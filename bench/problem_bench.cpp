// RFC 9457 problem+json: the body of every error answer (404s, 401s, 422s).
#include <benchmark/benchmark.h>

#include <vector>

#include "base/error.h"
#include "http/problem.h"

namespace {

void ProblemResponse_NotFound(benchmark::State& state) {
  for (auto _ : state) {
    auto res = tenantd::http::ProblemResponse(404, "not_found", "No route matches this path.",
                                              "req_01JDQ8ZK3M5N7P9R1T3V5X7Z9B");
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(ProblemResponse_NotFound);

void ProblemResponse_Validation(benchmark::State& state) {
  const std::vector<tenantd::base::FieldError> errors{
      {"slug", "must be 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'"},
      {"name", "must not be empty"}};
  for (auto _ : state) {
    auto res = tenantd::http::ProblemResponse(422, "validation_failed",
                                              "The request body failed validation.",
                                              "req_01JDQ8ZK3M5N7P9R1T3V5X7Z9B", errors);
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(ProblemResponse_Validation);

}  // namespace
