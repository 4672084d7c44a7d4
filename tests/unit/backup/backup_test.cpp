// Backups and restores of one tenant (backup/backup.h, backup/restore.h),
// on real SQLite databases and upload trees in a temporary data directory:
// a backup taken while a writer keeps inserting restores into a new tenant
// row for row and byte for byte; a damaged archive is refused by verify and
// restore and changes nothing; an archive of a newer schema is refused;
// retention keeps the newest; an interrupted restore is rolled back or
// finished by the sweep; a tenant being restored answers tenant_restoring.
#include "backup/backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "backup/restore.h"
#include "base/ids.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "storage/sqlite/connection.h"
#include "temp_dir.h"
#include "tenant_db/migrations.h"
#include "tenant_db/pool.h"
#include "tenant_db/restore_marks.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::backup {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A recognisable, incompressible-ish payload of `size` bytes.
std::string Payload(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class BackupTest : public ::testing::Test {
 protected:
  BackupTest() : databases_(dir_.path(), tenant_db::BuiltInMigrations()) {}

  control::Tenant NewTenant(std::string slug) {
    control::Tenant t;
    t.id = base::NewId("ten");
    t.slug = std::move(slug);
    t.name = "Acme " + t.slug;
    t.plan = "pro";
    EXPECT_TRUE(databases_.Provision(t.id));
    return t;
  }

  std::unique_ptr<storage::sqlite::Connection> Open(const control::Tenant& t) {
    auto db = databases_.Open(t.id);
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    return db ? std::move(*db) : nullptr;
  }

  static void InsertProduct(storage::sqlite::Connection& db, int n) {
    auto st = db.Prepare(
        "INSERT INTO products (id, sku, name, price_cents, currency, attributes, version,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, 'EUR', '{}', 1, ?, ?)");
    ASSERT_TRUE(st);
    const std::string now = base::FormatRfc3339(std::chrono::system_clock::now());
    st->Bind(1, base::NewId("prd"))
        .Bind(2, "SKU-" + std::to_string(n))
        .Bind(3, "Product " + std::to_string(n))
        .Bind(4, n * 100)
        .Bind(5, now)
        .Bind(6, now);
    auto done = st->Step();
    ASSERT_TRUE(done) << done.error().log_detail;
  }

  // A file as the files feature stores it: the blob under its storage key,
  // then its row.
  std::string AddFile(const control::Tenant& t, storage::sqlite::Connection& db,
                      const std::string& bytes) {
    const std::string id = base::NewId("fil");
    const std::string key = "2026/11/23/" + id;
    WriteBytes(UploadsDir(dir_.path(), t.id) / key, bytes);
    auto st = db.Prepare(
        "INSERT INTO files (id, filename, content_type, size, sha256, storage_key, created_at)"
        " VALUES (?, 'a.bin', 'application/octet-stream', ?, ?, ?, ?)");
    EXPECT_TRUE(st);
    st->Bind(1, id)
        .Bind(2, static_cast<int64_t>(bytes.size()))
        .Bind(3, crypto::Sha256Hex(bytes))
        .Bind(4, key)
        .Bind(5, base::FormatRfc3339(std::chrono::system_clock::now()));
    EXPECT_TRUE(st->Step());
    return key;
  }

  // Every product row, ordered by id, as text.
  static std::vector<std::string> Products(storage::sqlite::Connection& db) {
    std::vector<std::string> rows;
    auto st = db.Prepare(
        "SELECT id, sku, name, price_cents, currency, attributes, version, created_at,"
        " updated_at FROM products ORDER BY id");
    EXPECT_TRUE(st);
    for (;;) {
      auto row = st->Step();
      EXPECT_TRUE(row);
      if (!row || !*row) break;
      std::string line;
      for (int c = 0; c < 9; ++c) line += st->ColumnText(c) + "|";
      rows.push_back(line);
    }
    return rows;
  }

  // storage_key -> bytes of the tenant's upload tree.
  std::map<std::string, std::string> Uploads(const control::Tenant& t) {
    std::map<std::string, std::string> files;
    const fs::path root = UploadsDir(dir_.path(), t.id);
    if (!fs::exists(root)) return files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) {
        files[fs::relative(e.path(), root).generic_string()] = ReadBytes(e.path());
      }
    }
    return files;
  }

  static std::pair<int64_t, int64_t> Totals(storage::sqlite::Connection& db) {
    auto st = db.Prepare("SELECT files, bytes FROM file_totals WHERE id = 1");
    EXPECT_TRUE(st && *st->Step());
    return {st->ColumnInt64(0), st->ColumnInt64(1)};
  }

  BackupInfo MustBackUp(const control::Tenant& t) {
    auto b = backups_.Create(t);
    EXPECT_TRUE(b) << (b ? "" : b.error().log_detail);
    return b ? *b : BackupInfo{};
  }

  TempDir dir_;
  tenant_db::TenantDatabases databases_;
  Backups backups_{databases_};
};

TEST_F(BackupTest, BackupTakenWhileWriterInsertsRestoresIntoNewTenantRowForRowAndByteForByte) {
  const control::Tenant acme = NewTenant("acme");
  auto db = Open(acme);
  for (int i = 0; i < 200; ++i) InsertProduct(*db, i);
  std::map<std::string, std::string> files;
  for (unsigned i = 0; i < 5; ++i) {
    const std::string bytes = Payload(100'000 + i * 3'000'001 % 2'000'000, i);
    files[AddFile(acme, *db, bytes)] = bytes;
  }

  // A writer keeps inserting on its own connection during the backup.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    auto wdb = Open(acme);
    for (int n = 1000; !stop.load(); ++n) {
      InsertProduct(*wdb, n);
      written.fetch_add(1);
    }
  });
  while (written.load() < 20) std::this_thread::yield();
  const BackupInfo b = MustBackUp(acme);
  const int before_stop = written.load();
  stop = true;
  writer.join();
  ASSERT_FALSE(b.id.empty());
  EXPECT_TRUE(base::IsWellFormedId(b.id, "bkp"));
  EXPECT_EQ(b.path.parent_path(), BackupDir(dir_.path(), acme.id));
  EXPECT_TRUE(fs::exists(b.path));
  EXPECT_EQ(b.size, fs::file_size(b.path));
  EXPECT_EQ(b.sha256, crypto::Sha256Hex(ReadBytes(b.path)));
  EXPECT_GT(before_stop, 20);

  // The archived database, extracted as it is: the snapshot.
  const fs::path snapshot_path = dir_.path() / "snapshot.db";
  auto verified =
      ReadArchive(b.path, [&](std::string_view name, uint64_t) -> base::Result<EntrySink> {
        if (name != kDatabaseEntry) return EntrySink{};
        auto out = std::make_shared<std::ofstream>(snapshot_path, std::ios::binary);
        return EntrySink{[out](const char* p, std::size_t n) {
                           out->write(p, static_cast<std::streamsize>(n));
                           return base::Status();
                         },
                         [out]() {
                           out->close();
                           return base::Status();
                         }};
      });
  ASSERT_TRUE(verified) << verified.error().log_detail;
  EXPECT_EQ(verified->manifest.tenant_id, acme.id);
  EXPECT_EQ(verified->manifest.schema_version, databases_.LatestVersion());
  EXPECT_EQ(verified->entries, 6u);  // 5 files + the database
  auto snapshot = storage::sqlite::Connection::Open(snapshot_path);
  ASSERT_TRUE(snapshot);
  const std::vector<std::string> snapshot_rows = Products(**snapshot);
  // One consistent state: the first rows in insertion (= id) order, all of
  // them complete, somewhere between the start and the end of the writer.
  const std::vector<std::string> final_rows = Products(*db);
  ASSERT_GE(snapshot_rows.size(), 200u + 20u);
  ASSERT_LT(snapshot_rows.size(), final_rows.size());
  EXPECT_TRUE(std::equal(snapshot_rows.begin(), snapshot_rows.end(), final_rows.begin()));

  const control::Tenant copy = NewTenant("acme-copy");
  const Restorer restorer(databases_, nullptr);
  auto restored = restorer.Restore(copy.id, b.path);
  ASSERT_TRUE(restored) << restored.error().log_detail;
  EXPECT_EQ(restored->files, 5u);
  auto copy_db = Open(copy);
  EXPECT_EQ(Products(*copy_db), snapshot_rows);
  EXPECT_EQ(Uploads(copy), files);
  EXPECT_EQ(Totals(*copy_db).first, 5);
  // The original is untouched, and no staging is left.
  EXPECT_EQ(Uploads(acme), files);
  EXPECT_FALSE(fs::exists(dir_.path() / "restore" / copy.id));
}

TEST_F(BackupTest, RestoreInPlaceReturnsTheTenantToTheBackup) {
  const control::Tenant acme = NewTenant("acme");
  auto db = Open(acme);
  for (int i = 0; i < 10; ++i) InsertProduct(*db, i);
  const std::string kept = AddFile(acme, *db, Payload(5000, 1));
  const auto rows = Products(*db);
  const auto files = Uploads(acme);
  const BackupInfo b = MustBackUp(acme);

  for (int i = 10; i < 20; ++i) InsertProduct(*db, i);
  AddFile(acme, *db, Payload(7000, 2));
  // The connection stays open across the restore, as the server's do.
  const Restorer restorer(databases_, nullptr);
  auto restored = restorer.Restore(acme.id, b.path, acme.id);
  ASSERT_TRUE(restored) << restored.error().log_detail;
  EXPECT_EQ(Products(*db), rows);
  EXPECT_EQ(Uploads(acme), files);
  EXPECT_EQ(Totals(*db).first, 1);
}

TEST_F(BackupTest, ArchiveWithOneByteFlippedIsRefusedByVerifyAndRestoreAndChangesNothing) {
  const control::Tenant acme = NewTenant("acme");
  auto db = Open(acme);
  for (int i = 0; i < 50; ++i) InsertProduct(*db, i);
  AddFile(acme, *db, Payload(300'000, 3));
  const BackupInfo b = MustBackUp(acme);
  ASSERT_TRUE(VerifyArchive(b.path));

  InsertProduct(*db, 99);  // differs from the backup: a restore would show
  const auto rows = Products(*db);
  const auto files = Uploads(acme);
  std::string bytes = ReadBytes(b.path);
  for (std::size_t at = 0; at < bytes.size(); at += bytes.size() / 7) {
    // In place, beside its listing record, as an operator would find it.
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    const fs::path bad = b.path;
    WriteBytes(bad, damaged);
    auto verified = VerifyArchive(bad);
    ASSERT_FALSE(verified) << "byte " << at;
    EXPECT_EQ(verified.error().problem_code, "backup_corrupt") << verified.error().log_detail;

    const Restorer restorer(databases_, nullptr);
    auto restored = restorer.Restore(acme.id, bad, acme.id);
    ASSERT_FALSE(restored);
    EXPECT_EQ(restored.error().problem_code, "backup_corrupt");
    EXPECT_EQ(Products(*db), rows);
    EXPECT_EQ(Uploads(acme), files);
    EXPECT_FALSE(fs::exists(dir_.path() / "restore" / acme.id));
  }
  // Every byte of the tail (the end of the deflate stream and the gzip
  // trailer, where a tar reader never looks) counts too.
  for (std::size_t at = bytes.size() - 40; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    WriteBytes(b.path, damaged);
    EXPECT_FALSE(VerifyArchive(b.path)) << "byte " << at;
  }
  WriteBytes(b.path, bytes);
  EXPECT_TRUE(VerifyArchive(b.path));
}

TEST_F(BackupTest, ArchiveOfANewerSchemaIsRefused) {
  std::vector<storage::Migration> newer = tenant_db::BuiltInMigrations();
  newer.push_back({newer.back().version + 1, "newer", "CREATE TABLE later (x INTEGER) STRICT;"});
  const tenant_db::TenantDatabases newer_databases(dir_.path(), newer);
  const control::Tenant acme = NewTenant("acme");
  ASSERT_TRUE(newer_databases.Migrate(acme.id));
  const Backups newer_backups(newer_databases);
  auto b = newer_backups.Create(acme);
  ASSERT_TRUE(b) << b.error().log_detail;

  const control::Tenant other = NewTenant("other");
  const Restorer restorer(databases_, nullptr);
  auto restored = restorer.Restore(other.id, b->path);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().problem_code, "schema_too_new");
  EXPECT_EQ(*databases_.Version(other.id), databases_.LatestVersion());
}

TEST_F(BackupTest, ArchiveOfAnotherTenantIsRefusedInPlace) {
  const control::Tenant acme = NewTenant("acme");
  const control::Tenant other = NewTenant("other");
  const BackupInfo b = MustBackUp(acme);
  const Restorer restorer(databases_, nullptr);
  auto restored = restorer.Restore(other.id, b.path, other.id);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().problem_code, "backup_tenant_mismatch");
}

TEST_F(BackupTest, PruneKeepsTheNewestAndListIsOldestFirst) {
  const control::Tenant acme = NewTenant("acme");
  std::vector<BackupInfo> made;
  for (int i = 0; i < 4; ++i) made.push_back(MustBackUp(acme));
  auto listed = backups_.List(acme.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*listed)[i].id, made[i].id);

  auto pruned = backups_.Prune(acme.id, 2);
  ASSERT_TRUE(pruned);
  ASSERT_EQ(pruned->size(), 2u);
  EXPECT_FALSE(fs::exists(made[0].path));
  EXPECT_FALSE(fs::exists(made[1].path));
  listed = backups_.List(acme.id);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, made[2].id);
  EXPECT_EQ((*listed)[1].id, made[3].id);
  auto found = backups_.Find(acme.id, made[3].id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->path, made[3].path);
  // Only archives and their records remain: no temporaries.
  for (const auto& e : fs::directory_iterator(BackupDir(dir_.path(), acme.id))) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name.ends_with(".tar.gz") || name.ends_with(".json")) << name;
  }
}

TEST_F(BackupTest, FileDeletedBeforeItsCopyIsLeftOutOfArchiveAndItsDatabase) {
  const control::Tenant acme = NewTenant("acme");
  auto db = Open(acme);
  AddFile(acme, *db, Payload(1000, 1));
  const std::string gone = AddFile(acme, *db, Payload(2000, 2));
  // The row stays, the bytes are gone: as if deleted between snapshot and copy.
  fs::remove(UploadsDir(dir_.path(), acme.id) / gone);
  const BackupInfo b = MustBackUp(acme);
  auto verified = VerifyArchive(b.path);
  ASSERT_TRUE(verified) << verified.error().log_detail;
  EXPECT_EQ(verified->manifest.notes.size(), 1u);

  const control::Tenant copy = NewTenant("copy");
  ASSERT_TRUE(Restorer(databases_, nullptr).Restore(copy.id, b.path));
  auto copy_db = Open(copy);
  EXPECT_EQ(Totals(*copy_db), std::make_pair(int64_t{1}, int64_t{1000}));
  EXPECT_EQ(Uploads(copy).size(), 1u);
}

TEST_F(BackupTest, DumpHookOutputIsArchived) {
  const control::Tenant acme = NewTenant("acme");
  const Backups with_hook(databases_, {"printf 'dump of %s' {tenant_id}"});
  auto b = with_hook.Create(acme);
  ASSERT_TRUE(b) << b.error().log_detail;
  std::string dump;
  auto verified =
      ReadArchive(b->path, [&](std::string_view name, uint64_t) -> base::Result<EntrySink> {
        if (name != kDumpEntry) return EntrySink{};
        return EntrySink{[&dump](const char* p, std::size_t n) {
                           dump.append(p, n);
                           return base::Status();
                         },
                         {}};
      });
  ASSERT_TRUE(verified) << verified.error().log_detail;
  EXPECT_EQ(dump, "dump of " + acme.id);

  const Backups failing(databases_, {"exit 3"});
  auto failed = failing.Create(acme);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().problem_code, "dump_failed");
}

TEST_F(BackupTest, SweepRollsBackARestoreInterruptedBeforeItsCommitPoint) {
  const control::Tenant acme = NewTenant("acme");
  auto db = Open(acme);
  InsertProduct(*db, 1);
  const auto files_before = [&] {
    AddFile(acme, *db, Payload(4000, 9));
    return Uploads(acme);
  }();
  const auto rows = Products(*db);
  // What a restore that died after moving the tree aside leaves behind.
  const fs::path stage = dir_.path() / "restore" / acme.id;
  fs::create_directories(stage);
  WriteBytes(stage / "journal.json",
             R"({"state":"prepared","had_uploads":true,"has_uploads":true})");
  fs::rename(UploadsDir(dir_.path(), acme.id), stage / "previous-uploads");
  WriteBytes(stage / "uploads" / "x", "staged");

  tenant_db::RestoreMarks marks;
  const Restorer restorer(databases_, &marks);
  auto lines = restorer.Sweep();
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_NE((*lines)[0].find("rolled back"), std::string::npos) << (*lines)[0];
  EXPECT_EQ(Uploads(acme), files_before);
  EXPECT_EQ(Products(*db), rows);
  EXPECT_FALSE(fs::exists(stage));
  EXPECT_FALSE(marks.IsRestoring(acme.id));
}

TEST_F(BackupTest, TenantBeingRestoredAnswersTenantRestoring) {
  const control::Tenant acme = NewTenant("acme");
  tenant_db::RestoreMarks marks;
  tenant_db::TenantDbPool pool(databases_, {});
  pool.UseRestoreMarks(&marks);
  EXPECT_TRUE(pool.Acquire(acme.id));
  marks.Mark(acme.id);
  auto refused = pool.Acquire(acme.id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().problem_code, "tenant_restoring");
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnavailable);
  marks.Unmark(acme.id);
  EXPECT_TRUE(pool.Acquire(acme.id));
  marks.SetSwept({acme.id});
  EXPECT_FALSE(pool.Acquire(acme.id));
  marks.SetSwept({});
  EXPECT_TRUE(pool.Acquire(acme.id));
}

TEST(IsSafeRelativePath, AcceptsStorageKeysAndRefusesEscapes) {
  EXPECT_TRUE(IsSafeRelativePath("2026/11/23/fil_01J0ABC"));
  EXPECT_TRUE(IsSafeRelativePath("a.b-c_d"));
  for (const char* bad :
       {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a/", "a b", "a\\b", "..", "."}) {
    EXPECT_FALSE(IsSafeRelativePath(bad)) << bad;
  }
}

}  // namespace
}  // namespace tenantd::backup
