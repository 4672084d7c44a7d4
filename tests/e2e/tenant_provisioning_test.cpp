// Tenant databases through the binary: created with the tenant, removed by
// purge, and nothing half-made when the process dies in between (the crash
// points of base/crash_point.h stand in for kill -9 at the worst moment).
#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kCrashExit = 86;

class TenantProvisioning : public ::testing::Test {
 protected:
  CommandResult Tenantd(std::vector<std::string> args, const Env& env = {}) {
    args.push_back("--data");
    args.push_back(server_.data_dir().string());
    return RunTenantd(args, env);
  }

  // Names of the files in <data>/tenants (none when it does not exist).
  std::vector<std::string> TenantFiles() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(server_.data_dir() / "tenants", ec)) {
      names.push_back(e.path().filename());
    }
    return names;
  }

  bool Listed(const std::string& slug) {
    CommandResult r = Tenantd({"tenant", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json::value listed = json::parse(r.out);
    for (const json::value& t : listed.at("data").as_array()) {
      if (t.at("slug").as_string() == slug) return true;
    }
    return false;
  }

  TestServer server_;
};

TEST_F(TenantProvisioning, CreatingATenantCreatesItsDatabaseAndPurgeRemovesIt) {
  ASSERT_TRUE(server_.Start());
  Response created = server_.CreateTenant("acme");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = StringAt(json::parse(created.body), "tenant.id");
  EXPECT_EQ(TenantFiles(), std::vector<std::string>{id + ".db"});

  // Plain delete keeps the data; purge removes it.
  EXPECT_EQ(server_.Admin("DELETE", "/admin/v1/tenants/" + id).status, 204);
  EXPECT_EQ(TenantFiles(), std::vector<std::string>{id + ".db"});
  EXPECT_EQ(server_.Admin("DELETE", "/admin/v1/tenants/" + id + "?purge=true").status, 204);
  EXPECT_TRUE(TenantFiles().empty());
  EXPECT_EQ(server_.Admin("GET", "/admin/v1/tenants/" + id).status, 404);
}

TEST_F(TenantProvisioning, TheCliCreatesAndPurgesDatabasesToo) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "acme", "--name", "Acme", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = StringAt(json::parse(r.out), "tenant.id");
  EXPECT_EQ(TenantFiles(), std::vector<std::string>{id + ".db"});
  r = Tenantd({"tenant", "delete", "acme", "--purge"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(TenantFiles().empty());
}

TEST_F(TenantProvisioning, ACrashBeforeTheDatabaseLeavesNothing) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "acme", "--name", "Acme"},
                            {{"TENANTD_CRASH_AT", "tenant_create.before_database"}});
  ASSERT_EQ(r.exit_code, kCrashExit) << r.err;
  EXPECT_FALSE(Listed("acme"));
  EXPECT_TRUE(TenantFiles().empty());
  // The slug was never taken.
  r = Tenantd({"tenant", "create", "--slug", "acme", "--name", "Acme"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TenantProvisioning, ACrashAfterTheDatabaseBeforeTheRowLeavesNoTenant) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "acme", "--name", "Acme"},
                            {{"TENANTD_CRASH_AT", "tenant_create.after_database"}});
  ASSERT_EQ(r.exit_code, kCrashExit) << r.err;
  EXPECT_FALSE(Listed("acme"));
  ASSERT_EQ(TenantFiles().size(), 1u);  // an orphan, owned by no tenant

  // The next start removes it before serving, and says so.
  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(TenantFiles().empty());
  EXPECT_TRUE(server_.WaitForLogLine("no tenant owns it"));
  Response created = server_.CreateTenant("acme");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(TenantFiles().size(), 1u);
}

TEST_F(TenantProvisioning, ACrashDuringPurgeLeavesAnOrphanThatTheNextStartRemoves) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "acme", "--name", "Acme"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Tenantd({"tenant", "delete", "acme", "--purge"},
              {{"TENANTD_CRASH_AT", "tenant_purge.after_row"}});
  ASSERT_EQ(r.exit_code, kCrashExit) << r.err;
  EXPECT_FALSE(Listed("acme"));
  EXPECT_EQ(TenantFiles().size(), 1u);
  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(TenantFiles().empty());
}

TEST_F(TenantProvisioning, ServerStartKeepsEveryLiveTenantsDatabase) {
  CommandResult a = Tenantd({"tenant", "create", "--slug", "alpha", "--name", "A"});
  CommandResult b = Tenantd({"tenant", "create", "--slug", "beta", "--name", "B"});
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  ASSERT_EQ(Tenantd({"tenant", "delete", "beta"}).exit_code, 0);
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(TenantFiles().size(), 2u);
}

TEST_F(TenantProvisioning, MetricsShowTheTenantDatabasePool) {
  ASSERT_TRUE(server_.Start());
  Response metrics = server_.Request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* family :
       {"tenantd_tenant_db_handles{state=\"open\"}", "tenantd_tenant_db_hits_total",
        "tenantd_tenant_db_misses_total", "tenantd_tenant_db_evictions_total"}) {
    EXPECT_NE(metrics.body.find(family), std::string::npos) << family;
  }
}

}  // namespace
}  // namespace tenantd::test
