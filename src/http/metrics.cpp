#include "http/metrics.h"

#include <fmt/format.h>

namespace tenantd::http {

void Metrics::SetRoutes(const std::vector<std::string>& patterns) {
  labels_ = patterns;
  labels_.emplace_back(kUnmatchedRoute);
  stats_ = std::make_unique<RouteStats[]>(labels_.size());
}

void Metrics::RecordRequest(std::size_t pattern_index, int status,
                            std::chrono::nanoseconds latency) {
  if (!stats_) return;
  if (pattern_index >= labels_.size()) pattern_index = labels_.size() - 1;
  RouteStats& s = stats_[pattern_index];
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) s.by_class[cls - 1].fetch_add(1, std::memory_order_relaxed);
  const double secs = std::chrono::duration<double>(latency).count();
  std::size_t b = 0;
  while (b < kBuckets.size() && secs > kBuckets[b]) ++b;
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::AddCollector(std::function<void(std::string& out)> collector) {
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(8192);
  out +=
      "# HELP tenantd_http_requests_total HTTP requests answered, by route pattern and status "
      "class.\n# TYPE tenantd_http_requests_total counter\n";
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    for (int c = 0; c < 5; ++c) {
      const uint64_t n = stats_[i].by_class[c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      fmt::format_to(std::back_inserter(out),
                     "tenantd_http_requests_total{{route=\"{}\",status_class=\"{}xx\"}} {}\n",
                     labels_[i], c + 1, n);
    }
  }
  out +=
      "# HELP tenantd_http_request_duration_seconds Time from complete request headers to "
      "response written.\n# TYPE tenantd_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const RouteStats& s = stats_[i];
    const uint64_t count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      fmt::format_to(std::back_inserter(out),
                     "tenantd_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     labels_[i], kBuckets[b], cumulative);
    }
    cumulative += s.buckets[kBuckets.size()].load(std::memory_order_relaxed);
    fmt::format_to(std::back_inserter(out),
                   "tenantd_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n"
                   "tenantd_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n"
                   "tenantd_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                   labels_[i], cumulative, labels_[i],
                   static_cast<double>(s.sum_ns.load(std::memory_order_relaxed)) / 1e9, labels_[i],
                   count);
  }
  fmt::format_to(std::back_inserter(out),
                 "# HELP tenantd_http_open_connections Client connections open now.\n"
                 "# TYPE tenantd_http_open_connections gauge\n"
                 "tenantd_http_open_connections {}\n",
                 open_connections());
  for (const auto& c : collectors_) c(out);
  return out;
}

}  // namespace tenantd::http
