#include "crypto/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "crypto/crypto.h"

namespace tenantd::crypto {
namespace {

namespace fs = std::filesystem;

// 0x00, 0x01, ..., 0x1f: a fixed key so vectors computed elsewhere can be pinned.
std::string SequentialKey() {
  std::string key;
  for (int i = 0; i < 32; ++i) key += static_cast<char>(i);
  return key;
}

SecretBox MakeBox(std::string key) {
  base::Result<SecretBox> box = SecretBox::Create(base::Secret(std::move(key)));
  EXPECT_TRUE(box.has_value());
  return std::move(box).value();
}

SecretBox RandomBox() { return MakeBox(RandomBytes(32)); }

// ---- SecretBox ------------------------------------------------------------

TEST(SecretBox, CreateRejectsKeysThatAreNotThirtyTwoBytes) {
  for (std::size_t size : {0u, 16u, 31u, 33u, 64u}) {
    base::Result<SecretBox> box = SecretBox::Create(base::Secret(std::string(size, 'k')));
    ASSERT_FALSE(box.has_value()) << size;
    EXPECT_EQ(box.error().code, base::ErrorCode::kInvalidArgument);
  }
}

TEST(SecretBox, OpensWhatItSealed) {
  const SecretBox box = RandomBox();
  const std::string binary("pass\0word\xff", 10);
  for (const std::string& plaintext : {std::string(), std::string("x"), std::string("hunter2"),
                                       binary, std::string(10'000, 'p')}) {
    const std::string sealed = box.Seal(plaintext, "tenant:t1:db_password");
    base::Result<base::Secret> opened = box.Open(sealed, "tenant:t1:db_password");
    ASSERT_TRUE(opened.has_value()) << plaintext.size();
    EXPECT_EQ(opened->Reveal(), plaintext);
  }
}

TEST(SecretBox, OpensWithEmptyAad) {
  const SecretBox box = RandomBox();
  base::Result<base::Secret> opened = box.Open(box.Seal("s3cret", ""), "");
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->Reveal(), "s3cret");
}

TEST(SecretBox, SealedTextIsKeyIdDotBase64UrlOfNonceCiphertextAndTag) {
  const SecretBox box = RandomBox();
  const std::string sealed = box.Seal("hello", "aad");
  const std::size_t dot = sealed.find('.');
  ASSERT_NE(dot, std::string::npos);
  EXPECT_EQ(sealed.substr(0, dot), box.key_id());
  std::optional<std::string> blob = Base64UrlDecode(sealed.substr(dot + 1));
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->size(), 12u + 5u + 16u);
}

TEST(SecretBox, SealUsesAFreshNonceEveryCall) {
  const SecretBox box = RandomBox();
  const std::string a = box.Seal("same", "aad");
  const std::string b = box.Seal("same", "aad");
  EXPECT_NE(a, b);
  EXPECT_NE(Base64UrlDecode(a.substr(9))->substr(0, 12),
            Base64UrlDecode(b.substr(9))->substr(0, 12));
}

// Pins the wire format against an independent AES-GCM implementation (Python
// `cryptography`, nonce 0x64..0x6f), so sealed values stay readable across builds.
TEST(SecretBox, OpensValueSealedByIndependentAesGcmImplementation) {
  const SecretBox box = MakeBox(SequentialKey());
  base::Result<base::Secret> opened = box.Open(
      "7faf91c4.ZGVmZ2hpamtsbW5vLHnzFhiaJelREDvF67T18QsGJFjfoVMD87TfmP4", "tenant:t1:db_password");
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->Reveal(), "db-password-1");
}

TEST(SecretBox, RejectsEveryFlippedBitOfSealedText) {
  const SecretBox box = RandomBox();
  // Lengths 0..2 put the base64 tail in each of its three shapes, so flips
  // of the unused low bits of the last character are covered too.
  for (const std::string plaintext : {"", "a", "ab", "abc", "a longer secret value"}) {
    const std::string sealed = box.Seal(plaintext, "aad");
    ASSERT_TRUE(box.Open(sealed, "aad").has_value());
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string tampered = sealed;
        tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
        EXPECT_FALSE(box.Open(tampered, "aad").has_value())
            << "plaintext size " << plaintext.size() << ", char " << i << ", bit " << bit;
      }
    }
  }
}

TEST(SecretBox, RejectsFlippedByteInNonceCiphertextOrTag) {
  const SecretBox box = RandomBox();
  const std::string sealed = box.Seal("a secret worth protecting", "aad");
  const std::string prefix = sealed.substr(0, 9);
  const std::string blob = *Base64UrlDecode(sealed.substr(9));
  for (std::size_t i = 0; i < blob.size(); ++i) {
    std::string tampered = blob;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(box.Open(prefix + Base64UrlEncode(tampered), "aad").has_value()) << "byte " << i;
  }
}

TEST(SecretBox, RejectsTruncatedOrExtendedText) {
  const SecretBox box = RandomBox();
  const std::string sealed = box.Seal("secret", "aad");
  const std::string blob = *Base64UrlDecode(sealed.substr(9));
  const std::string prefix = sealed.substr(0, 9);
  for (const std::string& bad : {
           std::string(),
           box.key_id(),
           prefix,
           sealed.substr(9),
           sealed.substr(0, sealed.size() - 1),
           sealed.substr(0, sealed.size() - 4),
           sealed + "A",
           sealed + "AAAA",
           prefix + Base64UrlEncode(blob.substr(0, 27)),  // shorter than nonce + tag
           prefix + Base64UrlEncode(blob.substr(0, blob.size() - 1)),
           prefix + Base64UrlEncode(blob + '\0'),
           box.key_id() + "." + sealed,
       }) {
    EXPECT_FALSE(box.Open(bad, "aad").has_value()) << bad;
  }
}

TEST(SecretBox, RejectsWrongAad) {
  const SecretBox box = RandomBox();
  const std::string sealed = box.Seal("secret", "tenant:a:app_secret");
  EXPECT_FALSE(box.Open(sealed, "tenant:b:app_secret").has_value());
  EXPECT_FALSE(box.Open(sealed, "tenant:a:app_secreT").has_value());
  EXPECT_FALSE(box.Open(sealed, "").has_value());
  EXPECT_FALSE(box.Open(box.Seal("secret", ""), "x").has_value());
}

TEST(SecretBox, RejectsValueSealedUnderOtherKey) {
  const SecretBox a = RandomBox();
  const SecretBox b = RandomBox();
  ASSERT_NE(a.key_id(), b.key_id());
  const std::string sealed = a.Seal("secret", "aad");
  EXPECT_FALSE(b.Open(sealed, "aad").has_value());
  // Relabelling it with b's key id does not help: the tag still fails.
  EXPECT_FALSE(b.Open(b.key_id() + sealed.substr(8), "aad").has_value());
}

TEST(SecretBox, OpenFailsWithTheSameInternalErrorWhateverTheCause) {
  const SecretBox box = RandomBox();
  const SecretBox other = RandomBox();
  const std::string sealed = box.Seal("xyzzy-plaintext", "aad");
  std::string flipped = sealed;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  const base::Error wrong_aad = box.Open(sealed, "other").error();
  for (const base::Error& e :
       {box.Open(other.Seal("xyzzy-plaintext", "aad"), "aad").error(),
        box.Open("garbage", "aad").error(), box.Open(flipped, "aad").error(), wrong_aad}) {
    EXPECT_EQ(e.code, base::ErrorCode::kInternal);
    EXPECT_EQ(e.public_message, wrong_aad.public_message);
    EXPECT_EQ(e.log_detail, wrong_aad.log_detail);
    EXPECT_EQ(e.log_detail.find("xyzzy"), std::string::npos);
  }
}

TEST(SecretBox, KeyIdIsEightLowercaseHexCharsOfLabelledKeyHash) {
  const SecretBox box = MakeBox(SequentialKey());
  // SHA-256("tenantd-key-id" || 0x00..0x1f), first 8 hex chars.
  EXPECT_EQ(box.key_id(), "7faf91c4");
  const SecretBox random = RandomBox();
  ASSERT_EQ(random.key_id().size(), 8u);
  for (char c : random.key_id()) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  }
}

TEST(SecretBox, KeyIdIsStableForTheSameKey) {
  const std::string key = RandomBytes(32);
  EXPECT_EQ(MakeBox(key).key_id(), MakeBox(key).key_id());
  EXPECT_NE(MakeBox(key).key_id(), RandomBox().key_id());
}

TEST(SecretBox, DeriveKeyMatchesHkdfSha256WithTenantdSalt) {
  // HKDF-SHA256(ikm = 0x00..0x1f, salt = "tenantd", info = "api-key-pepper", L = 32),
  // computed with Python's hmac module.
  EXPECT_EQ(HexEncode(MakeBox(SequentialKey()).DeriveKey("api-key-pepper").Reveal()),
            "136ecd39ec0b56070829b60dc2ee869dc4dc762681f972673055c392da3a5ffa");
}

TEST(SecretBox, DeriveKeyIsDeterministicAndPurposeDependent) {
  const std::string key = RandomBytes(32);
  const SecretBox box = MakeBox(key);
  const std::string pepper = box.DeriveKey("api-key-pepper").Reveal();
  EXPECT_EQ(pepper.size(), 32u);
  EXPECT_EQ(pepper, box.DeriveKey("api-key-pepper").Reveal());
  EXPECT_EQ(pepper, MakeBox(key).DeriveKey("api-key-pepper").Reveal());
  EXPECT_NE(pepper, box.DeriveKey("session-pepper").Reveal());
  EXPECT_NE(pepper, box.DeriveKey("").Reveal());
  EXPECT_NE(pepper, key);
  EXPECT_NE(box.DeriveKey("").Reveal(), key);
  EXPECT_NE(pepper, RandomBox().DeriveKey("api-key-pepper").Reveal());
}

// ---- LoadOrCreateMasterKey --------------------------------------------------

class MasterKey : public ::testing::Test {
 protected:
  MasterKey()
      : root_(fs::temp_directory_path() /
              ("tenantd_secret_box_test_" + std::to_string(::getpid()) + "_" + RandomBase62(12))) {
    fs::create_directories(root_);
  }
  ~MasterKey() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path KeyFile() const { return root_ / "master.key"; }

  void WriteKeyFile(std::string_view content, fs::perms mode) const {
    {
      std::ofstream out(KeyFile(), std::ios::binary | std::ios::trunc);
      out << content;
    }
    fs::permissions(KeyFile(), mode, fs::perm_options::replace);
  }

  std::string ReadKeyFile() const {
    std::ifstream in(KeyFile(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static base::Result<base::Secret> LoadFromFile(const fs::path& dir) {
    return LoadOrCreateMasterKey(base::Secret(), dir);
  }

  fs::path root_;
};

constexpr fs::perms kOwnerReadWrite = fs::perms::owner_read | fs::perms::owner_write;

TEST_F(MasterKey, GeneratesKeyFileWithMode0600OnFirstUse) {
  const fs::path dir = root_ / "data" / "nested";  // created on demand
  base::Result<base::Secret> key = LoadFromFile(dir);
  ASSERT_TRUE(key.has_value()) << key.error().public_message << " / " << key.error().log_detail;
  EXPECT_EQ(key->Reveal().size(), 32u);

  struct stat st {};
  ASSERT_EQ(::stat((dir / "master.key").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  std::ifstream in(dir / "master.key", std::ios::binary);
  const std::string content(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(content, Base64Encode(key->Reveal()) + "\n");

  // The temporary file was published, not left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(MasterKey, ReturnsSameKeyOnSecondLoad) {
  base::Result<base::Secret> first = LoadFromFile(root_);
  base::Result<base::Secret> second = LoadFromFile(root_);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->Reveal(), second->Reveal());
}

TEST_F(MasterKey, GeneratesDifferentKeysForDifferentDataDirs) {
  base::Result<base::Secret> a = LoadFromFile(root_ / "a");
  base::Result<base::Secret> b = LoadFromFile(root_ / "b");
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(a->Reveal(), b->Reveal());
}

TEST_F(MasterKey, ReadsKeyFileWithOrWithoutTrailingNewline) {
  const std::string key = RandomBytes(32);
  for (const char* suffix : {"", "\n", "\r\n"}) {
    WriteKeyFile(Base64Encode(key) + suffix, kOwnerReadWrite);
    base::Result<base::Secret> loaded = LoadFromFile(root_);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().log_detail;
    EXPECT_EQ(loaded->Reveal(), key);
  }
}

TEST_F(MasterKey, ConfiguredKeyWinsOverKeyFile) {
  WriteKeyFile(Base64Encode(RandomBytes(32)) + "\n", kOwnerReadWrite);
  const std::string configured = RandomBytes(32);
  base::Result<base::Secret> key =
      LoadOrCreateMasterKey(base::Secret(Base64Encode(configured)), root_);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Reveal(), configured);
}

TEST_F(MasterKey, ConfiguredKeyCreatesNoKeyFile) {
  const std::string configured = RandomBytes(32);
  base::Result<base::Secret> key =
      LoadOrCreateMasterKey(base::Secret(Base64Encode(configured) + "\n"), root_ / "data");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Reveal(), configured);
  EXPECT_FALSE(fs::exists(root_ / "data"));
}

TEST_F(MasterKey, RejectsConfiguredKeyThatIsNotBase64WithoutEchoingIt) {
  const std::string value = "not-base64-but-a-secret-value!!";
  base::Result<base::Secret> key = LoadOrCreateMasterKey(base::Secret(value), root_);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_NE(key.error().public_message.find("TENANTD_MASTER_KEY"), std::string::npos);
  EXPECT_EQ(key.error().public_message.find(value), std::string::npos);
  EXPECT_EQ(key.error().log_detail.find(value), std::string::npos);
  EXPECT_FALSE(fs::exists(KeyFile()));
}

TEST_F(MasterKey, RejectsConfiguredKeyOfWrongLengthWithoutEchoingIt) {
  for (std::size_t size : {16u, 31u, 33u}) {
    const std::string value = Base64Encode(RandomBytes(size));
    base::Result<base::Secret> key = LoadOrCreateMasterKey(base::Secret(value), root_);
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_NE(key.error().public_message.find("TENANTD_MASTER_KEY"), std::string::npos);
    EXPECT_EQ(key.error().public_message.find(value), std::string::npos);
    EXPECT_EQ(key.error().log_detail.find(value), std::string::npos);
  }
}

TEST_F(MasterKey, RefusesWorldReadableKeyFile) {
  const std::string content = Base64Encode(RandomBytes(32)) + "\n";
  WriteKeyFile(content, kOwnerReadWrite | fs::perms::group_read | fs::perms::others_read);
  base::Result<base::Secret> key = LoadFromFile(root_);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, base::ErrorCode::kFailedPrecondition);
  EXPECT_NE(key.error().public_message.find("chmod 600"), std::string::npos);
  EXPECT_EQ(key.error().log_detail.find(content.substr(0, 44)), std::string::npos);
  EXPECT_EQ(ReadKeyFile(), content);  // never replaced
}

TEST_F(MasterKey, RefusesKeyFileAccessibleByGroup) {
  WriteKeyFile(Base64Encode(RandomBytes(32)), kOwnerReadWrite | fs::perms::group_read);
  EXPECT_FALSE(LoadFromFile(root_).has_value());
  WriteKeyFile(Base64Encode(RandomBytes(32)), kOwnerReadWrite | fs::perms::others_write);
  EXPECT_FALSE(LoadFromFile(root_).has_value());
}

TEST_F(MasterKey, RefusesMalformedKeyFileWithoutReplacingIt) {
  for (const std::string& content :
       {std::string(), std::string("not base64 at all\n"), Base64Encode(RandomBytes(16)) + "\n",
        Base64Encode(RandomBytes(33)) + "\n", Base64UrlEncode(std::string(32, '\xff')) + "\n",
        std::string(100'000, 'A')}) {
    WriteKeyFile(content, kOwnerReadWrite);
    base::Result<base::Secret> key = LoadFromFile(root_);
    ASSERT_FALSE(key.has_value()) << content;
    EXPECT_EQ(key.error().code, base::ErrorCode::kFailedPrecondition);
    EXPECT_NE(key.error().public_message.find("master.key"), std::string::npos);
    if (!content.empty() && content.size() < 1000) {
      EXPECT_EQ(key.error().public_message.find(content), std::string::npos);
      EXPECT_EQ(key.error().log_detail.find(content), std::string::npos);
    }
    EXPECT_EQ(ReadKeyFile(), content);
  }
}

TEST_F(MasterKey, RefusesKeyPathThatIsNotARegularFile) {
  fs::create_directory(KeyFile());
  fs::permissions(KeyFile(), fs::perms::owner_all, fs::perm_options::replace);
  base::Result<base::Secret> key = LoadFromFile(root_);
  ASSERT_FALSE(key.has_value());
  EXPECT_TRUE(fs::is_directory(KeyFile()));
}

}  // namespace
}  // namespace tenantd::crypto
