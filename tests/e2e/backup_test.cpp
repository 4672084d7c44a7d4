// Backups, restores and usage through the real binary (api.md §3 and §9,
// docs/operations.md "Backups"): a backup taken while a writer keeps
// inserting restores into a new tenant identical to the snapshot; a
// corrupted archive is refused by verify and restore and changes nothing; a
// restore killed midway leaves the tenant as it was (or, past its commit
// point, finished); the tenant answers 503 tenant_restoring meanwhile;
// `backup --all` over 100 tenants with retention; the admin routes; usage
// numbers match the requests made; a purge removes the backups.
//
// Files are uploaded through POST /v1/files; the comparisons read the
// tenant's upload tree (<data>/storage/uploads/<tenant_id>/) directly.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "crypto/crypto.h"
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

std::string Payload(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 7;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class Backup : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  fs::path Data() const { return server_.data_dir(); }

  Tenant MustCreateTenant(std::string slug) {
    Response r = server_.CreateTenant(slug);
    if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
    const json::value body = r.Json();
    return Tenant{StringAt(body, "tenant.id"), slug, StringAt(body, "credentials.app_key"),
                  StringAt(body, "credentials.app_secret")};
  }

  Response Call(const Tenant& t, std::string_view method, std::string_view target,
                std::string_view body = {}) const {
    Headers h = {{"X-App-Key", t.app_key}, {"X-App-Secret", t.app_secret}};
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    return server_.Request(method, target, h, body);
  }

  static std::string ProductBody(int n) {
    return R"({"sku":"SKU-)" + std::to_string(n) + R"(","name":"Mug )" + std::to_string(n) +
           R"(","price_cents":)" + std::to_string(100 + n) + "}";
  }

  void MustAddProduct(const Tenant& t, int n) {
    Response r = Call(t, "POST", "/v1/products", ProductBody(n));
    ASSERT_EQ(r.status, 201) << r.Describe();
  }

  std::unique_ptr<storage::sqlite::Connection> OpenTenantDb(const Tenant& t) const {
    storage::sqlite::OpenOptions options;
    options.create_if_missing = false;
    auto db = storage::sqlite::Connection::Open(Data() / "tenants" / (t.id + ".db"), options);
    if (!db) throw std::runtime_error("open tenant db: " + db.error().log_detail);
    return std::move(*db);
  }

  // Uploads a file through POST /v1/files (raw body); the answer.
  Response AddFile(const Tenant& t, const std::string& bytes) const {
    Response r = server_.Request("POST", "/v1/files",
                                 {{"X-App-Key", t.app_key},
                                  {"X-App-Secret", t.app_secret},
                                  {"Content-Type", "application/octet-stream"},
                                  {"X-Filename", "data.bin"}},
                                 bytes);
    if (r.status != 201) throw std::runtime_error("upload: " + r.Describe());
    return r;
  }

  std::vector<std::string> ProductRows(const Tenant& t) const {
    auto db = OpenTenantDb(t);
    std::vector<std::string> rows;
    auto st = db->Prepare(
        "SELECT id, sku, name, price_cents, currency, attributes, version, created_at,"
        " updated_at FROM products ORDER BY id");
    for (;;) {
      auto row = st->Step();
      if (!row || !*row) break;
      std::string line;
      for (int c = 0; c < 9; ++c) line += st->ColumnText(c) + "|";
      rows.push_back(std::move(line));
    }
    return rows;
  }

  std::map<std::string, std::string> Uploads(const Tenant& t) const {
    std::map<std::string, std::string> files;
    const fs::path root = Data() / "storage" / "uploads" / t.id;
    if (!fs::exists(root)) return files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) {
        files[fs::relative(e.path(), root).generic_string()] = ReadFile(e.path());
      }
    }
    return files;
  }

  CommandResult Cli(std::vector<std::string> args, const Env& env = {}) const {
    args.push_back("--data");
    args.push_back(Data().string());
    return RunTenantd(args, env, 120s);
  }

  static json::value JsonOut(const CommandResult& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    if (ec) {
      ADD_FAILURE() << "not JSON (exit " << r.exit_code << "):\n" << r.out << "\n" << r.err;
      return json::object();
    }
    return v;
  }

  // `tenantd backup --tenant <t> --json`: the archive's path.
  fs::path MustBackUp(const Tenant& t) const {
    CommandResult r = Cli({"backup", "--tenant", t.slug, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const json::value v = JsonOut(r);
    const std::string rel = StringAt(v, "backups.0.path");
    EXPECT_FALSE(rel.empty()) << r.out;
    return Data() / rel;
  }

  TestServer server_;
};

TEST_F(Backup, TakenWhileAWriterInsertsItRestoresAsANewTenantEqualToTheSnapshot) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 30; ++i) MustAddProduct(acme, i);
  for (unsigned i = 0; i < 3; ++i) AddFile(acme, Payload(200'000 + i * 77'777, i));
  const auto files = Uploads(acme);

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int n = 1000; !stop.load(); ++n) {
      if (Call(acme, "POST", "/v1/products", ProductBody(n)).status == 201) written.fetch_add(1);
    }
  });
  ASSERT_TRUE(PollUntil([&] { return written.load() >= 5; }, 20s));
  const fs::path archive = MustBackUp(acme);
  const int written_at_end = written.load();
  stop = true;
  writer.join();
  ASSERT_TRUE(fs::exists(archive)) << archive;
  EXPECT_EQ(archive.parent_path(), Data() / "backups" / acme.id);
  EXPECT_TRUE(archive.filename().string().ends_with(".tar.gz"));

  const std::string copy_slug = acme.slug + "-copy";
  CommandResult r = Cli({"restore", "--tenant", acme.slug, "--archive", archive.string(),
                         "--as-new-slug", copy_slug, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Two reads of the archive, each with its progress line on stderr (the
  // check before the new tenant is made, then the restore); stdout stays
  // one JSON document.
  std::size_t finished_lines = 0;
  for (std::size_t at = r.err.find(" (100%), "); at != std::string::npos;
       at = r.err.find(" (100%), ", at + 1)) {
    ++finished_lines;
  }
  EXPECT_EQ(finished_lines, 2u) << r.err;
  const json::value out = JsonOut(r);
  const Tenant copy{StringAt(out, "tenant.id"), copy_slug, StringAt(out, "credentials.app_key"),
                    StringAt(out, "credentials.app_secret")};
  ASSERT_FALSE(copy.id.empty()) << r.out;

  // The snapshot is one committed state of an insert-only writer: exactly
  // the first rows (ids sort by creation), each byte-identical.
  const auto original = ProductRows(acme);
  const auto restored = ProductRows(copy);
  EXPECT_GE(restored.size(), 30u + 5u);
  EXPECT_LE(restored.size(), 30u + static_cast<std::size_t>(written_at_end) + 1);
  ASSERT_LE(restored.size(), original.size());
  EXPECT_TRUE(std::equal(restored.begin(), restored.end(), original.begin()));
  EXPECT_EQ(Uploads(copy), files);
  // And the new tenant serves them with its own credentials.
  // (A running server notices that another process's restore is over at
  // its next sweep, within a quarter of a second.)
  Response list;
  ASSERT_TRUE(PollUntil(
      [&] {
        list = Call(copy, "GET", "/v1/products?limit=500");
        return list.status == 200;
      },
      5s))
      << list.Describe();
  EXPECT_EQ(list.Json().at("data").as_array().size(), std::min<std::size_t>(restored.size(), 500));
}

// The server keeps its pooled handle on the tenant between requests, and
// with it the database's -wal and -shm files (SQLITE_FCNTL_PERSIST_WAL):
// `tenantd backup` and `tenantd restore` run by other processes meanwhile
// see and replace what the server wrote, the server serves the restored
// state through the handle it kept, and once it stops the database file
// alone holds everything, because the last close checkpointed.
TEST_F(Backup, BackupAndRestoreByAnotherProcessAreSafeWhileTheServerHoldsTheTenantOpen) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 3; ++i) MustAddProduct(acme, i);
  const fs::path db = Data() / "tenants" / (acme.id + ".db");
  ASSERT_TRUE(fs::exists(db.string() + "-wal"));
  const fs::path archive = MustBackUp(acme);
  MustAddProduct(acme, 3);
  ASSERT_EQ(ProductRows(acme).size(), 4u);

  CommandResult r = Cli({"restore", "--tenant", acme.slug, "--archive", archive.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The extraction's progress on stderr: one final line, the whole archive read.
  EXPECT_NE(r.err.find(" (100%), "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", took "), std::string::npos) << r.err;
  Response list;
  ASSERT_TRUE(PollUntil(
      [&] {
        list = Call(acme, "GET", "/v1/products");
        return list.status == 200;
      },
      5s))
      << list.Describe();
  EXPECT_EQ(list.Json().at("data").as_array().size(), 3u);
  MustAddProduct(acme, 4);

  ASSERT_EQ(server_.Stop(), 0);
  EXPECT_EQ(fs::file_size(db.string() + "-wal"), 0u);
  const fs::path alone = Data() / "alone.db";
  fs::copy_file(db, alone);
  auto copy = storage::sqlite::Connection::Open(alone);
  ASSERT_TRUE(copy) << copy.error().log_detail;
  auto count = (*copy)->Prepare("SELECT count(*) FROM products");
  ASSERT_TRUE(count);
  auto row = count->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(count->ColumnInt64(0), 4);
}

TEST_F(Backup, CorruptedArchiveIsRefusedByVerifyAndRestoreAndChangesNothing) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 10; ++i) MustAddProduct(acme, i);
  AddFile(acme, Payload(100'000, 1));
  const fs::path archive = MustBackUp(acme);
  CommandResult good = Cli({"backup", "verify", archive.string()});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_NE(good.out.find("ok:"), std::string::npos) << good.out;

  MustAddProduct(acme, 99);
  const auto rows = ProductRows(acme);
  const auto files = Uploads(acme);
  // One byte flipped in place, beside the archive's listing record.
  std::string bytes = ReadFile(archive);
  bytes[bytes.size() - 16] = static_cast<char>(bytes[bytes.size() - 16] ^ 0x01);
  const fs::path bad = archive;
  WriteFile(bad, bytes);

  CommandResult verify = Cli({"backup", "verify", bad.string(), "--json"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_EQ(StringAt(JsonOut(verify), "code"), "backup_corrupt") << verify.out;
  CommandResult restore = Cli({"restore", "--tenant", acme.slug, "--archive", bad.string()});
  EXPECT_EQ(restore.exit_code, 1) << restore.out << restore.err;
  EXPECT_EQ(ProductRows(acme), rows);
  EXPECT_EQ(Uploads(acme), files);
  EXPECT_EQ(Call(acme, "GET", "/v1/products").status, 200);
  // Restoring as a new tenant from it creates no tenant either.
  CommandResult as_new = Cli({"restore", "--tenant", acme.slug, "--archive", bad.string(),
                              "--as-new-slug", acme.slug + "-x"});
  EXPECT_EQ(as_new.exit_code, 1);
  EXPECT_EQ(server_.Admin("GET", "/admin/v1/tenants/" + acme.slug + "-x").status, 404);
}

TEST_F(Backup, RestoreKilledBeforeItsCommitPointLeavesTheTenantAsItWas) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 5; ++i) MustAddProduct(acme, i);
  AddFile(acme, Payload(50'000, 1));
  const fs::path archive = MustBackUp(acme);
  MustAddProduct(acme, 50);
  AddFile(acme, Payload(60'000, 2));
  const auto rows = ProductRows(acme);
  const auto files = Uploads(acme);

  for (const char* point : {"restore.staged", "restore.moved_previous"}) {
    CommandResult r = Cli({"restore", "--tenant", acme.slug, "--archive", archive.string()},
                          {{"TENANTD_CRASH_AT", point}});
    ASSERT_EQ(r.exit_code, 86) << point << ": " << r.out << r.err;
    // The running server's sweep sees the dead restore and rolls it back.
    ASSERT_TRUE(PollUntil([&] { return !fs::exists(Data() / "restore" / acme.id); }, 10s)) << point;
    EXPECT_EQ(ProductRows(acme), rows) << point;
    EXPECT_EQ(Uploads(acme), files) << point;
    ASSERT_TRUE(PollUntil([&] { return Call(acme, "GET", "/v1/products").status == 200; }, 5s));
  }
}

TEST_F(Backup, RestoreKilledAfterItsCommitPointIsFinishedAtTheNextStart) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 5; ++i) MustAddProduct(acme, i);
  AddFile(acme, Payload(50'000, 1));
  const auto rows = ProductRows(acme);
  const auto files = Uploads(acme);
  const fs::path archive = MustBackUp(acme);
  MustAddProduct(acme, 50);
  AddFile(acme, Payload(60'000, 2));
  ASSERT_EQ(server_.Stop(), 0);

  CommandResult r = Cli({"restore", "--tenant", acme.slug, "--archive", archive.string()},
                        {{"TENANTD_CRASH_AT", "restore.files_swapped"}});
  ASSERT_EQ(r.exit_code, 86) << r.out << r.err;
  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(server_.WaitForLogLine("finished", 5s)) << server_.LogText();
  EXPECT_FALSE(fs::exists(Data() / "restore" / acme.id));
  EXPECT_EQ(ProductRows(acme), rows);
  EXPECT_EQ(Uploads(acme), files);
}

TEST_F(Backup, TenantAnswers503TenantRestoringWhileARestoreRuns) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  MustAddProduct(acme, 1);
  const fs::path archive = MustBackUp(acme);
  BackgroundCommand restore({TENANTD_BINARY, "restore", "--tenant", acme.slug, "--archive",
                             archive.string(), "--data", Data().string()});
  ASSERT_TRUE(restore.started()) << restore.Err();
  bool saw_restoring = false;
  Response last;
  ASSERT_TRUE(PollUntil(
      [&] {
        last = Call(acme, "GET", "/v1/products");
        if (IsProblem(last, 503, "tenant_restoring")) saw_restoring = true;
        return saw_restoring;
      },
      20s))
      << last.Describe();
  EXPECT_FALSE(last.Header("Retry-After").empty());
  EXPECT_EQ(restore.Wait(60s), 0) << restore.Out() << restore.Err();
  ASSERT_TRUE(PollUntil([&] { return Call(acme, "GET", "/v1/products").status == 200; }, 5s));
}

TEST_F(Backup, AdminRoutesTakeListAndRestoreBackups) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  for (int i = 0; i < 3; ++i) MustAddProduct(acme, i);
  AddFile(acme, Payload(30'000, 4));
  const auto rows = ProductRows(acme);
  const auto files = Uploads(acme);

  Response created = server_.Admin("POST", "/admin/v1/tenants/" + acme.id + "/backups");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const json::value b = created.Json();
  const std::string backup_id = StringAt(b, "backup.id");
  EXPECT_TRUE(backup_id.starts_with("bkp_")) << created.body;
  EXPECT_TRUE(IsRfc3339Millis(StringAt(b, "backup.created_at")));
  EXPECT_EQ(StringAt(b, "backup.sha256").size(), 64u);
  const std::string path = StringAt(b, "backup.path");
  EXPECT_TRUE(path.starts_with("backups/" + acme.id + "/")) << path;
  EXPECT_EQ(crypto::Sha256Hex(ReadFile(Data() / path)), StringAt(b, "backup.sha256"));
  EXPECT_EQ(b.at("backup").at("size").to_number<uint64_t>(), fs::file_size(Data() / path));

  Response second = server_.Admin("POST", "/admin/v1/tenants/" + acme.slug + "/backups");
  ASSERT_EQ(second.status, 201) << second.Describe();
  Response page = server_.Admin("GET", "/admin/v1/tenants/" + acme.id + "/backups?limit=1");
  ASSERT_EQ(page.status, 200) << page.Describe();
  EXPECT_EQ(StringAt(page.Json(), "data.0.id"), backup_id);
  const std::string cursor = StringAt(page.Json(), "next_cursor");
  EXPECT_EQ(cursor, backup_id);
  Response rest = server_.Admin("GET", "/admin/v1/tenants/" + acme.id + "/backups?after=" + cursor);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(StringAt(rest.Json(), "data.0.id"), StringAt(second.Json(), "backup.id"));
  EXPECT_TRUE(rest.Json().at("next_cursor").is_null());

  MustAddProduct(acme, 77);
  AddFile(acme, Payload(10'000, 5));
  Response restored = server_.Admin("POST", "/admin/v1/tenants/" + acme.id + "/restore",
                                    R"({"backup_id":")" + backup_id + R"("})");
  ASSERT_EQ(restored.status, 200) << restored.Describe();
  EXPECT_EQ(ProductRows(acme), rows);
  EXPECT_EQ(Uploads(acme), files);
  Response list = Call(acme, "GET", "/v1/products");
  ASSERT_EQ(list.status, 200) << list.Describe();
  EXPECT_EQ(list.Json().at("data").as_array().size(), 3u);

  EXPECT_TRUE(IsProblem(server_.Admin("POST", "/admin/v1/tenants/" + acme.id + "/restore",
                                      R"({"backup_id":"bkp_01JZZZZZZZZZZZZZZZZZZZZZZZ"})"),
                        404, "not_found"));
  EXPECT_TRUE(IsProblem(server_.Admin("POST", "/admin/v1/tenants/" + acme.id + "/restore", R"({})"),
                        422, "validation_failed"));
  EXPECT_TRUE(
      IsProblem(server_.Admin("POST", "/admin/v1/tenants/ten_01JZZZZZZZZZZZZZZZZZZZZZZZ/backups"),
                404, "not_found"));
  EXPECT_EQ(server_.Request("POST", "/admin/v1/tenants/" + acme.id + "/backups").status, 401);
}

TEST_F(Backup, PurgeRemovesTheTenantsBackups) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  ASSERT_EQ(server_.Admin("POST", "/admin/v1/tenants/" + acme.id + "/backups").status, 201);
  ASSERT_TRUE(fs::exists(Data() / "backups" / acme.id));
  ASSERT_EQ(server_.Admin("DELETE", "/admin/v1/tenants/" + acme.id + "?purge=true").status, 204);
  EXPECT_FALSE(fs::exists(Data() / "backups" / acme.id));
}

TEST_F(Backup, AllBacksUpAHundredTenantsAndKeepPrunes) {
  std::vector<Tenant> tenants;
  for (int i = 0; i < 100; ++i) tenants.push_back(MustCreateTenant(UniqueSlug("many")));
  MustAddProduct(tenants[7], 1);
  for (int round = 0; round < 2; ++round) {
    CommandResult r = Cli({"backup", "--all", "--keep", "1", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json::value v = JsonOut(r);
    EXPECT_EQ(v.at("backed_up").to_number<int>(), 100);
    EXPECT_EQ(v.at("failed").to_number<int>(), 0);
    EXPECT_EQ(v.at("pruned").to_number<int>(), round == 0 ? 0 : 100);
  }
  for (const Tenant& t : tenants) {
    std::size_t archives = 0;
    for (const auto& e : fs::directory_iterator(Data() / "backups" / t.id)) {
      if (e.path().filename().string().ends_with(".tar.gz")) ++archives;
    }
    EXPECT_EQ(archives, 1u) << t.id;
  }
  CommandResult none = Cli({"backup"});
  EXPECT_EQ(none.exit_code, 2);
}

TEST_F(Backup, UsageCountsTheRequestsTheirBytesAndTheStoredFiles) {
  const Tenant acme = MustCreateTenant(UniqueSlug("acme"));
  const Tenant other = MustCreateTenant(UniqueSlug("other"));
  int64_t requests = 0, bytes_in = 0, bytes_out = 0;
  for (int i = 0; i < 4; ++i) {
    const std::string body = ProductBody(i);
    Response r = Call(acme, "POST", "/v1/products", body);
    ASSERT_EQ(r.status, 201);
    ++requests;
    bytes_in += static_cast<int64_t>(body.size());
    bytes_out += static_cast<int64_t>(r.body.size());
  }
  for (int i = 0; i < 3; ++i) {
    Response r = Call(acme, "GET", "/v1/products?limit=2");
    ASSERT_EQ(r.status, 200);
    ++requests;
    bytes_out += static_cast<int64_t>(r.body.size());
  }
  ASSERT_EQ(Call(other, "GET", "/v1/products").status, 200);  // not acme's
  for (std::size_t size : {12'345, 1'000}) {
    Response r = AddFile(acme, Payload(size, static_cast<unsigned>(size)));
    ++requests;
    bytes_in += static_cast<int64_t>(size);
    bytes_out += static_cast<int64_t>(r.body.size());
  }

  const std::string today = base::FormatRfc3339(std::chrono::system_clock::now()).substr(0, 10);
  auto usage_matches = [&](Response* last) {
    *last = server_.Admin("GET", "/admin/v1/tenants/" + acme.id + "/usage");
    if (last->status != 200) return false;
    const json::value v = last->Json();
    const json::array& data = v.at("data").as_array();
    if (data.size() != 1) return false;
    const json::object& day = data[0].as_object();
    return StringAt(data[0], "day") == today &&
           day.at("requests").to_number<int64_t>() == requests &&
           day.at("bytes_in").to_number<int64_t>() == bytes_in &&
           day.at("bytes_out").to_number<int64_t>() == bytes_out &&
           day.at("file_count").to_number<int64_t>() == 2 &&
           day.at("stored_bytes").to_number<int64_t>() == 13'345;
  };
  Response last;
  EXPECT_TRUE(PollUntil([&] { return usage_matches(&last); }, 5s)) << last.Describe();
  // The numbers survive a restart (flushed at shutdown).
  ASSERT_EQ(server_.Stop(), 0);
  ASSERT_TRUE(server_.Start());
  EXPECT_TRUE(usage_matches(&last)) << last.Describe();
  EXPECT_TRUE(
      IsProblem(server_.Admin("GET", "/admin/v1/tenants/" + acme.id + "/usage?from=yesterday"), 400,
                "bad_request"));
}

}  // namespace
}  // namespace tenantd::test
