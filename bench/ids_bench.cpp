// base::NewId("req"): minted for every request (X-Request-Id).
#include <benchmark/benchmark.h>

#include <string>

#include "base/ids.h"

namespace {

void NewId_req(benchmark::State& state) {
  for (auto _ : state) {
    std::string id = tenantd::base::NewId("req");
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(NewId_req);
BENCHMARK(NewId_req)->Threads(2);

}  // namespace
