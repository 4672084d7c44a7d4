// Public endpoints (api.md §2) and the conventions every answer follows (§1):
// X-Request-Id, problem+json errors, 404 and 405.
#include <boost/json.hpp>
#include <sstream>
#include <string>

#include "base/version.h"
#include "support/fixtures.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

using namespace std::string_view_literals;

class PublicEndpoints : public SharedServerTest<PublicEndpoints> {};

// Sum of the samples of `metric` whose label set contains every one of
// `labels` (e.g. R"(route="/healthz")"); -1 when no sample matches.
double MetricValue(const std::string& exposition, const std::string& metric,
                   const std::vector<std::string>& labels) {
  double sum = -1;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(metric + "{")) continue;
    std::size_t close = line.find('}');
    if (close == std::string::npos) continue;
    std::string label_set = line.substr(metric.size(), close - metric.size() + 1);
    bool all = true;
    for (const std::string& l : labels) all = all && label_set.find(l) != std::string::npos;
    if (!all) continue;
    std::istringstream value(line.substr(close + 1));
    double v = 0;
    if (value >> v) sum = (sum < 0 ? 0 : sum) + v;
  }
  return sum;
}

TEST_F(PublicEndpoints, RootServesHtmlWelcomePage) {
  Response r = server().Request("GET", "/");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(r.Header("Content-Type").starts_with("text/html")) << r.Describe();
  EXPECT_NE(r.body.find("tenantd"), std::string::npos) << r.Describe();
  EXPECT_NE(r.body.find("/healthz"), std::string::npos) << "links to /healthz: " << r.Describe();
}

TEST_F(PublicEndpoints, RootAnswersNameAndVersionAsJsonWhenAsked) {
  Response r = server().Request("GET", "/", {{"Accept", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(r.Header("Content-Type").starts_with("application/json")) << r.Describe();
  boost::json::value body = r.Json();
  EXPECT_EQ(StringAt(body, "name"), "tenantd");
  EXPECT_EQ(StringAt(body, "version"), base::kVersion);
}

TEST_F(PublicEndpoints, HealthzAnswersOkTrue) {
  Response r = server().Request("GET", "/healthz");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(r.Header("Content-Type").starts_with("application/json")) << r.Describe();
  EXPECT_EQ(r.Json(), boost::json::parse(R"({"ok":true})"));
}

TEST_F(PublicEndpoints, ReadyzReportsControlStoreOk) {
  Response r = server().Request("GET", "/readyz");
  ASSERT_EQ(r.status, 200) << r.Describe();
  boost::json::value body = r.Json();
  const boost::json::value* ok = FindPath(body, "ok");
  ASSERT_NE(ok, nullptr) << r.Describe();
  EXPECT_EQ(*ok, true);
  EXPECT_EQ(StringAt(body, "checks.control_store"), "ok") << r.Describe();
}

TEST_F(PublicEndpoints, HeadOnHealthzHasNoBody) {
  Connection conn(server().port());
  ASSERT_TRUE(conn.Write("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) << conn.error();
  Response r = conn.ReadResponse(/*head=*/true);
  // HEAD may be allowed (200) or not (405); either way no body may follow.
  ASSERT_TRUE(r.status == 200 || r.status == 405) << r.Describe();
  ASSERT_TRUE(conn.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) << conn.error();
  Response next = conn.ReadResponse();
  EXPECT_EQ(next.status, 200) << "a HEAD answer that carried a body would garble this one: "
                              << next.Describe();
}

TEST_F(PublicEndpoints, MetricsArePrometheusText) {
  ASSERT_EQ(server().Request("GET", "/healthz").status, 200);
  Response r = server().Request("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.Describe();
  std::string type = r.Header("Content-Type");
  EXPECT_TRUE(type.starts_with("text/plain")) << type;
  EXPECT_NE(type.find("version=0.0.4"), std::string::npos) << type;
  EXPECT_NE(r.body.find("tenantd_http_requests_total{"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tenantd_http_open_connections"), std::string::npos) << r.body;
  EXPECT_GE(MetricValue(r.body, "tenantd_http_request_duration_seconds_bucket",
                        {R"(route="/healthz")", "le="}),
            1)
      << r.body;
  EXPECT_GE(MetricValue(r.body, "tenantd_http_requests_total",
                        {R"(route="/healthz")", R"(status_class="2xx")"}),
            1)
      << r.body;
}

TEST_F(PublicEndpoints, MetricsRequestCountGrowsWithRequests) {
  auto count = [&] {
    Response m = server().Request("GET", "/metrics");
    return MetricValue(m.body, "tenantd_http_requests_total",
                       {R"(route="/healthz")", R"(status_class="2xx")"});
  };
  double before = count();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(server().Request("GET", "/healthz").status, 200);
  // Metrics may be recorded just after the answer is written: poll briefly.
  double after = before;
  PollUntil([&] { return (after = count()) >= std::max(before, 0.0) + 3; }, 3s);
  EXPECT_GE(after, std::max(before, 0.0) + 3) << "before " << before << ", after " << after;
}

TEST_F(PublicEndpoints, MetricsCountOpenConnections) {
  Connection held(server().port());
  ASSERT_EQ(held.Request("GET", "/healthz").status, 200);  // a live keep-alive connection
  Response r = server().Request("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.Describe();
  std::istringstream in(r.body);
  std::string line;
  double open = -1;
  while (std::getline(in, line)) {
    if (line.starts_with("tenantd_http_open_connections")) {
      std::istringstream v(line.substr(line.find_last_of(' ') + 1));
      v >> open;
    }
  }
  // The held connection and the one asking for /metrics.
  EXPECT_GE(open, 1) << r.body;
}

TEST_F(PublicEndpoints, PostToHealthzIsMethodNotAllowedWithAllow) {
  Response r = server().Request("POST", "/healthz", {{"Content-Type", "application/json"}}, "{}");
  EXPECT_TRUE(IsProblem(r, 405, "method_not_allowed"));
  EXPECT_NE(r.Header("Allow").find("GET"), std::string::npos) << r.Describe();
  EXPECT_EQ(r.Header("Allow").find("POST"), std::string::npos) << r.Describe();
}

TEST_F(PublicEndpoints, DeleteOnRootIsMethodNotAllowed) {
  Response r = server().Request("DELETE", "/");
  EXPECT_TRUE(IsProblem(r, 405, "method_not_allowed"));
  EXPECT_NE(r.Header("Allow").find("GET"), std::string::npos) << r.Describe();
}

TEST_F(PublicEndpoints, UnknownRouteIsNotFoundProblem) {
  Response r = server().Request("GET", "/no/such/route");
  EXPECT_TRUE(IsProblem(r, 404, "not_found"));
}

TEST_F(PublicEndpoints, UnknownRouteWithTraversalIsNotFound) {
  Response r = server().Request("GET", "/../../etc/passwd");
  EXPECT_TRUE(r.status == 400 || r.status == 404) << r.Describe();
  EXPECT_EQ(r.body.find("root:"), std::string::npos) << r.Describe();
  EXPECT_TRUE(HasNoInternals(r));
}

TEST_F(PublicEndpoints, EveryAnswerCarriesARequestId) {
  for (const char* target : {"/", "/healthz", "/readyz", "/metrics", "/nope"}) {
    Response r = server().Request("GET", target);
    ASSERT_TRUE(r.ok()) << target << ": " << r.error;
    EXPECT_FALSE(r.Header("X-Request-Id").empty()) << target << ": " << r.Describe();
  }
}

TEST_F(PublicEndpoints, FreshRequestIdsDiffer) {
  Response a = server().Request("GET", "/healthz");
  Response b = server().Request("GET", "/healthz");
  ASSERT_FALSE(a.Header("X-Request-Id").empty());
  EXPECT_NE(a.Header("X-Request-Id"), b.Header("X-Request-Id"));
}

TEST_F(PublicEndpoints, EchoesTheClientsRequestId) {
  Response r = server().Request("GET", "/healthz", {{"X-Request-Id", "client-req-42"}});
  EXPECT_EQ(r.Header("X-Request-Id"), "client-req-42") << r.Describe();
}

TEST_F(PublicEndpoints, ProblemCarriesTheClientsRequestId) {
  Response r = server().Request("GET", "/nope", {{"X-Request-Id", "trace-me-7"}});
  ASSERT_TRUE(IsProblem(r, 404, "not_found"));
  EXPECT_EQ(StringAt(r.Json(), "request_id"), "trace-me-7");
}

TEST_F(PublicEndpoints, EchoesARequestIdOf128Characters) {
  std::string id(128, 'r');
  Response r = server().Request("GET", "/healthz", {{"X-Request-Id", id}});
  EXPECT_EQ(r.Header("X-Request-Id"), id) << r.Describe();
}

TEST_F(PublicEndpoints, ReplacesARequestIdLongerThan128Characters) {
  std::string id(129, 'r');
  Response r = server().Request("GET", "/healthz", {{"X-Request-Id", id}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_FALSE(r.Header("X-Request-Id").empty());
  EXPECT_NE(r.Header("X-Request-Id"), id);
}

TEST_F(PublicEndpoints, ReplacesARequestIdWithNonAsciiBytes) {
  std::string id = "req-\xC3\xA9t\xC3\xA9";
  Response r = server().Request("GET", "/healthz", {{"X-Request-Id", id}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  std::string echoed = r.Header("X-Request-Id");
  EXPECT_FALSE(echoed.empty());
  EXPECT_NE(echoed, id);
  for (char c : echoed) {
    EXPECT_TRUE(c > 0x20 && c < 0x7f) << "fresh id has a non-printable byte: " << echoed;
  }
}

TEST_F(PublicEndpoints, ReplacesAnEmptyRequestId) {
  Response r = server().Request("GET", "/healthz", {{"X-Request-Id", ""}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_FALSE(r.Header("X-Request-Id").empty());
}

TEST_F(PublicEndpoints, GarbageRequestDoesNotTakeTheServerDown) {
  {
    Connection conn(server().port(), 5s);
    ASSERT_TRUE(conn.Write("\x16\x03\x01 GARBAGE \x00\xff\r\n\r\n"sv));
    conn.WaitForClose(5s);
    Response r = ParseResponse(conn.received());
    if (r.ok()) {
      EXPECT_EQ(r.status, 400) << r.Describe();
    }
  }
  {
    Connection conn(server().port(), 5s);
    ASSERT_TRUE(conn.Write("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"));
    conn.WaitForClose(5s);
    Response r = ParseResponse(conn.received());
    if (r.ok()) {
      EXPECT_EQ(r.status, 400) << r.Describe();
    }
  }
  EXPECT_EQ(server().Request("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace tenantd::test
