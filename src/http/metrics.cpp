#include "http/metrics.h"

#include <fmt/format.h>

namespace tenantd::http {

void Metrics::SetRoutes(const std::vector<std::string>& patterns) {
  // Label values escaped once, as the text format requires (\\, \", \n).
  labels_.clear();
  for (const auto& p : patterns) {
    std::string& label = labels_.emplace_back();
    for (char c : p) {
      if (c == '\\' || c == '"') {
        label += '\\';
        label += c;
      } else if (c == '\n') {
        label += "\\n";
      } else {
        label += c;
      }
    }
  }
  labels_.emplace_back(kUnmatchedRoute);
  stats_ = std::make_unique<RouteStats[]>(labels_.size() * kShards);
}

namespace {
std::size_t ThreadShard(std::size_t shards) {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed);
  return shard % shards;
}
}  // namespace

void Metrics::RecordRequest(std::size_t pattern_index, int status,
                            std::chrono::nanoseconds latency) {
  if (!stats_) return;
  if (pattern_index >= labels_.size()) pattern_index = labels_.size() - 1;
  RouteStats& s = stats_[ThreadShard(kShards) * labels_.size() + pattern_index];
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
  const std::size_t n_labels = labels_.size();
  auto sum = [&](std::size_t label, auto field) {
    uint64_t total = 0;
    for (std::size_t shard = 0; shard < kShards; ++shard) {
      total += field(stats_[shard * n_labels + label]).load(std::memory_order_relaxed);
    }
    return total;
  };
  for (std::size_t i = 0; i < n_labels; ++i) {
    for (int c = 0; c < 5; ++c) {
      const uint64_t n = sum(
          i, [c](const RouteStats& s) -> const auto& { return s.by_class[c]; });
      if (n == 0) continue;
      fmt::format_to(std::back_inserter(out),
                     "tenantd_http_requests_total{{route=\"{}\",status_class=\"{}xx\"}} {}\n",
                     labels_[i], c + 1, n);
    }
  }
  out +=
      "# HELP tenantd_http_request_duration_seconds Time from complete request headers to "
      "response written.\n# TYPE tenantd_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < n_labels; ++i) {
    const uint64_t count = sum(
        i, [](const RouteStats& s) -> const auto& { return s.count; });
    if (count == 0) continue;
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += sum(
          i, [b](const RouteStats& s) -> const auto& { return s.buckets[b]; });
      fmt::format_to(std::back_inserter(out),
                     "tenantd_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     labels_[i], kBuckets[b], cumulative);
    }
    cumulative += sum(
        i, [](const RouteStats& s) -> const auto& { return s.buckets[kBuckets.size()]; });
    const uint64_t sum_ns = sum(
        i, [](const RouteStats& s) -> const auto& { return s.sum_ns; });
    fmt::format_to(std::back_inserter(out),
                   "tenantd_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n"
                   "tenantd_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n"
                   "tenantd_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                   labels_[i], cumulative, labels_[i], static_cast<double>(sum_ns) / 1e9,
                   labels_[i], count);
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
