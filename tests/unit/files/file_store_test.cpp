#include "files/file_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "await.h"
#include "base/ids.h"
#include "temp_dir.h"
#include "tenant_db/migrations.h"
#include "tenant_db/pool.h"
#include "tenant_db/tenant_data.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::files {
namespace {

using boost::asio::awaitable;
using tenant_db::Access;

constexpr std::string_view kTenant = "ten_01JD0000000000000000000000";

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
  EXPECT_EQ(a.is_public, b.is_public);
}

std::vector<std::string> Ids(const std::vector<FileRecord>& files) {
  std::vector<std::string> ids;
  for (const FileRecord& f : files) ids.push_back(f.id);
  return ids;
}

// The store's contract, on the tenant's data as TenantData reaches it (its
// SQLite file, from the pool), one transaction per call as a handler runs
// it: a write commits when it succeeded.
class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provisioned = databases_.Provision(kTenant);
    ASSERT_TRUE(provisioned) << provisioned.error().log_detail;
    Reopen();
  }

  // A new pool: its connections see only what was committed.
  void Reopen() {
    data_.reset();
    pool_ = std::make_unique<tenant_db::TenantDbPool>(databases_, tenant_db::PoolOptions{});
    data_ = std::make_unique<tenant_db::TenantData>(*pool_);
  }

  template <class R>
  R In(Access access, std::function<awaitable<R>(storage::Transaction&)> body) {
    return test::Await(Run<R>(*data_, access, std::move(body)));
  }

  template <class R>
  static awaitable<R> Run(tenant_db::TenantData& data, Access access,
                          std::function<awaitable<R>(storage::Transaction&)> body) {
    auto tx = co_await data.Begin(kTenant, access);
    if (!tx) throw std::runtime_error("begin: " + tx.error().log_detail);
    R r = co_await body(**tx);
    if (r && access == Access::kWrite) {
      auto committed = co_await (*tx)->Commit();
      if (!committed) throw std::runtime_error("commit: " + committed.error().log_detail);
    }
    co_return r;
  }

  base::Status Insert(const FileRecord& f, uint64_t quota = 0) {
    return In<base::Status>(Access::kWrite, [&](storage::Transaction& tx) {
      return InsertFile(tx, f, quota, f.created_at);
    });
  }
  base::Result<std::optional<FileRecord>> Get(std::string_view id) {
    return In<base::Result<std::optional<FileRecord>>>(
        Access::kRead, [&](storage::Transaction& tx) { return GetFile(tx, id); });
  }
  base::Result<std::optional<FileRecord>> SetPublic(std::string_view id, bool is_public) {
    return In<base::Result<std::optional<FileRecord>>>(
        Access::kWrite, [&](storage::Transaction& tx) { return SetFilePublic(tx, id, is_public); });
  }
  bool IsPublic(std::string_view id) {
    auto got = Get(id);
    if (!got || !got->has_value()) throw std::runtime_error("no file " + std::string(id));
    return (*got)->is_public;
  }
  base::Result<std::optional<FileRecord>> Delete(std::string_view id) {
    return In<base::Result<std::optional<FileRecord>>>(
        Access::kWrite, [&](storage::Transaction& tx) { return DeleteFile(tx, id); });
  }

  void MustInsert(const FileRecord& f, uint64_t quota = 0) {
    const auto inserted = Insert(f, quota);
    ASSERT_TRUE(inserted) << inserted.error().log_detail << inserted.error().public_message;
  }

  FileTotals Totals() {
    auto totals = In<base::Result<FileTotals>>(
        Access::kRead, [](storage::Transaction& tx) { return ReadTotals(tx); });
    if (!totals) throw std::runtime_error("totals: " + totals.error().log_detail);
    return *totals;
  }

  std::size_t RowCount() {
    auto rows = In<base::Result<storage::Rows>>(Access::kRead, [](storage::Transaction& tx) {
      return tx.Query("SELECT count(*) FROM files");
    });
    if (!rows || rows->empty()) throw std::runtime_error("count: no row");
    return static_cast<std::size_t>(rows->front().Int64(0));
  }

  std::vector<FileRecord> MustList(std::string_view after, int limit) {
    auto list = In<base::Result<std::vector<FileRecord>>>(
        Access::kRead, [&](storage::Transaction& tx) { return ListFiles(tx, after, limit); });
    if (!list) throw std::runtime_error("list: " + list.error().log_detail);
    return *list;
  }

  test::TempDir tmp_;
  tenant_db::TenantDatabases databases_{tmp_.path(), tenant_db::BuiltInMigrations()};
  std::unique_ptr<tenant_db::TenantDbPool> pool_;
  std::unique_ptr<tenant_db::TenantData> data_;
};

TEST_F(FileStoreTest, InsertThenGet) {
  FileRecord f = Sample(1234, "café \"quoted\".pdf");
  f.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  MustInsert(f);
  auto got = Get(f.id);
  ASSERT_TRUE(got) << got.error().log_detail;
  ASSERT_TRUE(got->has_value());
  ExpectSameRecord(**got, f);
}

TEST_F(FileStoreTest, FilesArePrivateUntilPublished) {
  const FileRecord f = Sample(10);
  MustInsert(f);
  EXPECT_FALSE(IsPublic(f.id));
  FileRecord open = Sample(20);
  open.is_public = true;  // as given: a restore or import may insert a public file
  MustInsert(open);
  EXPECT_TRUE(IsPublic(open.id));
}

TEST_F(FileStoreTest, SetFilePublicPublishesAndWithdrawsOneFile) {
  const FileRecord f = Sample(10, "photo.png");
  const FileRecord other = Sample(20);
  MustInsert(f);
  MustInsert(other);

  auto published = SetPublic(f.id, true);
  ASSERT_TRUE(published) << published.error().log_detail;
  ASSERT_TRUE(published->has_value());
  FileRecord expected = f;
  expected.is_public = true;
  ExpectSameRecord(**published, expected);  // the row as it now is
  Reopen();                                 // committed: a new connection sees it
  EXPECT_TRUE(IsPublic(f.id));
  EXPECT_FALSE(IsPublic(other.id));
  EXPECT_TRUE(MustList("", 10)[0].is_public);

  // Again is a no-op that still answers the row.
  auto again = SetPublic(f.id, true);
  ASSERT_TRUE(again && again->has_value());
  EXPECT_TRUE((*again)->is_public);

  auto withdrawn = SetPublic(f.id, false);
  ASSERT_TRUE(withdrawn && withdrawn->has_value());
  EXPECT_FALSE((*withdrawn)->is_public);
  Reopen();
  EXPECT_FALSE(IsPublic(f.id));
  // Flags change no totals.
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, 30u);
}

TEST_F(FileStoreTest, SetFilePublicOfAMissingFileIsEmpty) {
  auto missing = SetPublic(base::NewId(kFileIdPrefix), true);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  const FileRecord f = Sample(1);
  MustInsert(f);
  ASSERT_TRUE(Delete(f.id));
  auto deleted = SetPublic(f.id, true);
  ASSERT_TRUE(deleted);
  EXPECT_FALSE(deleted->has_value());
  EXPECT_EQ(RowCount(), 0u);
}

TEST_F(FileStoreTest, LargeSizeRoundTrips) {
  const FileRecord f = Sample(uint64_t{5} << 40);  // 5 TiB
  MustInsert(f);
  auto got = Get(f.id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->size, uint64_t{5} << 40);
  EXPECT_EQ(Totals().bytes, uint64_t{5} << 40);
}

TEST_F(FileStoreTest, GetMissingIsEmpty) {
  auto got = Get(base::NewId("fil"));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  auto empty = Get("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
}

TEST_F(FileStoreTest, DuplicateIdIsRejectedAndCountsNothing) {
  const FileRecord f = Sample(10);
  MustInsert(f);
  FileRecord again = Sample(20);
  again.id = f.id;
  EXPECT_FALSE(Insert(again, 0));
  EXPECT_EQ(RowCount(), 1u);
  EXPECT_EQ(Totals().files, 1u);
  EXPECT_EQ(Totals().bytes, 10u);
  auto got = Get(f.id);
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
  ASSERT_TRUE(Delete(ids[2]));
  EXPECT_EQ(Ids(MustList(ids[2], 10)), std::vector<std::string>(ids.begin() + 3, ids.end()));
}

TEST_F(FileStoreTest, ListEmpty) { EXPECT_TRUE(MustList("", 10).empty()); }

TEST_F(FileStoreTest, DeleteReturnsTheRow) {
  const FileRecord keep = Sample(5);
  const FileRecord f = Sample(7, "gone.txt");
  MustInsert(keep);
  MustInsert(f);
  auto deleted = Delete(f.id);
  ASSERT_TRUE(deleted) << deleted.error().log_detail;
  ASSERT_TRUE(deleted->has_value());
  ExpectSameRecord(**deleted, f);

  auto got = Get(f.id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(RowCount(), 1u);
  EXPECT_EQ(Ids(MustList("", 10)), std::vector<std::string>{keep.id});

  auto again = Delete(f.id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
}

TEST_F(FileStoreTest, DeleteIsDurable) {
  const FileRecord f = Sample(7);
  MustInsert(f);
  ASSERT_TRUE(Delete(f.id));
  Reopen();  // a new connection sees the delete committed
  auto got = Get(f.id);
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
  ASSERT_TRUE(Delete(a.id));
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, 250u);
  ASSERT_TRUE(Delete(a.id));  // nothing deleted: totals stay
  EXPECT_EQ(Totals().files, 2u);
  EXPECT_EQ(Totals().bytes, 250u);
  ASSERT_TRUE(Delete(empty.id));
  ASSERT_TRUE(Delete(b.id));
  EXPECT_EQ(Totals().files, 0u);
  EXPECT_EQ(Totals().bytes, 0u);
}

TEST_F(FileStoreTest, QuotaExceededInsertsNothing) {
  constexpr uint64_t kQuota = 100;
  MustInsert(Sample(60), kQuota);

  const FileRecord big = Sample(41);
  const auto rejected = Insert(big, kQuota);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, base::ErrorCode::kResourceExhausted);
  EXPECT_EQ(rejected.error().problem_code, "quota_exceeded");
  EXPECT_NE(rejected.error().public_message.find("100"), std::string::npos)
      << rejected.error().public_message;
  EXPECT_EQ(Totals().files, 1u);
  EXPECT_EQ(Totals().bytes, 60u);
  EXPECT_EQ(RowCount(), 1u);
  auto got = Get(big.id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());

  // The rejected transaction is gone: the connection still writes.
  MustInsert(Sample(40), kQuota);  // exactly at the quota
  EXPECT_EQ(Totals().bytes, 100u);
  EXPECT_EQ(Totals().files, 2u);
  const auto one_more = Insert(Sample(1), kQuota);
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().problem_code, "quota_exceeded");
  MustInsert(Sample(0), kQuota);  // an empty file fits a full quota
  EXPECT_EQ(Totals().files, 3u);
  EXPECT_EQ(Totals().bytes, 100u);
}

TEST_F(FileStoreTest, SingleFileOverTheQuotaIsRejected) {
  const auto rejected = Insert(Sample(101), 100);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().problem_code, "quota_exceeded");
  EXPECT_EQ(RowCount(), 0u);
  EXPECT_EQ(Totals().bytes, 0u);
}

TEST_F(FileStoreTest, QuotaFreedByDelete) {
  const FileRecord f = Sample(80);
  MustInsert(f, 100);
  EXPECT_FALSE(Insert(Sample(30), 100));
  ASSERT_TRUE(Delete(f.id));
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
