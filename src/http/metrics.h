// Prometheus metrics of the HTTP layer: requests by route pattern and status
// class, a latency histogram per route, open connections. Recording is a few
// relaxed atomic increments (no lock on the hot path); Render() reads them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tenantd::http {

class Metrics {
 public:
  // Route label for requests that matched no route (404s, rejected headers).
  static constexpr const char* kUnmatchedRoute = "unmatched";

  // Call once, before any Record*, with Router::patterns().
  void SetRoutes(const std::vector<std::string>& patterns);

  // `pattern_index` from Route::pattern_index, or any index >= the number of
  // patterns for "unmatched". Thread-safe.
  void RecordRequest(std::size_t pattern_index, int status, std::chrono::nanoseconds latency);
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  // Other modules append their own families (already formatted) at render time.
  void AddCollector(std::function<void(std::string& out)> collector);

  // Text exposition format 0.0.4.
  std::string Render() const;

 private:
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  // Each thread records into its own shard (cache-line aligned), so two
  // event loops never bounce one counter's cache line between cores.
  static constexpr std::size_t kShards = 8;
  struct alignas(64) RouteStats {
    std::array<std::atomic<uint64_t>, 5> by_class{};                   // 1xx..5xx
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last = +Inf
    std::atomic<uint64_t> sum_ns{0};
    std::atomic<uint64_t> count{0};
  };

  std::vector<std::string> labels_;      // patterns + "unmatched"
  std::unique_ptr<RouteStats[]> stats_;  // kShards blocks of labels_.size()
  std::atomic<int64_t> open_connections_{0};
  std::vector<std::function<void(std::string&)>> collectors_;
};

}  // namespace tenantd::http
