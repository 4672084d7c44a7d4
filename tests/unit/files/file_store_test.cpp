#include "files/file_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/ids.h"
#include "storage/sqlite/connection.h"
#include "temp_dir.h"
#include "tenant_db/migrations.h"

namespace tenantd::files {
namespace {

std::unique_ptr<storage::sqlite::Connection> MustOpen(const std::filesystem::path& path) {
  auto db = storage::sqlite::Connection::Open(path);
  if (!db) throw std::runtime_error("open: " + db.error().log_detail);
  return std::move(*db);
}

FileRecord Sample(uint64_t size, std::string filename = "report.pdf") {
  FileRecord f;
  f.id = base::NewId(kFileIdPrefix);
  f.filename = std::move(filename);
  f.content_type = "application/pdf";
  f.size = size;
  f.sha256 = std::string(64, 'a');
  f.storage_key = "2026/11/22/" + f.id;
  f.created_at = "2026-11-22T21:04:05.123Z";
  return f;
}

void ExpectSameRecord(const FileRecord& a, const FileRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.filename, b.filename);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.storage_key, b.storage_key);
  EXPECT_EQ(a.created_at, b.created_at);
}

std::vector<std::string> Ids(const std::vector<FileRecord>& files) {
  std::vector<std::string> ids;
  for (const FileRecord& f : files) ids.push_back(f.id);
  return ids;
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = MustOpen(path_);
    auto applied = storage::sqlite::ApplyMigrations(*db_, tenant_db::BuiltInMigrations());
    ASSERT_TRUE(applied) << applied.error().log_detail;
  }

  void MustInsert(const FileRecord& f, uint64_t quota = 0) {
    const auto inserted = InsertFile(*db_, f, quota);
    ASSERT_TRUE(inserted) << inserted.error().log_detail << inserted.error().public_message;
  }

  FileTotals Totals() {
    auto totals = ReadTotals(*db_);
    if (!totals) throw std::runtime_error("totals: " + totals.error().log_detail);
    return *totals;
  }

  std::size_t RowCount() {
    auto st = db_->Prepare("SELECT count(*) FROM files");
    if (!st) throw std::runtime_error("count: " + st.error().log_detail);
    auto row = st->Step();
    if (!row || !*row) throw std::runtime_error("count: no row");
    return static_cast<std::size_t>(st->ColumnInt64(0));
  }

  std::vector<FileRecord> MustList(std::string_view after, int limit) {
    auto list = ListFiles(*db_, after, limit);
    if (!list) throw std::runtime_error("list: " + list.error().log_detail);
    return *list;
  }

  test::TempDir tmp_;
  const std::filesystem::path path_ = tmp_.path() / "tenant.db";
  std::unique_ptr<storage::sqlite::Connection> db_;
};

TEST_F(FileStoreTest, InsertThenGet) {
  FileRecord f = Sample(1234, "café \"quoted\".pdf");
  f.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  MustInsert(f);
  auto got = GetFile(*db_, f.id);
  ASSERT_TRUE(got) << got.error().log_detail;
  ASSERT_TRUE(got->has_value());
  ExpectSameRecord(**got, f);
}

TEST_F(FileStoreTest, LargeSizeRoundTrips) {
  const FileRecord f = Sample(uint64_t{5} << 40);  // 5 TiB
  MustInsert(f);
  auto got = GetFile(*db_, f.id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->size, uint64_t{5} << 40);
  EXPECT_EQ(Totals().bytes, uint64_t{5} << 40);
}

TEST_F(FileStoreTest, GetMissingIsEmpty) {
  auto got = GetFile(*db_, base::NewId("fil"));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  auto empty = GetFile(*db_, "");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
}

TEST_F(FileStoreTest, DuplicateIdIsRejectedAndCountsNothing) {
  const FileRecord f = Sample(10);
  MustInsert(f);
  FileRecord again = Sample(20);
  again.id = f.id;
  EXPECT_FALSE(InsertFile(*db_, again, 0));
  EXPECT_EQ(RowCount(), 1u);
  EXPECT_EQ(Totals().files, 1u);
  EXPECT_EQ(Totals().bytes, 10u);
  auto got = GetFile(*db_, f.id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->size, 10u);
}

TEST_F(FileStoreTest, ListFilesInCreationOrder) {
  std::vector<FileRecord> files;
  for (int i = 0; i < 5; ++i) files.push_back(Sample(i, "f" + std::to_string(i)));
  // Inserted out of order: listing follows the ids, i.e. creation.
  for (int i : {3, 0, 4, 1, 2}) MustInsert(files[i]);
  const std::vector<std::string> all = Ids(files);
  ASSERT_TRUE(std::is_sorted(all.begin(), all.end()));

  const auto listed = MustList("", 100);
  EXPECT_EQ(Ids(listed), all);
  ASSERT_EQ(listed.size(), 5u);
  ExpectSameRecord(listed[2], files[2]);
}

TEST_F(FileStoreTest, ListFilesLimitAndCursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const FileRecord f = Sample(1);
    ids.push_back(f.id);
    MustInsert(f);
  }
  EXPECT_EQ(Ids(MustList("", 2)), std::vector<std::string>(ids.begin(), ids.begin() + 2));
  EXPECT_EQ(Ids(MustList(ids[1], 2)), std::vector<std::string>(ids.begin() + 2, ids.begin() + 4));
  EXPECT_EQ(Ids(MustList(ids[3], 2)), std::vector<std::string>{ids[4]});
  EXPECT_TRUE(MustList(ids[4], 2).empty());
  EXPECT_EQ(Ids(MustList("", 1)), std::vector<std::string>{ids[0]});

  // Walking page by page visits every file once.
  std::vector<std::string> walked;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = MustList(after, 2);
    if (page.empty()) break;
    for (const FileRecord& f : page) walked.push_back(f.id);
    after = page.back().id;
  }
  EXPECT_EQ(walked, ids);

  // A cursor naming a deleted file still works.
  ASSERT_TRUE(DeleteFile(*db_, ids[2]));
  EXPECT_EQ(Ids(MustList(ids[2], 10)), std::vector<std::string>(ids.begin() + 3, ids.end()));
}

TEST_F(FileStoreTest, ListEmpty) { EXPECT_TRUE(MustList("", 10).empty()); }

TEST_F(FileStoreTest, DeleteReturnsTheRow) {
  const FileRecord keep = Sample(5);
  const FileRecord f = Sample(7, "gone.txt");
  MustInsert(keep);
  MustInsert(f);
  auto deleted = DeleteFile(*db_, f.id);
  ASSERT_TRUE(deleted) << deleted.error().log_detail;
  ASSERT_TRUE(deleted->has_value());
  ExpectSameRecord(**deleted, f);

  auto got = GetFile(*db_, f.id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(RowCount(), 1u);
  EXPECT_EQ(Ids(MustList("", 10)), std::vector<std::string>{keep.id});

  auto again = DeleteFile(*db_, f.id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
}

TEST_F(FileStoreTest, DeleteIsDurable) {
  const FileRecord f = Sample(7);
  MustInsert(f);
  ASSERT_TRUE(DeleteFile(*db_, f.id));
  db_.reset();  // a new connection sees the delete committed
  db_ = MustOpen(path_);
  auto got = GetFile(*db_, f.id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(Totals().files, 0u);
}

TEST_F(FileStoreTest, TotalsTrackInsertsAndDeletes) {
  EXPECT_EQ(Totals().files, 0u);
  EXPECT_EQ(Totals().bytes, 0u);
  const FileRecord a = Sample(100);
  const FileRecord b = Sample(250);
  const FileRecord empty = Sample(0);
  MustInsert(a);
  EXPECT_EQ(Totals().files, 1u);
  EXPECT_EQ(Totals().bytes, 100u);
  MustInsert(b);
  MustInsert(empty);
  EXPECT_EQ(Totals().files, 3u);
  EXPECT_EQ(Totals().bytes, 350u);
  ASSERT_TRUE(DeleteFile(*db_, a.id));
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, 250u);
  ASSERT_TRUE(DeleteFile(*db_, a.id));  // nothing deleted: totals stay
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, 250u);
  ASSERT_TRUE(DeleteFile(*db_, empty.id));
  ASSERT_TRUE(DeleteFile(*db_, b.id));
  EXPECT_EQ(Totals().files, 0u);
  EXPECT_EQ(Totals().bytes, 0u);
}

TEST_F(FileStoreTest, QuotaExceededInsertsNothing) {
  constexpr uint64_t kQuota = 100;
  MustInsert(Sample(60), kQuota);

  const FileRecord big = Sample(41);
  const auto rejected = InsertFile(*db_, big, kQuota);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, base::ErrorCode::kResourceExhausted);
  EXPECT_EQ(rejected.error().problem_code, "quota_exceeded");
  EXPECT_NE(rejected.error().public_message.find("100"), std::string::npos)
      << rejected.error().public_message;
  EXPECT_EQ(Totals().files, 1u);
  EXPECT_EQ(Totals().bytes, 60u);
  EXPECT_EQ(RowCount(), 1u);
  auto got = GetFile(*db_, big.id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());

  // The rejected transaction is gone: the connection still writes.
  MustInsert(Sample(40), kQuota);  // exactly at the quota
  EXPECT_EQ(Totals().bytes, 100u);
  EXPECT_EQ(Totals().files, 2u);
  const auto one_more = InsertFile(*db_, Sample(1), kQuota);
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().problem_code, "quota_exceeded");
  MustInsert(Sample(0), kQuota);  // an empty file fits a full quota
  EXPECT_EQ(Totals().files, 3u);
  EXPECT_EQ(Totals().bytes, 100u);
}

TEST_F(FileStoreTest, SingleFileOverTheQuotaIsRejected) {
  const auto rejected = InsertFile(*db_, Sample(101), 100);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().problem_code, "quota_exceeded");
  EXPECT_EQ(RowCount(), 0u);
  EXPECT_EQ(Totals().bytes, 0u);
}

TEST_F(FileStoreTest, QuotaFreedByDelete) {
  const FileRecord f = Sample(80);
  MustInsert(f, 100);
  EXPECT_FALSE(InsertFile(*db_, Sample(30), 100));
  ASSERT_TRUE(DeleteFile(*db_, f.id));
  MustInsert(Sample(30), 100);
  EXPECT_EQ(Totals().bytes, 30u);
}

TEST_F(FileStoreTest, QuotaZeroIsUnlimited) {
  MustInsert(Sample(uint64_t{1} << 40), 0);
  MustInsert(Sample(uint64_t{1} << 40), 0);
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, uint64_t{2} << 40);
}

TEST_F(FileStoreTest, QuotaExceededError) {
  const base::Error e = QuotaExceeded(12345);
  EXPECT_EQ(e.code, base::ErrorCode::kResourceExhausted);
  EXPECT_EQ(e.problem_code, "quota_exceeded");
  EXPECT_NE(e.public_message.find("12345"), std::string::npos);
  const base::Error nf = NoSuchFile();
  EXPECT_EQ(nf.code, base::ErrorCode::kNotFound);
  EXPECT_EQ(nf.problem_code, "not_found");
}

}  // namespace
}  // namespace tenantd::files
