#include "base/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace tenantd::base {
namespace {

namespace fs = std::filesystem;

unsigned Mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

TEST(PrepareDataDir, CreatesAMissingDirectoryAndItsParentsOwnerOnly) {
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "data";
  ASSERT_TRUE(PrepareDataDir(dir));
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_TRUE(PrepareDataDir(dir)) << "an owner-only directory is fine";
}

TEST(PrepareDataDir, RefusesADirectoryGroupOrOthersCanAccess) {
  test::TempDir tmp;
  for (const fs::perms extra : {fs::perms::group_read, fs::perms::others_read,
                                fs::perms::others_exec, fs::perms::group_write}) {
    fs::permissions(tmp.path(), fs::perms::owner_all | extra, fs::perm_options::replace);
    const Status st = PrepareDataDir(tmp.path());
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().problem_code, "data_dir_insecure");
    EXPECT_NE(st.error().public_message.find("chmod -R go-rwx " + tmp.path().string()),
              std::string::npos)
        << st.error().public_message;
    EXPECT_EQ(st.error().public_message.find('\n'), std::string::npos);
  }
  fs::permissions(tmp.path(), fs::perms::owner_all, fs::perm_options::replace);
}

TEST(PrepareDataDir, RefusesAFile) {
  test::TempDir tmp;
  const fs::path file = tmp.Write("not-a-dir", "x");
  const Status st = PrepareDataDir(file);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().problem_code, "data_dir_invalid");
}

}  // namespace
}  // namespace tenantd::base
