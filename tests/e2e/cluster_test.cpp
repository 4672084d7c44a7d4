// Many stateless nodes behind a load balancer (api.md §10 "Many nodes",
// docs/operations.md): three tenantd processes on one PostgreSQL control
// store and one Redis, behind haproxy configured by deploy/haproxy.cfg.
// Requests spread over the nodes; a revocation, suspension or rotation made
// through one node is honoured by every node within 1 s, also by a node
// whose LISTEN connection was cut; one rate limit is shared exactly; a node
// killed with SIGKILL loses no acknowledged write and haproxy routes
// around it.
//
// The nodes share one data directory: tenant databases are still SQLite
// files there (the PostgreSQL tenant modes are another issue).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/mail_files.h"
#include "support/postgres_server.h"
#include "support/problem.h"
#include "support/proxy_servers.h"
#include "support/redis_server.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kPropagation{1000};  // api.md §10: every node within 1 s
constexpr int kRequestsPerMinute = 300;     // the `shared` plan of these tests

struct Tenant {
  std::string id, app_key, app_secret;
};

Headers ModeA(const Tenant& t) {
  return {{"X-App-Key", t.app_key}, {"X-App-Secret", t.app_secret}};
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
}

// Runs one statement on the control store's database with psql.
std::string Psql(const std::string& url, const std::string& sql) {
  CommandResult r = RunCommand({"psql", url, "-XAtqc", sql});
  if (r.exit_code != 0) throw std::runtime_error("psql: " + r.err);
  return r.out;
}

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    database_url_ = CreateTestDatabase();
    ASSERT_TRUE(redis_.Start());
    config_ = nodes_[0].root() / "tenantd.toml";
    WriteFile(config_,
              "[plans.shared]\nrequests_per_minute = " + std::to_string(kRequestsPerMinute) +
                  "\n[plans.bulk]\nrequests_per_minute = 1000000\n");
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      ServerOptions options{.args = {"--config", config_.string()},
                            .env = {{"TENANTD_DATABASE_URL", database_url_},
                                    {"REDIS_URL", redis_.url()},
                                    {"TENANTD_TRUSTED_PROXIES", "127.0.0.1/32"}}};
      if (i > 0) {
        options.data_dir = nodes_[0].data_dir();
        options.set_admin_token = false;
        options.env.emplace_back("TENANTD_ADMIN_TOKEN", nodes_[0].admin_token());
      }
      ASSERT_TRUE(nodes_[i].Start(options)) << "node " << i + 1;
    }
    std::string config = ReadFile(std::string(TENANTD_SOURCE_DIR) + "/deploy/haproxy.cfg");
    ASSERT_FALSE(config.empty());
    ReplaceAll(config, "${TENANTD_LB_BIND}", "127.0.0.1:{port}");
    ReplaceAll(config, "${TENANTD_LB_SOCKET}", (haproxy_.dir() / "admin.sock").string());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      ReplaceAll(config, "${TENANTD_NODE" + std::to_string(i + 1) + "}",
                 "127.0.0.1:" + std::to_string(nodes_[i].port()));
    }
    ASSERT_TRUE(haproxy_.Start(config)) << haproxy_.Log();
    lb_port_ = haproxy_.port();
    // Every node passes haproxy's health check before the test begins.
    ASSERT_TRUE(PollUntil([&] { return NodesAnswering(6) == nodes_.size(); }, milliseconds(10000)))
        << haproxy_.Log();
  }

  // How many distinct nodes answered `requests` requests through haproxy
  // (each node counts the requests it served in /metrics).
  std::size_t NodesAnswering(int requests) {
    std::vector<long> before;
    for (const TestServer& node : nodes_) before.push_back(Served(node));
    for (int i = 0; i < requests; ++i) Send(lb_port_, "GET", "/healthz");
    std::size_t answering = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (Served(nodes_[i]) > before[i]) ++answering;
    }
    return answering;
  }

  // The /healthz answers a node counted.
  static long Served(const TestServer& node) {
    const std::string metrics = node.Request("GET", "/metrics").body;
    const std::string needle =
        "tenantd_http_requests_total{route=\"/healthz\",status_class=\"2xx\"} ";
    const std::size_t at = metrics.find(needle);
    return at == std::string::npos ? 0 : std::stol(metrics.substr(at + needle.size()));
  }

  // On the `shared` plan (kRequestsPerMinute), or another one.
  // An admin request to any node (they share the first one's token).
  Response AdminOn(const TestServer& node, std::string_view method, const std::string& target,
                   std::string_view body) {
    return Send(node.port(), method, target,
                {{"Authorization", "Bearer " + nodes_[0].admin_token()},
                 {"Content-Type", "application/json"}},
                body);
  }

  Tenant MustCreateTenant(const TestServer& through, const std::string& plan = "shared") {
    Response r = through.CreateTenant(UniqueSlug("cl"), "Clustered", R"("plan":")" + plan + R"(")");
    if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
    const json::value body = r.Json();
    return {StringAt(body, "tenant.id"), StringAt(body, "credentials.app_key"),
            StringAt(body, "credentials.app_secret")};
  }

  // A secret API key of `t`, made through node 1: (its id, its bearer header).
  std::pair<std::string, Headers> MustCreateKey(const Tenant& t) {
    Headers json_a = ModeA(t);
    json_a.push_back({"Content-Type", "application/json"});
    Response created = nodes_[0].Request("POST", "/v1/api-keys", json_a, R"({"name":"ci"})");
    if (created.status != 201) throw std::runtime_error("create API key: " + created.Describe());
    return {StringAt(created.Json(), "api_key.id"),
            {{"Authorization", "Bearer " + std::string(created.Json().at("secret").as_string())}}};
  }

  // Polls every node until `refused` holds for each (their caches are
  // warm first: see the callers); false when one still serves after 1 s.
  bool EveryNodeWithin(milliseconds limit, const std::function<bool(const TestServer&)>& refused) {
    const auto deadline = steady_clock::now() + limit;
    for (const TestServer& node : nodes_) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (!PollUntil([&] { return refused(node); }, std::max(left, milliseconds(0)))) return false;
    }
    return true;
  }

  std::string database_url_;
  RedisServer redis_;
  std::array<TestServer, 3> nodes_;
  std::filesystem::path config_;
  ProxyServer haproxy_{ProxyServer::Kind::kHaproxy};
  int lb_port_ = 0;
};

TEST_F(Cluster, RequestsSpreadOverEveryNode) {
  EXPECT_EQ(NodesAnswering(9), 3u);
  const Tenant t = MustCreateTenant(nodes_[0]);
  // Whichever node answers, the tenant is the same one.
  for (int i = 0; i < 6; ++i) {
    Response r = Send(lb_port_, "GET", "/v1/whoami", ModeA(t));
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(StringAt(r.Json(), "tenant.id"), t.id);
  }
}

TEST_F(Cluster, AKeyRevokedThroughOneNodeIsRefusedByEveryNodeWithinOneSecond) {
  const Tenant t = MustCreateTenant(nodes_[0]);
  const auto [key_id, bearer] = MustCreateKey(t);
  for (const TestServer& node : nodes_) {  // cached by every node
    ASSERT_EQ(node.Request("GET", "/v1/whoami", bearer).status, 200);
  }

  ASSERT_EQ(nodes_[0].Request("DELETE", "/v1/api-keys/" + key_id, ModeA(t)).status, 200);
  EXPECT_TRUE(EveryNodeWithin(kPropagation, [&](const TestServer& node) {
    return IsProblem(node.Request("GET", "/v1/whoami", bearer), 401, "key_revoked");
  }));
}

TEST_F(Cluster, ATenantSuspendedThroughOneNodeIsRefusedByEveryNodeWithinOneSecond) {
  const Tenant t = MustCreateTenant(nodes_[0]);
  const Tenant other = MustCreateTenant(nodes_[0]);
  for (const TestServer& node : nodes_) {
    ASSERT_EQ(node.Request("GET", "/v1/whoami", ModeA(t)).status, 200);
    ASSERT_EQ(node.Request("GET", "/v1/whoami", ModeA(other)).status, 200);
  }

  ASSERT_EQ(
      AdminOn(nodes_[1], "PATCH", "/admin/v1/tenants/" + t.id, R"({"status":"suspended"})").status,
      200);
  EXPECT_TRUE(EveryNodeWithin(kPropagation, [&](const TestServer& node) {
    return IsProblem(node.Request("GET", "/v1/whoami", ModeA(t)), 403, "tenant_suspended");
  }));
  // Only that tenant: the others' cached credentials keep serving.
  for (const TestServer& node : nodes_) {
    EXPECT_EQ(node.Request("GET", "/v1/whoami", ModeA(other)).status, 200);
  }
}

TEST_F(Cluster, AnAppSecretRotatedWithoutGraceStopsWorkingOnEveryNodeWithinOneSecond) {
  const Tenant t = MustCreateTenant(nodes_[0]);
  for (const TestServer& node : nodes_) {
    ASSERT_EQ(node.Request("GET", "/v1/whoami", ModeA(t)).status, 200);
  }

  Response rotated = AdminOn(nodes_[2], "POST", "/admin/v1/tenants/" + t.id + "/credentials/rotate",
                             R"({"grace_seconds":0})");
  ASSERT_EQ(rotated.status, 200) << rotated.Describe();
  EXPECT_TRUE(EveryNodeWithin(kPropagation, [&](const TestServer& node) {
    return IsProblem(node.Request("GET", "/v1/whoami", ModeA(t)), 401, "invalid_credentials");
  }));
  Tenant fresh = t;
  fresh.app_secret = StringAt(rotated.Json(), "credentials.app_secret");
  for (const TestServer& node : nodes_) {
    EXPECT_EQ(node.Request("GET", "/v1/whoami", ModeA(fresh)).status, 200);
  }
}

// The LISTEN connection is a hint: cut, the node still learns of a change
// from the change log (polled while the listener is down, and read again
// when it is back), well within the staleness bound.
TEST_F(Cluster, ANodeWhoseListenConnectionWasCutStillRefusesARevokedKey) {
  const Tenant t = MustCreateTenant(nodes_[0]);
  const auto [key_id, bearer] = MustCreateKey(t);
  const TestServer& cut = nodes_[2];
  ASSERT_EQ(cut.Request("GET", "/v1/whoami", bearer).status, 200);

  const std::string listener = "tenantd-listener-" + std::to_string(cut.pid());
  ASSERT_EQ(Psql(database_url_,
                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                 " WHERE application_name = '" +
                     listener + "'"),
            "1\n");
  ASSERT_EQ(nodes_[0].Request("DELETE", "/v1/api-keys/" + key_id, ModeA(t)).status, 200);
  EXPECT_TRUE(PollUntil(
      [&] { return IsProblem(cut.Request("GET", "/v1/whoami", bearer), 401, "key_revoked"); },
      kPropagation));
  // The nodes share the first one's data directory, and its log file.
  EXPECT_TRUE(nodes_[0].WaitForLogLine("lost the control store's LISTEN connection").has_value());
  // And it listens again by itself.
  EXPECT_TRUE(PollUntil(
      [&] {
        return Psql(database_url_,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + listener +
                        "'") == "1\n";
      },
      milliseconds(5000)));
}

// One budget in Redis for the three nodes: at most the limit plus 1%, plus
// what the limiter refills while the burst lasts.
// A user's role comes from the membership as the node's directory knows it:
// a role change or a removal made through one node reaches every node's
// cache within 1 s, also through sessions those nodes already serve.
TEST_F(Cluster, ARoleChangeAndARemovalReachEveryNodeWithinOneSecond) {
  const auto call = [](const TestServer& node, std::string_view method, const std::string& target,
                       const std::string& body, const std::string& cookie) {
    Headers h = {{"Content-Type", "application/json"}};
    if (!cookie.empty()) h.push_back({"Cookie", cookie});
    return node.Request(method, target, h, body);
  };
  const auto post = [&call](const TestServer& node, const std::string& target,
                            const std::string& body, const std::string& cookie) {
    return call(node, "POST", target, body, cookie);
  };
  const auto cookie_of = [](const Response& r) {
    const std::string set = r.Header("Set-Cookie");
    return set.substr(0, set.find(';'));
  };
  const std::string password = "correct horse battery";
  const std::string owner_email = UniqueSlug("owner") + "@example.com";
  Response r =
      post(nodes_[0], "/auth/v1/signup",
           json::serialize(json::object{{"email", owner_email}, {"password", password}}), "");
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string slug = UniqueSlug("org");
  r = post(nodes_[0], "/auth/v1/tenants",
           json::serialize(json::object{{"slug", slug}, {"name", "Org"}}), cookie_of(r));
  ASSERT_EQ(r.status, 201) << r.Describe();
  r = post(nodes_[1], "/auth/v1/signin",
           json::serialize(
               json::object{{"email", owner_email}, {"password", password}, {"tenant", slug}}),
           "");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const std::string owner = cookie_of(r);

  const std::string email = UniqueSlug("member") + "@example.com";
  r = post(nodes_[1], "/v1/invites",
           json::serialize(json::object{{"email", email}, {"role", "viewer"}}), owner);
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string token = TokenFromMail(nodes_[0].data_dir(), email, "invite");
  ASSERT_FALSE(token.empty());
  r = post(nodes_[2], "/auth/v1/invites/accept",
           json::serialize(json::object{{"token", token}, {"password", password}}), "");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const std::string member = cookie_of(r);
  const std::string member_id = [&] {
    const Response who = nodes_[2].Request("GET", "/v1/whoami", {{"Cookie", member}});
    return StringAt(who.Json(), "auth.user_id");
  }();
  const auto role_on = [&](const TestServer& node) {
    const Response who = node.Request("GET", "/v1/whoami", {{"Cookie", member}});
    return who.status == 200 ? StringAt(who.Json(), "auth.role") : std::to_string(who.status);
  };
  for (const TestServer& node : nodes_) ASSERT_EQ(role_on(node), "viewer");  // cached everywhere

  r = call(nodes_[0], "PATCH", "/v1/members/" + member_id, R"({"role":"member"})", owner);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(EveryNodeWithin(kPropagation,
                              [&](const TestServer& node) { return role_on(node) == "member"; }));

  r = call(nodes_[1], "DELETE", "/v1/members/" + member_id, "", owner);
  ASSERT_EQ(r.status, 204) << r.Describe();
  EXPECT_TRUE(EveryNodeWithin(kPropagation,
                              [&](const TestServer& node) { return role_on(node) == "401"; }));
}

TEST_F(Cluster, ARateLimitIsSharedExactlyByTheNodes) {
  const Tenant t = MustCreateTenant(nodes_[0]);
  std::atomic<int> admitted{0}, refused{0}, other{0};
  const auto start = steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&] {
      Connection conn(lb_port_);
      for (int i = 0; i < kRequestsPerMinute / 3; ++i) {
        Response r = conn.Request("GET", "/v1/whoami", ModeA(t));
        if (r.status == 200) {
          ++admitted;
        } else if (r.status == 429) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  const double refilled = kRequestsPerMinute / 60.0 * seconds;
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(admitted.load(), kRequestsPerMinute);
  EXPECT_LE(admitted.load(), kRequestsPerMinute * 1.01 + refilled + 1)
      << "over-admitted across the nodes in " << seconds << " s";
  EXPECT_EQ(admitted + refused, 2 * kRequestsPerMinute);
}

// Clients create products through haproxy, retrying with the same
// Idempotency-Key until they get a 201; meanwhile one node is killed.
// Afterwards every acknowledged product is there, each once.
TEST_F(Cluster, ANodeKilledMidLoadLosesNoAcknowledgedWrite) {
  const Tenant t = MustCreateTenant(nodes_[0], "bulk");
  Headers json_a = ModeA(t);
  json_a.push_back({"Content-Type", "application/json"});
  std::atomic<int> attempts{0}, failures{0};
  std::mutex mu;
  std::map<std::string, std::string> acknowledged;  // sku -> product id
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        const std::string sku = "SKU-" + std::to_string(c) + "-" + std::to_string(i);
        Headers h = json_a;
        h.push_back({"Idempotency-Key", sku});
        const std::string body = R"({"sku":")" + sku + R"(","name":"Widget","price_cents":100})";
        for (int tries = 0; tries < 50; ++tries) {
          ++attempts;
          Response r = Send(lb_port_, "POST", "/v1/products", h, body);
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged[sku] = StringAt(r.Json(), "product.id");
            break;
          }
          ++failures;
          std::this_thread::sleep_for(milliseconds(50));
        }
      }
    });
  }
  PollUntil([&] { return attempts >= 60; }, milliseconds(20000));
  nodes_[1].Signal(SIGKILL);
  ASSERT_NE(nodes_[1].WaitForExit(milliseconds(5000)), kStillRunning);
  const int at_kill = attempts;
  PollUntil([&] { return attempts >= at_kill + 120; }, milliseconds(30000));
  stop = true;
  for (auto& c : clients) c.join();

  // Only requests in flight on the killed node (or sent to it before
  // haproxy's check marked it down) may fail; each client then retried.
  EXPECT_LE(failures.load(), 12) << "of " << attempts.load() << " attempts";
  std::lock_guard lock(mu);
  ASSERT_GE(acknowledged.size(), 150u);
  for (const auto& [sku, id] : acknowledged) {
    Response r = Send(lb_port_, "GET", "/v1/products/" + id, ModeA(t));
    EXPECT_EQ(r.status, 200) << sku << ": " << r.Describe();
  }
  // Each SKU once: a retry after a lost answer did not write it twice.
  std::set<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    Response r =
        Send(lb_port_, "GET", "/v1/products?limit=100" + (cursor.empty() ? "" : "&after=" + cursor),
             ModeA(t));
    ASSERT_EQ(r.status, 200) << r.Describe();
    const json::value parsed = r.Json();
    const json::object& body = parsed.as_object();
    for (const json::value& item : body.at("data").as_array()) {
      EXPECT_TRUE(ids.insert(std::string(item.at("id").as_string())).second);
    }
    if (body.at("next_cursor").is_null()) break;
    cursor = std::string(body.at("next_cursor").as_string());
  }
  EXPECT_EQ(ids.size(), acknowledged.size());
}

// Without Redis the sessions live in the control store on PostgreSQL,
// where each node caches what it read for at most half a second: a session
// ended through one node stops working on the others within 1 s.
TEST(ClusterWithoutRedis, ASessionEndedOnOneNodeStopsWorkingOnTheOtherWithinOneSecond) {
  const std::string url = CreateTestDatabase();
  TestServer first, second;
  ASSERT_TRUE(first.Start({.env = {{"TENANTD_DATABASE_URL", url}}}));
  ASSERT_TRUE(second.Start(
      {.env = {{"TENANTD_DATABASE_URL", url}, {"TENANTD_ADMIN_TOKEN", first.admin_token()}},
       .set_admin_token = false,
       .data_dir = first.data_dir()}));
  Response created = first.CreateTenant(UniqueSlug("nr"));
  ASSERT_EQ(created.status, 201) << created.Describe();
  const Tenant t{StringAt(created.Json(), "tenant.id"),
                 StringAt(created.Json(), "credentials.app_key"),
                 StringAt(created.Json(), "credentials.app_secret")};
  Response signed_in = first.Request("GET", "/v1/whoami", ModeA(t));
  ASSERT_EQ(signed_in.status, 200);
  const std::string set_cookie = signed_in.Header("Set-Cookie");
  const Headers cookie = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  // Written behind (within 50 ms), then found by the other node.
  ASSERT_TRUE(PollUntil([&] { return second.Request("GET", "/v1/whoami", cookie).status == 200; },
                        kPropagation));

  ASSERT_EQ(first.Request("DELETE", "/v1/session", cookie).status / 100, 2);
  EXPECT_TRUE(PollUntil([&] { return second.Request("GET", "/v1/whoami", cookie).status == 401; },
                        kPropagation));
}

}  // namespace
}  // namespace tenantd::test
