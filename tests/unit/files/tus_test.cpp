#include "files/tus.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.h"

namespace tenantd::files::tus {
namespace {

TEST(TusMetadata, ParsesPairsWithAndWithoutValues) {
  // tus 1.0.0's own example, plus a key without a value.
  auto m = ParseMetadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential");
  ASSERT_TRUE(m) << m.error().public_message;
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ(MetadataValue(*m, "filename"), "world_domination_plan.pdf");
  EXPECT_EQ(MetadataValue(*m, "is_confidential"), "");
  EXPECT_FALSE(MetadataValue(*m, "filetype"));
  EXPECT_TRUE(ParseMetadata("")->empty());
  EXPECT_TRUE(ParseMetadata(" a YQ== , b Yg== "));
}

TEST(TusMetadata, RefusesBadBase64DuplicatesAndEmptyKeys) {
  EXPECT_FALSE(ParseMetadata("filename not*base64"));
  EXPECT_FALSE(ParseMetadata("a YQ==,a Yg=="));
  EXPECT_FALSE(ParseMetadata(",a YQ=="));
  EXPECT_FALSE(ParseMetadata("a YQ== extra"));
  EXPECT_FALSE(ParseMetadata("k\x01 YQ=="));
}

TEST(TusOffset, OnlyPlainDecimals) {
  EXPECT_EQ(ParseOffset("0"), 0u);
  EXPECT_EQ(ParseOffset("1048576"), 1048576u);
  EXPECT_EQ(ParseOffset("9223372036854775807"), 9223372036854775807u);
  for (const char* bad : {"", "-1", "+1", "01", " 1", "1 ", "1e3", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(ParseOffset(bad)) << bad;
  }
}

TEST(TusChecksum, Sha1AndSha256WithTheirDigestSizes) {
  crypto::DigestStream sha1(crypto::DigestStream::Algorithm::kSha1);
  sha1.Update("ab");
  sha1.Update("c");
  const std::string digest = sha1.Finish();
  // FIPS 180 test vector: SHA-1("abc").
  EXPECT_EQ(crypto::HexEncode(digest), "a9993e364706816aba3e25717850c26c9cd0d89d");
  auto c = ParseChecksum("sha1 " + crypto::Base64Encode(digest));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, crypto::DigestStream::Algorithm::kSha1);
  EXPECT_EQ(c->digest, digest);
  auto s = ParseChecksum("sha256 " + crypto::Base64Encode(crypto::Sha256("abc")));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->algorithm, crypto::DigestStream::Algorithm::kSha256);

  auto md5 = ParseChecksum("md5 kAFQmDzST7DWlj99KOF/cg==");
  ASSERT_FALSE(md5);
  EXPECT_EQ(md5.error().problem_code, "checksum_algorithm_unsupported");
  EXPECT_FALSE(ParseChecksum("sha256"));
  EXPECT_FALSE(ParseChecksum("sha256 " + crypto::Base64Encode(digest)));  // 20 bytes
  EXPECT_FALSE(ParseChecksum("sha1 !!!!"));
}

}  // namespace
}  // namespace tenantd::files::tus
