// deploy/grafana/tenantd.json: a valid Grafana dashboard whose queries use
// only metrics a live tenantd exports on /metrics.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

const std::filesystem::path kDashboard =
    std::filesystem::path(TENANTD_SOURCE_DIR) / "deploy" / "grafana" / "tenantd.json";

class GrafanaDashboard : public SharedServerTest<GrafanaDashboard> {};

// Every metric name /metrics declares (# TYPE) or has a sample of.
std::set<std::string> ExportedMetrics(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      names.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (!line.empty() && line[0] != '#') {
      names.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return names;
}

TEST_F(GrafanaDashboard, IsValidAndQueriesOnlyExportedMetrics) {
  json::value dashboard;
  ASSERT_NO_THROW(dashboard = json::parse(ReadFile(kDashboard))) << "not valid JSON";
  ASSERT_EQ(dashboard.at("title"), "tenantd");
  const json::array& panels = dashboard.at("panels").as_array();
  ASSERT_GT(panels.size(), 5u);

  std::set<int64_t> ids;
  std::set<std::string> used;
  const std::regex metric(R"(\btenantd_[a-z0-9_]+)");
  for (const json::value& panel : panels) {
    EXPECT_TRUE(ids.insert(panel.at("id").as_int64()).second) << "duplicate panel id";
    EXPECT_TRUE(panel.as_object().contains("gridPos"));
    if (panel.at("type") == "row") continue;
    const json::array& targets = panel.at("targets").as_array();
    EXPECT_FALSE(targets.empty()) << panel.at("title");
    for (const json::value& target : targets) {
      const std::string expr(target.at("expr").as_string());
      std::size_t found = 0;
      for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
        used.insert(it->str());
        ++found;
      }
      EXPECT_GT(found, 0u) << "a query of no tenantd metric: " << expr;
    }
  }

  // Some traffic, so that per-tenant series exist too.
  Response created = server().CreateTenant(UniqueSlug("graf"));
  ASSERT_EQ(created.status, 201) << created.Describe();
  const Response whoami =
      server().Request("GET", "/v1/whoami",
                       {{"X-App-Key", StringAt(created.Json(), "credentials.app_key")},
                        {"X-App-Secret", StringAt(created.Json(), "credentials.app_secret")}});
  ASSERT_EQ(whoami.status, 200);
  const Response metrics = server().Request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::set<std::string> exported = ExportedMetrics(metrics.body);
  EXPECT_TRUE(exported.count("tenantd_tenant_requests_total")) << metrics.body;
  for (const std::string& name : used) {
    EXPECT_TRUE(exported.count(name)) << name << " is used by the dashboard but not exported";
  }
  // The headline families are all there.
  for (const char* name :
       {"tenantd_http_requests_total", "tenantd_http_request_duration_seconds_bucket",
        "tenantd_rate_limited_total", "tenantd_tenant_db_handles", "tenantd_tenant_requests_total",
        "tenantd_auth_failures_total"}) {
    EXPECT_TRUE(used.count(name)) << name << " is not on the dashboard";
  }
}

}  // namespace
}  // namespace tenantd::test
