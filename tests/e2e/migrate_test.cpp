// `tenantd migrate` (api.md §9, docs/operations.md "Tenant migrations"):
// tenants are created by the tenantd under test, then tenantd_next, the same
// CLI one tenant migration ahead (tests/next_release/main.cpp), upgrades
// them: all or one, concurrently, through a kill -9, past a tenant whose
// data makes the migration fail, behind a canary; `migrate status` and
// `migrate drift` report where the databases stand.
#include <signal.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/sqlite/connection.h"
#include "support/http_client.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

int64_t IntAt(const json::value& v, std::string_view key) {
  return v.as_object().at(key).to_number<int64_t>();
}

json::value ParseJson(const CommandResult& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (ec) {
    ADD_FAILURE() << "not one JSON document (exit " << r.exit_code << "):\n"
                  << r.out << "\nstderr:\n"
                  << r.err;
    return json::object();
  }
  return v;
}

// version -> tenants, from `migrate status --json`.
std::map<int64_t, int64_t> VersionCounts(const json::value& status) {
  std::map<int64_t, int64_t> counts;
  for (const json::value& entry : status.at("versions").as_array()) {
    counts[IntAt(entry, "version")] = IntAt(entry, "tenants");
  }
  return counts;
}

// The lines of `text` that report a failed tenant.
std::vector<std::string> FailureLines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::string& line : SplitLines(text)) {
    if (line.starts_with("tenant ") && line.find(": failed") != std::string::npos) {
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

::testing::AssertionResult FailsWithOneLine(const CommandResult& r) {
  if (r.timed_out) return ::testing::AssertionFailure() << "timed out";
  if (r.exit_code != 1) return ::testing::AssertionFailure() << "exit code " << r.exit_code;
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  if (err.empty() || err.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "stderr is not one line:\n" << r.err;
  }
  return ::testing::AssertionSuccess() << err;
}

class Migrate : public ::testing::Test {
 protected:
  // `tenantd <args> --data DIR`: the release the tenants were created with.
  CommandResult Tenantd(std::vector<std::string> args) {
    args.insert(args.end(), {"--data", dir_.data_dir().string()});
    return RunTenantd(args);
  }

  // `tenantd_next <args> --data DIR` with TENANTD_NEXT_MIGRATION=`migration`.
  CommandResult Next(std::vector<std::string> args, const std::string& migration = "light",
                     std::chrono::milliseconds timeout = 60s) {
    std::vector<std::string> argv = {TENANTD_NEXT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data", dir_.data_dir().string()});
    return RunCommand(argv, {{"TENANTD_NEXT_MIGRATION", migration}}, timeout);
  }

  json::value NextStatus(const std::string& migration = "light") {
    return ParseJson(Next({"migrate", "status", "--json"}, migration));
  }

  // Creates a tenant with the CLI; returns its id.
  std::string CreateTenant(const std::string& slug) {
    CommandResult r = Tenantd({"tenant", "create", "--slug", slug, "--name", slug, "--json"});
    if (r.exit_code != 0) throw std::runtime_error("tenant create " + slug + ": " + r.err);
    return StringAt(ParseJson(r), "tenant.id");
  }

  // Tenants created one after the other: id order is creation order.
  std::vector<std::string> CreateTenants(int n, const std::string& prefix) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(CreateTenant(UniqueSlug(prefix)));
    return ids;
  }

  // The newest tenant schema version of the tenantd under test.
  int64_t BaseVersion() {
    if (base_version_ == 0) {
      base_version_ = IntAt(ParseJson(Tenantd({"migrate", "status", "--json"})), "latest_version");
    }
    return base_version_;
  }

  fs::path DatabaseOf(const std::string& id) const {
    return dir_.data_dir() / "tenants" / (id + ".db");
  }

  std::unique_ptr<storage::sqlite::Connection> OpenDatabase(const std::string& id) const {
    storage::sqlite::OpenOptions options;
    options.create_if_missing = false;
    auto db = storage::sqlite::Connection::Open(DatabaseOf(id), options);
    if (!db) throw std::runtime_error("cannot open " + DatabaseOf(id).string());
    return std::move(*db);
  }

  int64_t QueryInt(const std::string& id, std::string_view sql) const {
    std::unique_ptr<storage::sqlite::Connection> db = OpenDatabase(id);
    storage::sqlite::Statement st = db->Prepare(sql).value();
    if (!st.Step().value()) throw std::runtime_error("no row for " + std::string(sql));
    return st.ColumnInt64(0);
  }

  // PRAGMA user_version: what the server checks before serving a tenant.
  int64_t UserVersion(const std::string& id) const { return QueryInt(id, "PRAGMA user_version"); }
  // The newest migration recorded in schema_migrations.
  int64_t RecordedVersion(const std::string& id) const {
    return QueryInt(id, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  }

  void Exec(const std::string& id, std::string_view sql) const {
    OpenDatabase(id)->Exec(sql).value();
  }

  // Two products named alike: what the unique_names migration cannot take.
  void GiveTwoProductsTheSameName(const std::string& id) const {
    std::unique_ptr<storage::sqlite::Connection> db = OpenDatabase(id);
    for (const char* n : {"1", "2"}) {
      storage::sqlite::Statement st =
          db->Prepare(
                "INSERT INTO products (id, sku, name, price_cents, currency, attributes, version,"
                " created_at, updated_at) VALUES (?, ?, 'Same name', 100, 'EUR', '{}', 1,"
                " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
              .value();
      st.Bind(1, std::string("prd_dup") + n).Bind(2, std::string("SKU-") + n);
      st.Step().value();
    }
  }

  TestServer dir_;  // for its data dir; started only to create many tenants fast
  int64_t base_version_ = 0;
};

TEST_F(Migrate, AllBringsEveryTenantToTheNextVersionWhateverItsStatus) {
  std::vector<std::string> ids = CreateTenants(4, "all");
  ASSERT_EQ(Tenantd({"tenant", "suspend", ids[1]}).exit_code, 0);
  ASSERT_EQ(Tenantd({"tenant", "delete", ids[2]}).exit_code, 0);  // kept until purged
  const int64_t next = BaseVersion() + 1;

  CommandResult r = Next({"migrate", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("migrated 4, already current 0, failed 0, created 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("4/4 (100%)"), std::string::npos) << r.err;
  for (const std::string& id : ids) {
    EXPECT_EQ(UserVersion(id), next) << id;
    EXPECT_EQ(RecordedVersion(id), next) << id;
  }

  json::value status = NextStatus();
  EXPECT_EQ(IntAt(status, "latest_version"), next);
  EXPECT_EQ(IntAt(status, "tenants"), 4);
  EXPECT_EQ(IntAt(status, "at_latest"), 4);
  EXPECT_EQ(VersionCounts(status), (std::map<int64_t, int64_t>{{next, 4}}));
  EXPECT_TRUE(status.at("not_at_latest").as_array().empty()) << status;
  EXPECT_EQ(Next({"migrate", "drift", "--all"}).exit_code, 0);

  json::value again = ParseJson(Next({"migrate", "--all", "--json"}));
  EXPECT_EQ(IntAt(again, "migrated"), 0);
  EXPECT_EQ(IntAt(again, "already_current"), 4);
  EXPECT_EQ(IntAt(again, "failed"), 0);
  EXPECT_EQ(IntAt(again, "created"), 0);
}

TEST_F(Migrate, StatusCountsVersionsAndMigrateCreatesAMissingDatabase) {
  std::vector<std::string> ids = CreateTenants(3, "status");
  const int64_t base = BaseVersion();
  ASSERT_EQ(Next({"migrate", "--tenant", ids[0]}).exit_code, 0);
  ASSERT_TRUE(fs::remove(DatabaseOf(ids[2])));  // as for a tenant older than tenant databases

  json::value status = NextStatus();
  EXPECT_EQ(IntAt(status, "at_latest"), 1);
  EXPECT_EQ(VersionCounts(status), (std::map<int64_t, int64_t>{{base, 1}, {base + 1, 1}}));
  const json::array& behind = status.at("not_at_latest").as_array();
  ASSERT_EQ(behind.size(), 1u) << status;
  EXPECT_EQ(StringAt(behind[0], "id"), ids[1]);
  EXPECT_EQ(IntAt(behind[0], "version"), base);
  const json::array& missing = status.at("missing").as_array();
  ASSERT_EQ(missing.size(), 1u) << status;
  EXPECT_EQ(StringAt(missing[0], "id"), ids[2]);
  CommandResult human = Next({"migrate", "status"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find(ids[1] + " ("), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("at version " + std::to_string(base)), std::string::npos) << human.out;

  json::value summary = ParseJson(Next({"migrate", "--all", "--json"}));
  EXPECT_EQ(IntAt(summary, "migrated"), 1);
  EXPECT_EQ(IntAt(summary, "already_current"), 1);
  EXPECT_EQ(IntAt(summary, "created"), 1);
  EXPECT_EQ(IntAt(summary, "failed"), 0);
  ASSERT_TRUE(fs::exists(DatabaseOf(ids[2])));
  EXPECT_EQ(UserVersion(ids[2]), base + 1);
}

TEST_F(Migrate, RemovesDatabaseFilesNoTenantOwnsFirst) {
  CreateTenants(1, "owner");
  const fs::path tenants = dir_.data_dir() / "tenants";
  WriteFile(tenants / "ten_00000000000000000000000000.db", "");
  WriteFile(tenants / "ten_00000000000000000000000001.db.provisioning", "");
  CommandResult r = Next({"migrate", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(tenants / "ten_00000000000000000000000000.db"));
  EXPECT_FALSE(fs::exists(tenants / "ten_00000000000000000000000001.db.provisioning"));
  EXPECT_NE(r.out.find("removed tenants/ten_00000000000000000000000000.db"), std::string::npos)
      << r.out;
}

// The issue's first demand: a kill -9 during `migrate --all` over 200
// tenants, then a re-run completes every tenant.
TEST_F(Migrate, KillDuringMigrateAllThenRerunCompletesEveryTenant) {
  constexpr int kTenants = 200;
  ASSERT_TRUE(dir_.Start());  // 200 CLI processes under ASan would take half a minute
  for (int i = 0; i < kTenants; ++i) {
    Response created = dir_.CreateTenant(UniqueSlug("kill"));
    ASSERT_EQ(created.status, 201) << created.Describe();
  }
  ASSERT_EQ(dir_.Stop(), 0);
  const int64_t base = BaseVersion();

  // `slow` takes tens of milliseconds per tenant, so two jobs need seconds
  // for 200 tenants, while the first progress line comes after 10 (5%):
  // the kill lands mid-run. Should the run ever finish first, every check
  // below still holds.
  BackgroundCommand run(
      {TENANTD_NEXT_BINARY, "migrate", "--all", "--jobs", "2", "--data", dir_.data_dir().string()},
      {{"TENANTD_NEXT_MIGRATION", "slow"}});
  ASSERT_TRUE(run.started()) << run.Err();
  static const std::regex kProgressLine(R"((^|\n)\d+/200 \()");
  ASSERT_TRUE(PollUntil([&] { return std::regex_search(run.Err(), kProgressLine); }, 90s))
      << run.Err();
  run.Signal(SIGKILL);
  const int killed = run.Wait(10s);
  EXPECT_TRUE(killed == 128 + SIGKILL || killed == 0) << killed;

  json::value status = NextStatus("slow");
  EXPECT_TRUE(status.at("missing").as_array().empty()) << status;
  EXPECT_TRUE(status.at("unreadable").as_array().empty()) << status;
  const int64_t done_before_kill = IntAt(status, "at_latest");
  EXPECT_GE(done_before_kill, 10);  // the progress line had counted them
  // Each migration commits whole: every tenant is at the old or the new
  // version, none in between, and no schema is half changed.
  std::map<int64_t, int64_t> counts = VersionCounts(status);
  EXPECT_EQ(counts[base] + counts[base + 1], kTenants) << status;
  EXPECT_EQ(Next({"migrate", "drift", "--all"}, "slow").exit_code, 0);
  if (done_before_kill == kTenants) {
    std::cout << "[ note ] the run had finished before the kill; the re-run has nothing to do\n";
  }

  CommandResult rerun = Next({"migrate", "--all", "--jobs", "2", "--json"}, "slow", 180s);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  json::value summary = ParseJson(rerun);
  EXPECT_EQ(IntAt(summary, "migrated"), kTenants - done_before_kill);
  EXPECT_EQ(IntAt(summary, "already_current"), done_before_kill);
  EXPECT_EQ(IntAt(summary, "failed"), 0);
  EXPECT_EQ(IntAt(summary, "created"), 0);
  status = NextStatus("slow");
  EXPECT_EQ(IntAt(status, "at_latest"), kTenants) << status;
}

// The issue's second demand: a migration that fails for one tenant leaves
// the others migrated and that one at its previous version.
TEST_F(Migrate, FailingMigrationLeavesThatTenantAtItsVersionAndMigratesTheOthers) {
  std::vector<std::string> ids = CreateTenants(4, "uniq");
  const std::string& bad = ids[1];
  GiveTwoProductsTheSameName(bad);
  const int64_t base = BaseVersion();

  CommandResult r = Next({"migrate", "--all"}, "unique_names");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::vector<std::string> failures = FailureLines(r.out);
  ASSERT_EQ(failures.size(), 1u) << r.out;
  EXPECT_TRUE(failures[0].starts_with("tenant " + bad + " (uniq-")) << failures[0];
  EXPECT_NE(failures[0].find("failed at version " + std::to_string(base + 1) + ": "),
            std::string::npos)
      << failures[0];
  EXPECT_NE(failures[0].find("UNIQUE"), std::string::npos) << failures[0];
  EXPECT_NE(r.out.find("migrated 3, already current 0, failed 1, created 0"), std::string::npos)
      << r.out;

  EXPECT_EQ(UserVersion(bad), base);
  EXPECT_EQ(RecordedVersion(bad), base);
  EXPECT_EQ(QueryInt(bad, "SELECT COUNT(*) FROM products"), 2);
  for (const std::string& id : ids) {
    if (id == bad) continue;
    EXPECT_EQ(UserVersion(id), base + 1) << id;
    EXPECT_EQ(RecordedVersion(id), base + 1) << id;
  }

  // Until its data is fixed the tenant fails again, alone.
  CommandResult again = Next({"migrate", "--all", "--json"}, "unique_names");
  EXPECT_EQ(again.exit_code, 1);
  json::value summary = ParseJson(again);
  EXPECT_EQ(IntAt(summary, "already_current"), 3);
  EXPECT_EQ(IntAt(summary, "failed"), 1);
  const json::array& listed = summary.at("failures").as_array();
  ASSERT_EQ(listed.size(), 1u) << summary;
  EXPECT_EQ(StringAt(listed[0], "id"), bad);
  EXPECT_EQ(IntAt(listed[0], "version"), base);
  EXPECT_EQ(IntAt(listed[0], "failed_version"), base + 1);
}

TEST_F(Migrate, CanaryFailureStopsBeforeTouchingTheOtherTenants) {
  std::vector<std::string> ids = CreateTenants(6, "canary");
  GiveTwoProductsTheSameName(ids[0]);  // the oldest tenant: in the canary
  const int64_t base = BaseVersion();

  CommandResult r = Next({"migrate", "--all", "--canary", "3"}, "unique_names");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("canary"), std::string::npos) << r.err;
  std::vector<std::string> failures = FailureLines(r.out);
  ASSERT_EQ(failures.size(), 1u) << r.out;
  EXPECT_NE(failures[0].find(ids[0]), std::string::npos) << failures[0];

  EXPECT_EQ(UserVersion(ids[0]), base);
  EXPECT_EQ(UserVersion(ids[1]), base + 1);  // the rest of the canary ran to its end
  EXPECT_EQ(UserVersion(ids[2]), base + 1);
  for (std::size_t i = 3; i < ids.size(); ++i) {
    EXPECT_EQ(UserVersion(ids[i]), base) << ids[i];
    EXPECT_EQ(RecordedVersion(ids[i]), base) << ids[i];
  }
}

TEST_F(Migrate, CanaryThatSucceedsGoesOnWithEveryTenant) {
  std::vector<std::string> ids = CreateTenants(4, "canary-ok");
  CommandResult r = Next({"migrate", "--all", "--canary", "2", "--jobs", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string& id : ids) EXPECT_EQ(UserVersion(id), BaseVersion() + 1) << id;
}

TEST_F(Migrate, DriftNamesTheTenantAndTheObjectsChangedByHand) {
  std::vector<std::string> ids = CreateTenants(2, "drift");
  Exec(ids[1], "DROP INDEX idempotency_keys_created_at; CREATE TABLE extra (x INTEGER)");

  CommandResult r = Tenantd({"migrate", "drift", "--all"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("tenant " + ids[1]), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missing index idempotency_keys_created_at"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unexpected table extra"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(ids[0]), std::string::npos) << r.out;

  json::value report = ParseJson(Tenantd({"migrate", "drift", "--json"}));
  EXPECT_EQ(IntAt(report, "drifted"), 1);
  ASSERT_EQ(report.at("drift").as_array().size(), 1u) << report;
  EXPECT_EQ(StringAt(report.at("drift").as_array()[0], "id"), ids[1]);

  EXPECT_EQ(Tenantd({"migrate", "drift", "--tenant", ids[0]}).exit_code, 0);
}

TEST_F(Migrate, DriftOnAnUntouchedDataDirFindsNothing) {
  CreateTenants(2, "clean");
  CommandResult r = Tenantd({"migrate", "drift"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no drift in 2 tenants"), std::string::npos) << r.out;
}

TEST_F(Migrate, OneTenantBySlugOrIdMigratesOnlyThatOne) {
  const int64_t base = BaseVersion();
  const std::string a = CreateTenant("only-a");
  const std::string b = CreateTenant("only-b");
  const std::string c = CreateTenant("only-c");

  CommandResult r = Next({"migrate", "--tenant", "only-b"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("migrated 1, already current 0, failed 0, created 0"), std::string::npos)
      << r.out;
  EXPECT_EQ(UserVersion(a), base);
  EXPECT_EQ(UserVersion(b), base + 1);
  EXPECT_EQ(UserVersion(c), base);

  ASSERT_EQ(Next({"migrate", "--tenant", c}).exit_code, 0);
  EXPECT_EQ(UserVersion(c), base + 1);
  EXPECT_EQ(UserVersion(a), base);
}

// The server keeps its pooled handle on a tenant between requests, and with
// it the database's -wal and -shm files (SQLITE_FCNTL_PERSIST_WAL), while
// tenantd_next migrates that tenant from another process: the server goes
// on reading and writing it, and once the server stops the database file
// alone holds everything, because the last close checkpointed.
TEST_F(Migrate, ATenantTheServerHoldsOpenIsMigratedSafelyByAnotherProcess) {
  ASSERT_TRUE(dir_.Start());
  Response created = dir_.CreateTenant(UniqueSlug("held"));
  ASSERT_EQ(created.status, 201) << created.Describe();
  const json::value body = created.Json();
  const std::string id = StringAt(body, "tenant.id");
  const Headers app = {{"X-App-Key", StringAt(body, "credentials.app_key")},
                       {"X-App-Secret", StringAt(body, "credentials.app_secret")},
                       {"Content-Type", "application/json"}};
  auto add = [&](const std::string& sku) {
    return dir_.Request(
        "POST", "/v1/products", app,
        R"({"sku":")" + sku + R"(","name":"Mug )" + sku + R"(","price_cents":100})");
  };
  ASSERT_EQ(add("HELD-1").status, 201);
  const fs::path wal = DatabaseOf(id).string() + "-wal";
  ASSERT_TRUE(fs::exists(wal));

  CommandResult r = Next({"migrate", "--tenant", id});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(add("HELD-2").status, 201);
  Response list = dir_.Request("GET", "/v1/products", app);
  ASSERT_EQ(list.status, 200) << list.Describe();
  EXPECT_EQ(list.Json().at("data").as_array().size(), 2u);

  ASSERT_EQ(dir_.Stop(), 0);
  ASSERT_TRUE(fs::exists(wal));  // kept for the next open, and empty
  EXPECT_EQ(fs::file_size(wal), 0u);
  const std::string copy_id = id + "-copy";
  fs::copy_file(DatabaseOf(id), DatabaseOf(copy_id));  // the .db file alone
  EXPECT_EQ(UserVersion(copy_id), BaseVersion() + 1);
  EXPECT_EQ(QueryInt(copy_id, "SELECT count(*) FROM products"), 2);
}

TEST_F(Migrate, UnknownTenantFailsWithAOneLineError) {
  CreateTenants(1, "known");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"migrate", "--tenant", "no-such-tenant"},
        std::vector<std::string>{"migrate", "drift", "--tenant", "no-such-tenant"}}) {
    CommandResult r = Next(args);
    EXPECT_TRUE(FailsWithOneLine(r)) << args[1];
    EXPECT_NE(r.err.find("no-such-tenant"), std::string::npos) << r.err;
  }
}

TEST_F(Migrate, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> usages = {
      {"migrate"},
      {"migrate", "--tenant", "x", "--all"},
      {"migrate", "--all", "--jobs", "0"},
      {"migrate", "--all", "--jobs", "65"},
      {"migrate", "--tenant", "x", "--canary", "2"},
      {"migrate", "--all", "--canary", "0"},
      {"migrate", "status", "--all"},
      {"migrate", "drift", "--tenant", "x", "--all"},
  };
  for (const std::vector<std::string>& args : usages) {
    CommandResult r = Tenantd(args);
    std::string joined;
    for (const std::string& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

}  // namespace
}  // namespace tenantd::test
