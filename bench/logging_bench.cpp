// Access-log formatting: one of these runs for every request served.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "http/server.h"
#include "logging/logger.h"

namespace {

using tenantd::http::AccessRecord;

AccessRecord SampleRecord() {
  AccessRecord rec;
  rec.start = std::chrono::system_clock::now();
  rec.status = 200;
  rec.method = "GET";
  rec.target = "/admin/v1/tenants/acme?include=usage&token=s3cr3t";
  rec.duration = std::chrono::microseconds(1234);
  rec.bytes_sent = 1432;
  rec.tenant = "acme";
  rec.request_id = "req_01JDQ8ZK3M5N7P9R1T3V5X7Z9B";
  rec.remote_ip = "127.0.0.1";
  rec.user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)";
  rec.referer = "";
  return rec;
}

void FormatAccessText(benchmark::State& state) {
  const AccessRecord rec = SampleRecord();
  for (auto _ : state) {
    std::string line = tenantd::logging::FormatAccessText(rec);
    benchmark::DoNotOptimize(line);
  }
}
BENCHMARK(FormatAccessText);

void FormatAccessJson(benchmark::State& state) {
  const AccessRecord rec = SampleRecord();
  for (auto _ : state) {
    std::string line = tenantd::logging::FormatAccessJson(rec);
    benchmark::DoNotOptimize(line);
  }
}
BENCHMARK(FormatAccessJson);

void MaskTarget(benchmark::State& state, const char* target) {
  for (auto _ : state) {
    std::string masked = tenantd::logging::MaskTarget(target);
    benchmark::DoNotOptimize(masked);
  }
}
BENCHMARK_CAPTURE(MaskTarget, no_query, "/healthz");
BENCHMARK_CAPTURE(MaskTarget, with_secrets,
                  "/v1/files/report.pdf?expires=1764000000&sig=abcdef0123456789&api_key=k&x=1");

}  // namespace
