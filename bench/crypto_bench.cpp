// Digests and MACs of 32-byte values (token hashes, signatures) and their
// constant-time comparison: the per-request cost of authentication.
#include <benchmark/benchmark.h>

#include <string>

#include "crypto/crypto.h"

namespace {

const std::string kKey(32, '\x5a');
const std::string kValue = "0123456789abcdef0123456789ABCDEF";  // 32 bytes

void Sha256_32B(benchmark::State& state) {
  for (auto _ : state) {
    std::string digest = tenantd::crypto::Sha256(kValue);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(Sha256_32B);

void HmacSha256_32B(benchmark::State& state) {
  for (auto _ : state) {
    std::string mac = tenantd::crypto::HmacSha256(kKey, kValue);
    benchmark::DoNotOptimize(mac);
  }
}
BENCHMARK(HmacSha256_32B);

void ConstantTimeEqual_32B(benchmark::State& state) {
  const std::string a = tenantd::crypto::Sha256(kValue);
  std::string b = a;
  b.back() ^= 1;  // differ in the last byte: the worst case for an early-exit compare
  for (auto _ : state) {
    benchmark::DoNotOptimize(tenantd::crypto::ConstantTimeEqual(a, b));
  }
}
BENCHMARK(ConstantTimeEqual_32B);

}  // namespace
