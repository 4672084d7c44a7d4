#include "mail/eml_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "mail/mail_test_util.h"
#include "temp_dir.h"

namespace tenantd::mail {
namespace {

namespace fs = std::filesystem;
using test::SampleMessage;

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

mode_t Mode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(EmlDirectory, WritesTheFormattedMessageIntoAPrivateDirectory) {
  tenantd::test::TempDir tmp;
  const fs::path dir = tmp.path() / "data" / "mail";
  EmlDirectory eml(dir);
  const Message m = SampleMessage();
  const Delivery d = eml.Send(m);
  ASSERT_EQ(d.outcome, Outcome::kSent) << d.detail;
  EXPECT_EQ(Mode(dir), 0700u);
  const auto files = Files(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename(), "20261204T120000Z-0123456789abcdef@tenantd.example.eml");
  EXPECT_EQ(Mode(files[0]), 0600u);
  EXPECT_EQ(Read(files[0]), FormatMessage(m));
  EXPECT_NE(d.detail.find(files[0].string()), std::string::npos) << d.detail;
}

TEST(EmlDirectory, SendingTheSameMessageAgainReplacesItsFile) {
  tenantd::test::TempDir tmp;
  EmlDirectory eml(tmp.path() / "mail");
  Message m = SampleMessage();
  ASSERT_EQ(eml.Send(m).outcome, Outcome::kSent);
  m.text = "second attempt\n";
  ASSERT_EQ(eml.Send(m).outcome, Outcome::kSent);
  const auto files = Files(tmp.path() / "mail");
  ASSERT_EQ(files.size(), 1u);  // no temporary file left either
  EXPECT_EQ(Read(files[0]), FormatMessage(m));
}

TEST(EmlDirectory, ConcurrentSendsOfOneMessageLeaveOneFile) {
  tenantd::test::TempDir tmp;
  EmlDirectory eml(tmp.path());
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 10; ++k) EXPECT_EQ(eml.Send(SampleMessage()).outcome, Outcome::kSent);
    });
  }
  for (std::thread& t : threads) t.join();
  const auto files = Files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(Read(files[0]), FormatMessage(SampleMessage()));
}

TEST(EmlDirectory, NamesSortByDateAndKeepDistinctIdsApart) {
  tenantd::test::TempDir tmp;
  EmlDirectory eml(tmp.path());
  Message later = SampleMessage();
  later.message_id = "<a/../../x@tenantd.example>";
  later.date += std::chrono::hours(1);
  Message similar = later;
  similar.message_id = "<a_.._.._x@tenantd.example>";  // same after sanitising
  Message earlier = SampleMessage();
  ASSERT_EQ(eml.Send(later).outcome, Outcome::kSent);
  ASSERT_EQ(eml.Send(similar).outcome, Outcome::kSent);
  ASSERT_EQ(eml.Send(earlier).outcome, Outcome::kSent);
  const auto files = Files(tmp.path());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename(), EmlDirectory::FileName(earlier));
  for (const fs::path& file : files) {
    EXPECT_EQ(file.parent_path(), tmp.path());
    EXPECT_EQ(file.filename().string().find('/'), std::string::npos);
  }
  EXPECT_NE(EmlDirectory::FileName(later), EmlDirectory::FileName(similar));
  EXPECT_TRUE(EmlDirectory::FileName(later).starts_with("20261204T130000Z-a_.._.._x@"));
}

TEST(EmlDirectory, InvalidMessageFailsWithoutAFile) {
  tenantd::test::TempDir tmp;
  EmlDirectory eml(tmp.path());
  Message m = SampleMessage();
  m.to = "ada@example.org\r\nBcc: x@example.net";
  const Delivery d = eml.Send(m);
  EXPECT_EQ(d.outcome, Outcome::kFailed);
  EXPECT_TRUE(Files(tmp.path()).empty());
}

TEST(EmlDirectory, UnwritableDirectoryIsRetried) {
  tenantd::test::TempDir tmp;
  tmp.Write("mail", "a file where the directory should be");
  EmlDirectory eml(tmp.path() / "mail");
  const Delivery d = eml.Send(SampleMessage());
  EXPECT_EQ(d.outcome, Outcome::kRetry) << d.detail;
}

}  // namespace
}  // namespace tenantd::mail
