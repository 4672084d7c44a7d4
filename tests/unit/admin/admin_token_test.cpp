#include "admin/admin_token.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>

#include "control/control_store.h"
#include "control_store_for_tests.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "temp_dir.h"

namespace tenantd::admin {
namespace {

using test::Await;

namespace fs = std::filesystem;

constexpr const char* kSettingKey = "admin_token_sha256";

using test::TempDir;

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class AdminTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, '\x17')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    auto store = test::OpenControlStore(DataDir(), *box_);
    ASSERT_TRUE(store) << store.error().log_detail;
    store_ = std::move(*store);
  }

  fs::path DataDir() const { return dir_.path() / "data"; }
  fs::path TokenFile() const { return DataDir() / "admin.token"; }

  std::optional<std::string> StoredHash() {
    auto v = Await(store_->GetSetting(kSettingKey));
    EXPECT_TRUE(v);
    return v ? *v : std::nullopt;
  }

  TempDir dir_;
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<control::ControlStore> store_;
};

TEST_F(AdminTokenTest, FirstStartWritesAPrivateTokenFileAndStoresOnlyItsHash) {
  const auto result = EnsureAdminToken(base::Secret(), DataDir(), *store_);
  ASSERT_TRUE(result) << result.error().log_detail;
  EXPECT_FALSE(result->from_environment);
  EXPECT_EQ(result->written_to, TokenFile());

  struct stat st {};
  ASSERT_EQ(::stat(TokenFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(TokenFile().string() + ".tmp"));

  const std::string content = ReadFileBytes(TokenFile());
  ASSERT_TRUE(std::regex_match(content, std::regex("adm_[0-9A-Za-z]{43}\n"))) << content;
  const std::string token = content.substr(0, content.size() - 1);

  EXPECT_EQ(result->sha256, crypto::Sha256(token));
  EXPECT_EQ(result->sha256.size(), 32u);
  const auto stored = StoredHash();
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, crypto::Sha256Hex(token));
  EXPECT_EQ(stored->find(token), std::string::npos);
  EXPECT_EQ(stored->find(token.substr(4)), std::string::npos);
}

TEST_F(AdminTokenTest, TheTokenValueNeverReachesTheDatabaseFiles) {
  ASSERT_TRUE(EnsureAdminToken(base::Secret(), DataDir(), *store_));
  const std::string content = ReadFileBytes(TokenFile());
  const std::string token = content.substr(0, content.size() - 1);
  for (const auto& entry : fs::directory_iterator(DataDir())) {
    if (entry.path() == TokenFile()) continue;
    EXPECT_EQ(ReadFileBytes(entry.path()).find(token), std::string::npos) << entry.path();
  }
}

TEST_F(AdminTokenTest, LaterStartsReuseTheStoredHashWithoutRewriting) {
  const auto first = EnsureAdminToken(base::Secret(), DataDir(), *store_);
  ASSERT_TRUE(first);
  const std::string content = ReadFileBytes(TokenFile());
  const auto second = EnsureAdminToken(base::Secret(), DataDir(), *store_);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_TRUE(second->written_to.empty());
  EXPECT_FALSE(second->from_environment);
  EXPECT_EQ(ReadFileBytes(TokenFile()), content);
}

TEST_F(AdminTokenTest, EnvironmentTokenIsUsedAndNeverWritten) {
  const auto result = EnsureAdminToken(base::Secret("env-token-value"), DataDir(), *store_);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->from_environment);
  EXPECT_TRUE(result->written_to.empty());
  EXPECT_EQ(result->sha256, crypto::Sha256("env-token-value"));
  EXPECT_FALSE(fs::exists(TokenFile()));
  EXPECT_EQ(StoredHash(), std::nullopt);
  for (const auto& entry : fs::directory_iterator(DataDir())) {
    EXPECT_EQ(ReadFileBytes(entry.path()).find("env-token-value"), std::string::npos)
        << entry.path();
  }
}

TEST_F(AdminTokenTest, EnvironmentTokenOverridesAGeneratedOne) {
  const auto generated = EnsureAdminToken(base::Secret(), DataDir(), *store_);
  ASSERT_TRUE(generated);
  const auto from_env = EnsureAdminToken(base::Secret("env-token-value"), DataDir(), *store_);
  ASSERT_TRUE(from_env);
  EXPECT_TRUE(from_env->from_environment);
  EXPECT_EQ(from_env->sha256, crypto::Sha256("env-token-value"));
  EXPECT_NE(from_env->sha256, generated->sha256);
}

TEST_F(AdminTokenTest, MalformedStoredHashIsAnError) {
  ASSERT_TRUE(Await(store_->PutSetting(kSettingKey, "not-hex")));
  const auto result = EnsureAdminToken(base::Secret(), DataDir(), *store_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, base::ErrorCode::kInternal);
  EXPECT_FALSE(fs::exists(TokenFile()));
}

TEST_F(AdminTokenTest, UnwritableDataDirIsAnErrorAndStoresNoHash) {
  const auto result = EnsureAdminToken(base::Secret(), dir_.path() / "missing" / "dir", *store_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, base::ErrorCode::kInternal);
  EXPECT_EQ(StoredHash(), std::nullopt);
}

}  // namespace
}  // namespace tenantd::admin
