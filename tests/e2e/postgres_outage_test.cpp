// The control store on PostgreSQL (api.md §10, docs/operations.md): a
// server that goes away answers 503 control_store_unavailable while it is
// gone (never 500, never a hang), /readyz says so, and tenantd serves again
// within 2 s of its return without a restart; a wrong URL stops start-up
// with one line that never shows the password.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/problem.h"
#include "support/server_clock.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

using std::chrono::milliseconds;

TEST(PostgresOutageTest, AnswersUnavailableWhileGoneAndServesAgainWithoutARestart) {
  PostgresCluster cluster;  // its own: this test stops it
  ASSERT_EQ(cluster.Start(), "");
  TestServer server;
  ServerOptions options;
  options.env.emplace_back("TENANTD_DATABASE_URL", cluster.Url());
  ASSERT_TRUE(server.Start(options));
  ASSERT_EQ(server.CreateTenant("before-outage").status, 201);

  // Load: admin reads, which always reach the control store, from two
  // threads for the whole outage and return.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<int, int> statuses;  // status -> count (0 = no answer in time)
  std::vector<std::thread> load;
  for (int i = 0; i < 2; ++i) {
    load.emplace_back([&] {
      while (!stop) {
        Response r = server.Admin("GET", "/admin/v1/tenants?limit=1");
        std::lock_guard lock(mu);
        ++statuses[r.status];
      }
    });
  }

  cluster.Stop();
  Response down = server.Admin("GET", "/admin/v1/tenants");
  EXPECT_TRUE(IsProblem(down, 503, "control_store_unavailable"));
  EXPECT_TRUE(HasNoInternals(down));
  Response create = server.CreateTenant("during-outage");
  EXPECT_EQ(create.status, 503) << create.Describe();
  Response ready = Send(server.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.Describe();
  EXPECT_NE(ready.body.find("\"control_store\":\"unavailable\""), std::string::npos) << ready.body;

  ASSERT_EQ(cluster.Start(), "");
  const auto back = std::chrono::steady_clock::now();
  EXPECT_TRUE(PollUntil([&] { return server.Admin("GET", "/admin/v1/tenants").status == 200; },
                        milliseconds(2000)))
      << "not serving within 2 s of PostgreSQL's return";
  const auto serving = std::chrono::steady_clock::now() - back;
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_EQ(server.CreateTenant("after-outage").status, 201);
  EXPECT_EQ(Send(server.port(), "GET", "/readyz").status, 200);
  std::lock_guard lock(mu);
  // Only 200 (before and after) and 503 (during); 0 = no answer in time.
  for (const auto& [status, count] : statuses) {
    EXPECT_TRUE(status == 200 || status == 503) << count << " answers " << status;
  }
  EXPECT_TRUE(statuses.contains(503));
  EXPECT_TRUE(statuses.contains(200));
  RecordProperty("serving_again_ms",
                 std::to_string(std::chrono::duration_cast<milliseconds>(serving).count()));
}

// TENANTD_CACHE_MAX_STALENESS (api.md §10 "Many nodes"): a server cut off
// from PostgreSQL answers from the credentials it cached while they are
// recent, then refuses (503) rather than trust what may have been revoked
// meanwhile on another node; the server's clock is moved, not waited for.
TEST(PostgresOutageTest, CachedCredentialsAreNotTrustedPastTheMaxStaleness) {
  PostgresCluster cluster;  // its own: this test stops it
  ASSERT_EQ(cluster.Start(), "");
  ServerClock clock;
  TestServer server;
  // One event loop: the caches are per loop thread, and this test needs
  // its second request to meet the cache its first one filled.
  ServerOptions options{.args = {"--threads", "1"}, .env = clock.env()};
  options.env.emplace_back("TENANTD_DATABASE_URL", cluster.Url());
  options.env.emplace_back("TENANTD_CACHE_MAX_STALENESS", "5");
  ASSERT_TRUE(server.Start(options));
  Response created = server.CreateTenant("stale-cache");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const Headers app = {{"X-App-Key", StringAt(created.Json(), "credentials.app_key")},
                       {"X-App-Secret", StringAt(created.Json(), "credentials.app_secret")}};
  ASSERT_EQ(server.Request("GET", "/v1/whoami", app).status, 200);  // now cached

  cluster.Stop();
  Response recent = server.Request("GET", "/v1/whoami", app);
  EXPECT_EQ(recent.status, 200) << "within the bound the cache answers: " << recent.Describe();
  clock.Advance(std::chrono::seconds(6));
  Response stale = server.Request("GET", "/v1/whoami", app);
  EXPECT_TRUE(IsProblem(stale, 503, "control_store_unavailable")) << stale.Describe();
  EXPECT_TRUE(HasNoInternals(stale));

  ASSERT_EQ(cluster.Start(), "");
  EXPECT_TRUE(PollUntil([&] { return server.Request("GET", "/v1/whoami", app).status == 200; },
                        milliseconds(2000)))
      << "not serving within 2 s of PostgreSQL's return";
}

TEST(PostgresOutageTest, AWrongUrlStopsStartUpWithOneLineAndNoPassword) {
  for (const std::string url : {"postgres://tenantd:hunter2-secret@127.0.0.1:1/control",
                                "postgres://tenantd:hunter2-secret@127.0.0.1:notaport/control"}) {
    TestServer server;
    ServerOptions options;
    options.env.emplace_back("TENANTD_DATABASE_URL", url);
    options.ready_timeout = std::chrono::seconds(10);
    EXPECT_FALSE(server.Start(options)) << url;
    const std::string err = server.StderrText();
    EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
    EXPECT_NE(err.find("tenantd:"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

}  // namespace
}  // namespace tenantd::test
