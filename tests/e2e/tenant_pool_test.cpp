// The tenant database pool under churn (docs/operations.md "Tenant database
// handles"): a server with far fewer handles than tenants opens and closes
// tenant databases on every few requests, on its own threads, while
// `tenantd backup`, `tenantd restore` and `tenantd_next migrate` work on the
// same databases from other processes. Nothing acknowledged is lost (except
// what a restore replaces by design), no database is corrupt, and the only
// refusals are the documented 503s.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/connection.h"
#include "support/http_client.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

struct Tenant {
  std::string id, slug, app_key, app_secret;
};

// True when the statement produced a row.
bool Row(storage::sqlite::Statement& st) {
  auto row = st.Step();
  return row && *row;
}

// Where the CLI work stands; a write's phase decides whether it must
// survive the restore of the restored tenant.
enum Phase : int { kBeforeBackup = 0, kBackupOrRestore = 1, kRestored = 2 };

struct Write {
  std::string sku;
  int sent_phase;   // read just before sending
  int acked_phase;  // read just after the 201
};

class TenantPoolChurn : public ::testing::Test {
 protected:
  static constexpr int kTenants = 8;
  static constexpr int kLoadThreads = 3;

  void SetUp() override {
    const fs::path config = server_.root() / "tenantd.toml";
    // The load sends far more than a free tenant's requests a minute.
    WriteFile(config,
              "[plans.free]\nrequests_per_minute = 100000000\n"
              "auth_requests_per_minute = 100000000\n");
    // Three handles for eight tenants: most requests open a database and
    // close another.
    ASSERT_TRUE(server_.Start(
        {.args = {"--config", config.string()}, .env = {{"TENANTD_TENANT_DB_POOL_SIZE", "3"}}}));
    for (int i = 0; i < kTenants; ++i) {
      const std::string slug = UniqueSlug("churn");
      Response r = server_.CreateTenant(slug);
      ASSERT_EQ(r.status, 201) << r.Describe();
      const json::value body = r.Json();
      tenants_.push_back({StringAt(body, "tenant.id"), slug, StringAt(body, "credentials.app_key"),
                          StringAt(body, "credentials.app_secret")});
    }
  }

  Response Call(const Tenant& t, std::string_view method, std::string_view target,
                std::string_view body = {}) const {
    Headers h = {{"X-App-Key", t.app_key}, {"X-App-Secret", t.app_secret}};
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    return server_.Request(method, target, h, body);
  }

  // One load thread: writes a product, reads the tenant's list, next tenant.
  void Load(int thread) {
    for (int n = 0; !stop_; ++n) {
      const int which = (n + thread * 3) % kTenants;
      const Tenant& t = tenants_[which];
      const std::string sku = "T" + std::to_string(thread) + "-" + std::to_string(n);
      const int sent = phase_.load();
      Response w = Call(t, "POST", "/v1/products",
                        R"({"sku":")" + sku + R"(","name":"Mug","price_cents":100})");
      const int acked = phase_.load();
      Check(w, 201);
      Response r = Call(t, "GET", "/v1/products?limit=5");
      Check(r, 200);
      std::lock_guard lock(mu_);
      if (w.status == 201) writes_[which].push_back({sku, sent, acked});
      ++requests_;
      cv_.notify_all();
    }
  }

  // The answer is `ok`, or one of the documented retry-later refusals.
  void Check(const Response& r, int ok) {
    if (r.status == ok) return;
    std::string code;
    if (r.status == 503) {
      boost::system::error_code ec;
      json::value v = json::parse(r.body, ec);
      if (!ec && v.is_object()) code = StringAt(v, "code");
      if (code == "tenant_restoring" || code == "tenant_migrating" ||
          code == "service_unavailable") {
        std::lock_guard lock(mu_);
        ++refusals_[code];
        return;
      }
    }
    std::lock_guard lock(mu_);
    failures_.push_back(r.Describe());
  }

  // Waits (on the load's progress, not the clock) for `more` requests.
  void AwaitRequests(int more) {
    std::unique_lock lock(mu_);
    const int target = requests_ + more;
    ASSERT_TRUE(cv_.wait_for(lock, 120s, [&] { return requests_ >= target || !failures_.empty(); }))
        << "the load stalled";
  }

  CommandResult Cli(std::vector<std::string> args) const {
    args.insert(args.end(), {"--data", server_.data_dir().string()});
    return RunTenantd(args, {}, 120s);
  }

  CommandResult Next(std::vector<std::string> args) const {
    std::vector<std::string> argv = {TENANTD_NEXT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data", server_.data_dir().string()});
    return RunCommand(argv, {{"TENANTD_NEXT_MIGRATION", "light"}}, 120s);
  }

  std::unique_ptr<storage::sqlite::Connection> OpenDb(const Tenant& t) const {
    storage::sqlite::OpenOptions options;
    options.create_if_missing = false;
    auto db =
        storage::sqlite::Connection::Open(server_.data_dir() / "tenants" / (t.id + ".db"), options);
    if (!db) throw std::runtime_error("open " + t.id + ": " + db.error().log_detail);
    return std::move(*db);
  }

  std::string Text(storage::sqlite::Connection& db, std::string_view sql) const {
    auto st = db.Prepare(sql);
    if (!st || !Row(*st)) return "(no row)";
    return st->ColumnText(0);
  }

  std::set<std::string> Skus(storage::sqlite::Connection& db) const {
    std::set<std::string> skus;
    auto st = db.Prepare("SELECT sku FROM products");
    while (st && Row(*st)) skus.insert(st->ColumnText(0));
    return skus;
  }

  TestServer server_;
  std::vector<Tenant> tenants_;
  std::atomic<bool> stop_{false};
  std::atomic<int> phase_{kBeforeBackup};
  std::mutex mu_;
  std::condition_variable cv_;
  int requests_ = 0;
  std::map<int, std::vector<Write>> writes_;
  std::map<std::string, int> refusals_;
  std::vector<std::string> failures_;
};

TEST_F(TenantPoolChurn, BackupRestoreAndMigrateByOtherProcessesLoseNothingAndCorruptNothing) {
  std::vector<std::thread> load;
  for (int t = 0; t < kLoadThreads; ++t) load.emplace_back([this, t] { Load(t); });
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } joiner{stop_, load};

  const Tenant& restored = tenants_[0];
  AwaitRequests(60);
  phase_ = kBackupOrRestore;
  CommandResult backup = Cli({"backup", "--tenant", restored.slug, "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  const fs::path archive = server_.data_dir() / StringAt(json::parse(backup.out), "backups.0.path");
  AwaitRequests(60);
  CommandResult restore =
      Cli({"restore", "--tenant", restored.slug, "--archive", archive.string()});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  phase_ = kRestored;
  AwaitRequests(60);
  CommandResult migrate = Next({"migrate", "--all"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  AwaitRequests(60);
  stop_ = true;
  for (auto& t : load) t.join();
  load.clear();

  EXPECT_TRUE(failures_.empty()) << failures_.size() << " unexpected answers, the first: "
                                 << (failures_.empty() ? "" : failures_.front());
  for (const auto& [code, count] : refusals_) {
    std::cout << "refused " << count << " time(s) with " << code << "\n";
  }
  ASSERT_EQ(server_.Stop(), 0);

  const std::string next_version = [&] {
    CommandResult status = Next({"migrate", "status", "--json"});
    return std::to_string(json::parse(status.out).at("latest_version").to_number<int64_t>());
  }();
  for (int i = 0; i < kTenants; ++i) {
    const Tenant& t = tenants_[i];
    auto db = OpenDb(t);
    EXPECT_EQ(Text(*db, "PRAGMA integrity_check"), "ok") << t.id;
    EXPECT_EQ(Text(*db, "PRAGMA user_version"), next_version) << t.id;
    const std::set<std::string> skus = Skus(*db);
    int checked = 0;
    for (const Write& w : writes_[i]) {
      // The restore brings back the backup: writes acknowledged between the
      // backup and the end of the restore may be gone, by design.
      const bool must_survive =
          i != 0 || w.acked_phase == kBeforeBackup || w.sent_phase == kRestored;
      if (!must_survive) continue;
      EXPECT_TRUE(skus.contains(w.sku)) << "lost write " << w.sku << " of " << t.id;
      ++checked;
    }
    EXPECT_GT(checked, 0) << t.id;
  }
}

}  // namespace
}  // namespace tenantd::test
