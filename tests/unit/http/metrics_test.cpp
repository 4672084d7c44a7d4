#include "http/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tenantd::http {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& l : Lines(text)) {
    if (l.rfind(prefix, 0) == 0) out.push_back(l);
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { metrics_.SetRoutes({"/healthz", "/admin/v1/tenants/{id}"}); }
  Metrics metrics_;
};

TEST_F(MetricsTest, CountsRequestsByRouteAndStatusClass) {
  metrics_.RecordRequest(0, 200, milliseconds(1));
  metrics_.RecordRequest(0, 204, milliseconds(1));
  metrics_.RecordRequest(1, 404, milliseconds(1));
  metrics_.RecordRequest(1, 503, milliseconds(1));
  metrics_.RecordRequest(1, 201, milliseconds(1));
  const std::string out = metrics_.Render();
  EXPECT_THAT(out, HasSubstr("# TYPE tenantd_http_requests_total counter\n"));
  EXPECT_THAT(out,
              HasSubstr("\ntenantd_http_requests_total{route=\"/healthz\",status_class=\"2xx\"}"
                        " 2\n"));
  EXPECT_THAT(out, HasSubstr("\ntenantd_http_requests_total{route=\"/admin/v1/tenants/{id}\","
                             "status_class=\"4xx\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\ntenantd_http_requests_total{route=\"/admin/v1/tenants/{id}\","
                             "status_class=\"5xx\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\ntenantd_http_requests_total{route=\"/admin/v1/tenants/{id}\","
                             "status_class=\"2xx\"} 1\n"));
  // Classes never seen are not exported.
  EXPECT_THAT(out, Not(HasSubstr("status_class=\"3xx\"")));
  EXPECT_THAT(out, Not(HasSubstr("route=\"/healthz\",status_class=\"4xx\"")));
}

TEST_F(MetricsTest, OutOfRangeIndexCountsAsUnmatched) {
  metrics_.RecordRequest(2, 404, milliseconds(1));
  metrics_.RecordRequest(SIZE_MAX, 431, milliseconds(1));
  const std::string out = metrics_.Render();
  EXPECT_THAT(out, HasSubstr("tenantd_http_requests_total{route=\"unmatched\",status_class=\"4xx\"}"
                             " 2\n"));
  EXPECT_THAT(out, Not(HasSubstr("route=\"/healthz\"")));
}

TEST_F(MetricsTest, RendersHistogramBucketsSumAndCount) {
  metrics_.RecordRequest(0, 200, microseconds(3000));
  const std::string out = metrics_.Render();
  EXPECT_THAT(out, HasSubstr("# TYPE tenantd_http_request_duration_seconds histogram\n"));
  const std::string p = "tenantd_http_request_duration_seconds_bucket{route=\"/healthz\",le=";
  const std::vector<std::string> expected = {
      p + "\"0.0005\"} 0", p + "\"0.001\"} 0", p + "\"0.0025\"} 0", p + "\"0.005\"} 1",
      p + "\"0.01\"} 1",   p + "\"0.025\"} 1", p + "\"0.05\"} 1",   p + "\"0.1\"} 1",
      p + "\"0.25\"} 1",   p + "\"0.5\"} 1",   p + "\"1\"} 1",      p + "\"2.5\"} 1",
      p + "\"5\"} 1",      p + "\"10\"} 1",    p + "\"+Inf\"} 1"};
  EXPECT_EQ(LinesStartingWith(out, p), expected);
  EXPECT_THAT(out, HasSubstr("\ntenantd_http_request_duration_seconds_sum{route=\"/healthz\"} "
                             "0.003000\n"));
  EXPECT_THAT(out,
              HasSubstr("\ntenantd_http_request_duration_seconds_count{route=\"/healthz\"} 1\n"));
  // A route without requests has no histogram.
  EXPECT_THAT(out, Not(HasSubstr("_count{route=\"/admin/v1/tenants/{id}\"}")));
}

TEST_F(MetricsTest, BucketBoundsAreInclusiveAndCumulative) {
  metrics_.RecordRequest(1, 200, milliseconds(1));     // exactly le=0.001
  metrics_.RecordRequest(1, 200, microseconds(1001));  // just above: le=0.0025
  metrics_.RecordRequest(1, 200, seconds(30));         // beyond the last bound: +Inf only
  const std::string out = metrics_.Render();
  const std::string p =
      "tenantd_http_request_duration_seconds_bucket{route=\"/admin/v1/tenants/{id}\",le=";
  EXPECT_THAT(out, HasSubstr(p + "\"0.0005\"} 0\n"));
  EXPECT_THAT(out, HasSubstr(p + "\"0.001\"} 1\n"));
  EXPECT_THAT(out, HasSubstr(p + "\"0.0025\"} 2\n"));
  EXPECT_THAT(out, HasSubstr(p + "\"10\"} 2\n"));
  EXPECT_THAT(out, HasSubstr(p + "\"+Inf\"} 3\n"));
  EXPECT_THAT(out, HasSubstr("_count{route=\"/admin/v1/tenants/{id}\"} 3\n"));
  EXPECT_THAT(out, HasSubstr("_sum{route=\"/admin/v1/tenants/{id}\"} 30.002001\n"));
}

TEST_F(MetricsTest, RendersOpenConnectionsGauge) {
  metrics_.ConnectionOpened();
  metrics_.ConnectionOpened();
  metrics_.ConnectionOpened();
  metrics_.ConnectionClosed();
  EXPECT_EQ(metrics_.open_connections(), 2);
  const std::string out = metrics_.Render();
  EXPECT_THAT(out, HasSubstr("# TYPE tenantd_http_open_connections gauge\n"
                             "tenantd_http_open_connections 2\n"));
}

TEST_F(MetricsTest, AppendsCollectorOutputAfterTheHttpFamilies) {
  metrics_.AddCollector([](std::string& out) { out += "tenantd_custom_total 7\n"; });
  const std::string out = metrics_.Render();
  const auto custom = out.find("tenantd_custom_total 7\n");
  ASSERT_NE(custom, std::string::npos);
  EXPECT_GT(custom, out.find("tenantd_http_open_connections "));
}

TEST_F(MetricsTest, EveryLineIsCommentOrSample) {
  metrics_.RecordRequest(0, 200, milliseconds(2));
  for (const auto& line : Lines(metrics_.Render())) {
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') {
      EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) << line;
    } else {
      EXPECT_EQ(line.rfind("tenantd_", 0), 0u) << line;
    }
  }
}

TEST(MetricsLabels, EscapesLabelValues) {
  Metrics m;
  m.SetRoutes({"/a\"b\\c\nd"});
  m.RecordRequest(0, 200, milliseconds(1));
  const std::string out = m.Render();
  EXPECT_THAT(out, HasSubstr("tenantd_http_requests_total{route=\"/a\\\"b\\\\c\\nd\","
                             "status_class=\"2xx\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("_count{route=\"/a\\\"b\\\\c\\nd\"} 1\n"));
  EXPECT_THAT(out, Not(HasSubstr("\"/a\"b")));
}

TEST(MetricsThreads, ConcurrentRecordsAreAllCounted) {
  Metrics m;
  m.SetRoutes({"/x"});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < kPerThread; ++i) m.RecordRequest(0, 200, microseconds(100));
    });
  }
  for (auto& t : threads) t.join();
  const std::string out = m.Render();
  EXPECT_THAT(out, HasSubstr("{route=\"/x\",status_class=\"2xx\"} 20000\n"));
  EXPECT_THAT(out, HasSubstr("_count{route=\"/x\"} 20000\n"));
  EXPECT_THAT(out, HasSubstr("{route=\"/x\",le=\"0.0005\"} 20000\n"));
  EXPECT_THAT(out, HasSubstr("_sum{route=\"/x\"} 2.000000\n"));
}

TEST(MetricsEmpty, RendersGaugeBeforeAnyRoutes) {
  Metrics m;
  const std::string out = m.Render();
  EXPECT_THAT(out, HasSubstr("tenantd_http_open_connections 0\n"));
  EXPECT_THAT(out, Not(HasSubstr("_bucket")));
}

}  // namespace
}  // namespace tenantd::http
