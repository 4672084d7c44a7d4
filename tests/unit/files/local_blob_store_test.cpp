#include "files/local_blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "await.h"
#include "base/ids.h"
#include "base/time.h"
#include "temp_dir.h"

namespace tenantd::files {
namespace {

namespace fs = std::filesystem;

// 2026-11-22T21:04:05.123Z: uploads made "now" land under 2026/11/22.
const base::TimePoint kT0 = *base::ParseRfc3339("2026-11-22T21:04:05.123Z");

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every entry (files and directories) below `dir`, relative to it; empty
// when `dir` does not exist.
std::vector<std::string> Entries(const fs::path& dir, bool files_only = false) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (files_only && e.is_directory()) continue;
    out.push_back(fs::relative(e.path(), dir).string());
  }
  return out;
}

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  fs::path Uploads() const { return tmp_.path() / "storage" / "uploads"; }
  fs::path Tmp() const { return tmp_.path() / "storage" / "tmp"; }
  fs::path FinalPath(const std::string& tenant, const std::string& key) const {
    return Uploads() / tenant / key;
  }
  // The temporary name local_blob_store.h documents.
  fs::path PartPath(const std::string& tenant, const std::string& day_dashed,
                    const std::string& file) const {
    return Tmp() / (tenant + "." + day_dashed + "." + file + ".part");
  }

  std::unique_ptr<BlobUpload> MustBegin(const std::string& tenant, const std::string& file,
                                        base::TimePoint created = kT0) {
    auto upload = store_.BeginUpload(tenant, file, created);
    if (!upload) throw std::runtime_error("BeginUpload: " + upload.error().log_detail);
    return std::move(*upload);
  }

  // Stores `bytes` as a committed file and returns its storage key.
  std::string MustStore(const std::string& tenant, const std::string& file,
                        const std::string& bytes) {
    auto upload = MustBegin(tenant, file);
    if (!test::Await(upload->Append(bytes)) || !test::Await(upload->Publish()))
      throw std::runtime_error("store failed");
    upload->Commit();
    return upload->storage_key();
  }

  void WriteFile(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    ASSERT_TRUE(fs::exists(path));
  }

  test::TempDir tmp_;
  LocalBlobStore store_{tmp_.path()};
  const std::string tenant_ = base::NewId("ten");
  const std::string file_ = base::NewId("fil");
};

TEST_F(LocalBlobStoreTest, TenantDir) {
  EXPECT_EQ(LocalBlobStore::TenantDir("/data", "ten_X"), fs::path("/data/storage/uploads/ten_X"));
}

TEST_F(LocalBlobStoreTest, UploadPublishCommitThenOpen) {
  std::string bytes = "hello, world\r\n";
  bytes += std::string("\0\x01\xff", 3);
  bytes += std::string(100000, 'z');

  auto upload = MustBegin(tenant_, file_);
  EXPECT_EQ(upload->storage_key(), "2026/11/22/" + file_);
  EXPECT_TRUE(IsStorageKey(upload->storage_key()));
  ASSERT_TRUE(test::Await(upload->Append(std::string_view(bytes).substr(0, 10))));
  ASSERT_TRUE(test::Await(upload->Append("")));
  ASSERT_TRUE(test::Await(upload->Append(std::string_view(bytes).substr(10))));

  // Nothing is visible under the key before Publish.
  const auto before = test::Await(store_.Open(tenant_, upload->storage_key(), 0, 0));
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, base::ErrorCode::kNotFound);

  ASSERT_TRUE(test::Await(upload->Publish()));
  upload->Commit();
  const std::string key = upload->storage_key();
  upload.reset();  // committed: destruction keeps the bytes

  auto blob = test::Await(store_.Open(tenant_, key, 0, 0));
  ASSERT_TRUE(blob) << blob.error().log_detail;
  EXPECT_EQ(blob->size, bytes.size());
  EXPECT_TRUE(ReadAll(blob->fd.get()) == bytes);

  const fs::path final_path = FinalPath(tenant_, key);
  EXPECT_EQ(final_path, LocalBlobStore::TenantDir(tmp_.path(), tenant_) / key);
  EXPECT_TRUE(fs::is_regular_file(final_path));
  struct stat st {};
  ASSERT_EQ(::stat(final_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_nlink, 1u);  // the temporary name is gone
  EXPECT_TRUE(Entries(Tmp()).empty());
}

// Large enough to cross the 8 MiB early-writeback window more than once,
// appended in uneven pieces: every byte must land, in order.
TEST_F(LocalBlobStoreTest, LargeUploadInManyAppends) {
  std::string bytes(17 * 1024 * 1024 + 123, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) >> 7);
  auto upload = MustBegin(tenant_, file_);
  for (std::size_t at = 0, n = 1; at < bytes.size(); at += n, n = (n * 3 + 7) % (3 << 20) + 1) {
    n = std::min(n, bytes.size() - at);
    ASSERT_TRUE(test::Await(upload->Append(std::string_view(bytes).substr(at, n))));
  }
  ASSERT_TRUE(test::Await(upload->Publish()));
  upload->Commit();
  auto blob = test::Await(store_.Open(tenant_, upload->storage_key(), 0, 0));
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->size, bytes.size());
  EXPECT_TRUE(ReadAll(blob->fd.get()) == bytes);
}

TEST_F(LocalBlobStoreTest, EmptyUpload) {
  const std::string key = MustStore(tenant_, file_, "");
  auto blob = test::Await(store_.Open(tenant_, key, 0, 0));
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->size, 0u);
  EXPECT_EQ(ReadAll(blob->fd.get()), "");
}

TEST_F(LocalBlobStoreTest, KeyFollowsTheUtcCreationDay) {
  const auto t = *base::ParseRfc3339("2027-01-02T23:59:59.999Z");
  auto upload = MustBegin(tenant_, file_, t);
  EXPECT_EQ(upload->storage_key(), "2027/01/02/" + file_);
  EXPECT_TRUE(fs::exists(PartPath(tenant_, "2027-01-02", file_)))
      << "tmp holds: " << testing::PrintToString(Entries(Tmp()));
}

TEST_F(LocalBlobStoreTest, DestroyedAfterAppendLeavesNothing) {
  {
    auto upload = MustBegin(tenant_, file_);
    ASSERT_TRUE(test::Await(upload->Append("partial bytes")));
    EXPECT_EQ(Entries(Tmp()).size(), 1u);
  }
  EXPECT_TRUE(Entries(Uploads(), /*files_only=*/true).empty())
      << testing::PrintToString(Entries(Uploads()));
  EXPECT_TRUE(Entries(Tmp()).empty()) << testing::PrintToString(Entries(Tmp()));
}

TEST_F(LocalBlobStoreTest, DestroyedAfterPublishLeavesNothing) {
  std::string key;
  {
    auto upload = MustBegin(tenant_, file_);
    ASSERT_TRUE(test::Await(upload->Append("published, never committed")));
    ASSERT_TRUE(test::Await(upload->Publish()));
    key = upload->storage_key();
    ASSERT_TRUE(fs::exists(FinalPath(tenant_, key)));
  }
  EXPECT_TRUE(Entries(Uploads(), /*files_only=*/true).empty())
      << testing::PrintToString(Entries(Uploads()));
  EXPECT_TRUE(Entries(Tmp()).empty()) << testing::PrintToString(Entries(Tmp()));
  const auto open = test::Await(store_.Open(tenant_, key, 0, 0));
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, base::ErrorCode::kNotFound);
}

TEST_F(LocalBlobStoreTest, DestroyedWithoutAnyByteLeavesNothing) {
  { auto upload = MustBegin(tenant_, file_); }
  EXPECT_TRUE(Entries(Tmp()).empty());
  EXPECT_TRUE(Entries(Uploads(), true).empty());
}

TEST_F(LocalBlobStoreTest, SameFileCannotBeUploadedTwiceAtOnce) {
  auto first = MustBegin(tenant_, file_);
  EXPECT_FALSE(store_.BeginUpload(tenant_, file_, kT0));
  ASSERT_TRUE(test::Await(first->Append("first")));
  ASSERT_TRUE(test::Await(first->Publish()));
  first->Commit();
  auto blob = test::Await(store_.Open(tenant_, first->storage_key(), 0, 0));
  ASSERT_TRUE(blob);
  EXPECT_EQ(ReadAll(blob->fd.get()), "first");
}

TEST_F(LocalBlobStoreTest, BeginUploadRejectsMalformedIds) {
  EXPECT_FALSE(store_.BeginUpload("../x", file_, kT0));
  EXPECT_FALSE(store_.BeginUpload(tenant_, "../../x", kT0));
  EXPECT_FALSE(store_.BeginUpload(tenant_, base::NewId("prd"), kT0));
  EXPECT_FALSE(store_.BeginUpload(base::NewId("usr"), file_, kT0));
  EXPECT_TRUE(Entries(Tmp()).empty());
}

TEST_F(LocalBlobStoreTest, TenantsAreSeparate) {
  const std::string other = base::NewId("ten");
  const std::string key = MustStore(tenant_, file_, "mine");
  const auto open = test::Await(store_.Open(other, key, 0, 0));
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, base::ErrorCode::kNotFound);
}

TEST_F(LocalBlobStoreTest, OpenMissingIsNotFound) {
  const auto open = test::Await(store_.Open(tenant_, "2026/11/22/" + file_, 0, 0));
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, base::ErrorCode::kNotFound);
  EXPECT_EQ(open.error().problem_code, "not_found");
}

TEST_F(LocalBlobStoreTest, OpenRejectsMalformedKeys) {
  // Even where the path would exist, a malformed key is never opened.
  WriteFile(tmp_.path() / "secret", "secret");
  for (const std::string key : {"../../../secret", "2026/11/22/../../../../../secret", ""}) {
    SCOPED_TRACE(key);
    const auto open = test::Await(store_.Open(tenant_, key, 0, 0));
    ASSERT_FALSE(open);
    EXPECT_NE(open.error().code, base::ErrorCode::kNotFound);
  }
  EXPECT_FALSE(test::Await(store_.Open("..", "2026/11/22/" + file_, 0, 0)));
}

TEST_F(LocalBlobStoreTest, IsStorageKey) {
  const std::string fil = base::NewId("fil");
  EXPECT_TRUE(IsStorageKey("2026/11/23/" + fil));
  EXPECT_TRUE(IsStorageKey("1999/01/01/" + fil));

  EXPECT_FALSE(IsStorageKey(""));
  EXPECT_FALSE(IsStorageKey("../x"));
  EXPECT_FALSE(IsStorageKey("2026/11/23/../../x"));
  EXPECT_FALSE(IsStorageKey("2026/11/23/../../" + fil));
  EXPECT_FALSE(IsStorageKey("2026/11/23/" + base::NewId("prd")));
  EXPECT_FALSE(IsStorageKey("/2026/11/23/" + fil));
  EXPECT_FALSE(IsStorageKey("/etc/passwd"));
  EXPECT_FALSE(IsStorageKey("2026/11/23/" + fil + "/../x"));
  EXPECT_FALSE(IsStorageKey("2026/11/23/" + fil + "/"));
  EXPECT_FALSE(IsStorageKey("2026/11/23/" + fil + ".part"));
  EXPECT_FALSE(IsStorageKey("2026-11-23/" + fil));
  EXPECT_FALSE(IsStorageKey("2026/11/2/" + fil));
  EXPECT_FALSE(IsStorageKey("20a6/11/23/" + fil));
  EXPECT_FALSE(IsStorageKey("2026/11/23/fil_"));
  EXPECT_FALSE(IsStorageKey("2026/11/23" + fil));
  EXPECT_FALSE(IsStorageKey(std::string("2026/11/23/") + fil.substr(0, fil.size() - 1) + '\0'));
}

TEST_F(LocalBlobStoreTest, RemoveDeletesTheBytesAndToleratesAbsence) {
  const std::string key = MustStore(tenant_, file_, "bytes");
  ASSERT_TRUE(test::Await(store_.Remove(tenant_, key)));
  EXPECT_FALSE(fs::exists(FinalPath(tenant_, key)));
  EXPECT_FALSE(test::Await(store_.Open(tenant_, key, 0, 0)));
  EXPECT_TRUE(test::Await(store_.Remove(tenant_, key)));  // already gone: fine
  EXPECT_TRUE(test::Await(store_.Remove(tenant_, "2026/11/22/" + base::NewId("fil"))));
  EXPECT_FALSE(test::Await(store_.Remove(tenant_, "../../x")));
}

TEST_F(LocalBlobStoreTest, RemoveTenantRemovesTheTree) {
  const std::string other = base::NewId("ten");
  const std::string key1 = MustStore(tenant_, file_, "one");
  const std::string key2 = MustStore(tenant_, base::NewId("fil"), "two");
  const std::string other_key = MustStore(other, base::NewId("fil"), "other");

  ASSERT_TRUE(store_.RemoveTenantNow(tenant_));
  EXPECT_FALSE(fs::exists(LocalBlobStore::TenantDir(tmp_.path(), tenant_)));
  EXPECT_FALSE(test::Await(store_.Open(tenant_, key1, 0, 0)));
  EXPECT_FALSE(test::Await(store_.Open(tenant_, key2, 0, 0)));
  auto kept = test::Await(store_.Open(other, other_key, 0, 0));
  ASSERT_TRUE(kept);
  EXPECT_EQ(ReadAll(kept->fd.get()), "other");

  EXPECT_TRUE(store_.RemoveTenantNow(tenant_));  // nothing left: fine
  EXPECT_FALSE(store_.RemoveTenantNow(".."));
  EXPECT_FALSE(store_.RemoveTenantNow(""));
  EXPECT_TRUE(fs::exists(LocalBlobStore::TenantDir(tmp_.path(), other)));
  EXPECT_TRUE(fs::exists(Uploads()));
}

// ---- Recover ---------------------------------------------------------------

struct MetadataCalls {
  std::vector<std::pair<std::string, std::string>> calls;
  LocalBlobStore::HasMetadata Answer(bool claimed) {
    return [this, claimed](std::string_view tenant, std::string_view file) -> base::Result<bool> {
      calls.emplace_back(std::string(tenant), std::string(file));
      return claimed;
    };
  }
};

TEST_F(LocalBlobStoreTest, RecoverWithoutTmpDirIsANoOp) {
  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(false));
  ASSERT_TRUE(recovered);
  EXPECT_EQ(recovered->temporaries, 0u);
  EXPECT_EQ(recovered->published, 0u);
}

TEST_F(LocalBlobStoreTest, RecoverRemovesALeftoverTemporary) {
  const fs::path part = PartPath(tenant_, "2026-11-22", file_);
  WriteFile(part, "half an upload");
  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(true));
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 1u);
  EXPECT_EQ(recovered->published, 0u);
  EXPECT_FALSE(fs::exists(part));
  EXPECT_TRUE(Entries(Tmp()).empty());
  EXPECT_TRUE(m.calls.empty());  // no final name: nothing to ask about
}

TEST_F(LocalBlobStoreTest, RecoverRemovesAnUnclaimedPublishedUpload) {
  const fs::path part = PartPath(tenant_, "2026-11-22", file_);
  const fs::path final_path = FinalPath(tenant_, "2026/11/22/" + file_);
  WriteFile(part, "published bytes");
  WriteFile(final_path, "published bytes");
  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(false));
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 1u);
  EXPECT_EQ(recovered->published, 1u);
  EXPECT_FALSE(fs::exists(part));
  EXPECT_FALSE(fs::exists(final_path));
  ASSERT_EQ(m.calls.size(), 1u);
  EXPECT_EQ(m.calls[0].first, tenant_);
  EXPECT_EQ(m.calls[0].second, file_);
}

TEST_F(LocalBlobStoreTest, RecoverKeepsAClaimedPublishedUpload) {
  const fs::path part = PartPath(tenant_, "2026-11-22", file_);
  const fs::path final_path = FinalPath(tenant_, "2026/11/22/" + file_);
  WriteFile(part, "committed bytes");
  WriteFile(final_path, "committed bytes");
  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(true));
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 1u);
  EXPECT_EQ(recovered->published, 0u);
  EXPECT_FALSE(fs::exists(part));
  ASSERT_TRUE(fs::exists(final_path));
  EXPECT_EQ(ReadFile(final_path), "committed bytes");
  ASSERT_EQ(m.calls.size(), 1u);
  EXPECT_EQ(m.calls[0], std::make_pair(tenant_, file_));
  auto blob = test::Await(store_.Open(tenant_, "2026/11/22/" + file_, 0, 0));
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->size, 15u);
}

TEST_F(LocalBlobStoreTest, RecoverJudgesEachUploadOnItsOwn) {
  const std::string other = base::NewId("ten");
  const std::string claimed = base::NewId("fil");
  const std::string unclaimed = base::NewId("fil");
  const std::string temp_only = base::NewId("fil");
  WriteFile(PartPath(tenant_, "2026-11-22", claimed), "c");
  WriteFile(FinalPath(tenant_, "2026/11/22/" + claimed), "c");
  WriteFile(PartPath(other, "2025-01-31", unclaimed), "u");
  WriteFile(FinalPath(other, "2025/01/31/" + unclaimed), "u");
  WriteFile(PartPath(tenant_, "2026-11-21", temp_only), "t");
  // A committed file of the same tenant, with no temporary: not touched.
  const std::string untouched = MustStore(tenant_, base::NewId("fil"), "kept");

  std::vector<std::pair<std::string, std::string>> asked;
  auto recovered =
      store_.Recover([&](std::string_view tenant, std::string_view file) -> base::Result<bool> {
        asked.emplace_back(std::string(tenant), std::string(file));
        return file == claimed;
      });
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 3u);
  EXPECT_EQ(recovered->published, 1u);
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_TRUE(Entries(Tmp()).empty()) << testing::PrintToString(Entries(Tmp()));
  EXPECT_TRUE(fs::exists(FinalPath(tenant_, "2026/11/22/" + claimed)));
  EXPECT_FALSE(fs::exists(FinalPath(other, "2025/01/31/" + unclaimed)));
  EXPECT_TRUE(test::Await(store_.Open(tenant_, untouched, 0, 0)));
}

TEST_F(LocalBlobStoreTest, RecoverRemovesDebrisInTmp) {
  WriteFile(Tmp() / "junk.txt", "?");
  WriteFile(Tmp() / "ten_x.2026-11-22.fil_y.part", "?");  // malformed ids
  WriteFile(Tmp() / "subdir" / "nested", "?");
  // A well-formed part name whose final name must not be derived from junk.
  const fs::path final_path = FinalPath(tenant_, "2026/11/22/" + file_);
  WriteFile(final_path, "committed");
  WriteFile(Tmp() / (tenant_ + ".2026-11-22." + file_ + ".tmp"), "?");  // wrong suffix
  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(false));
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 4u);
  EXPECT_EQ(recovered->published, 0u);
  EXPECT_TRUE(m.calls.empty());
  EXPECT_TRUE(Entries(Tmp()).empty()) << testing::PrintToString(Entries(Tmp()));
  EXPECT_TRUE(fs::exists(final_path));
}

TEST_F(LocalBlobStoreTest, RecoverStopsOnAMetadataError) {
  const fs::path part = PartPath(tenant_, "2026-11-22", file_);
  const fs::path final_path = FinalPath(tenant_, "2026/11/22/" + file_);
  WriteFile(part, "x");
  WriteFile(final_path, "x");
  auto recovered = store_.Recover([](std::string_view, std::string_view) -> base::Result<bool> {
    return base::Internal("database locked");
  });
  ASSERT_FALSE(recovered);
  // Unsure whether a row claims it: the bytes must not be thrown away.
  EXPECT_TRUE(fs::exists(final_path));
}

// A crash after Publish, staged with the names the store itself makes: the
// upload's temporary and final names are saved by hard links before the
// upload object undoes them, then put back.
TEST_F(LocalBlobStoreTest, RecoverUnderstandsTheNamesBeginUploadMakes) {
  const fs::path saved = tmp_.path() / "saved";
  fs::create_directories(saved);
  std::string key;
  fs::path temp_name;
  {
    auto upload = MustBegin(tenant_, file_);
    ASSERT_TRUE(test::Await(upload->Append("crash me")));
    ASSERT_TRUE(test::Await(upload->Publish()));
    key = upload->storage_key();
    const auto temps = Entries(Tmp());
    ASSERT_EQ(temps.size(), 1u);
    temp_name = temps[0];
    EXPECT_EQ(temp_name, PartPath(tenant_, "2026-11-22", file_).filename());
    fs::create_hard_link(Tmp() / temp_name, saved / "temp");
    fs::create_hard_link(FinalPath(tenant_, key), saved / "final");
  }
  fs::create_hard_link(saved / "temp", Tmp() / temp_name);
  fs::create_hard_link(saved / "final", FinalPath(tenant_, key));
  fs::remove(saved / "temp");
  fs::remove(saved / "final");

  MetadataCalls m;
  auto recovered = store_.Recover(m.Answer(false));
  ASSERT_TRUE(recovered) << recovered.error().log_detail;
  EXPECT_EQ(recovered->temporaries, 1u);
  EXPECT_EQ(recovered->published, 1u);
  ASSERT_EQ(m.calls.size(), 1u);
  EXPECT_EQ(m.calls[0], std::make_pair(tenant_, file_));
  EXPECT_TRUE(Entries(Uploads(), true).empty());
  EXPECT_TRUE(Entries(Tmp()).empty());
}

}  // namespace
}  // namespace tenantd::files
