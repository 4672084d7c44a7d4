#include <gtest/gtest.h>

#include <string>

#include "logging/logger.h"

namespace tenantd::logging {
namespace {

TEST(MaskTarget, LeavesTargetsWithoutQueryAlone) {
  EXPECT_EQ(MaskTarget("/v1/products"), "/v1/products");
  EXPECT_EQ(MaskTarget("/v1/token=abc/x"), "/v1/token=abc/x");
  EXPECT_EQ(MaskTarget(""), "");
}

TEST(MaskTarget, MasksEachCredentialWord) {
  EXPECT_EQ(MaskTarget("/f?signature=s1"), "/f?signature=***");
  EXPECT_EQ(MaskTarget("/f?sig=s2"), "/f?sig=***");
  EXPECT_EQ(MaskTarget("/f?token=s3"), "/f?token=***");
  EXPECT_EQ(MaskTarget("/f?key=s4"), "/f?key=***");
  EXPECT_EQ(MaskTarget("/f?secret=s5"), "/f?secret=***");
  EXPECT_EQ(MaskTarget("/f?password=s6"), "/f?password=***");
}

TEST(MaskTarget, IsCaseInsensitive) {
  EXPECT_EQ(MaskTarget("/f?Token=a&SIGNATURE=b&PassWord=c"),
            "/f?Token=***&SIGNATURE=***&PassWord=***");
}

TEST(MaskTarget, MasksSuffixedNames) {
  EXPECT_EQ(MaskTarget("/f?access_token=a"), "/f?access_token=***");
  EXPECT_EQ(MaskTarget("/f?API_KEY=b"), "/f?API_KEY=***");
  EXPECT_EQ(MaskTarget("/f?client_secret=c"), "/f?client_secret=***");
  EXPECT_EQ(MaskTarget("/f?db_password=d"), "/f?db_password=***");
  EXPECT_EQ(MaskTarget("/f?X-Amz-Signature=e"), "/f?X-Amz-Signature=***");
  EXPECT_EQ(MaskTarget("/f?url_sig=f"), "/f?url_sig=***");
  EXPECT_EQ(MaskTarget("/f?_token=g"), "/f?_token=***");
}

TEST(MaskTarget, KeepsLookalikeNames) {
  const std::string target = "/f?monkey=1&keys=2&tokens=3&sigma=4&tokenize=5&passwords=6&apikey=7";
  EXPECT_EQ(MaskTarget(target), target);
}

TEST(MaskTarget, KeepsOtherParamsAndOrderByteForByte) {
  EXPECT_EQ(MaskTarget("/f?a=1&token=xyz&b=%20+x&key=&c&sig=q%3D%3D&z=9"),
            "/f?a=1&token=***&b=%20+x&key=***&c&sig=***&z=9");
}

TEST(MaskTarget, HandlesEmptyPairsAndValuesWithEquals) {
  EXPECT_EQ(MaskTarget("/f?&token=x&"), "/f?&token=***&");
  EXPECT_EQ(MaskTarget("/f?token=a=b&x=1"), "/f?token=***&x=1");
  EXPECT_EQ(MaskTarget("/f?"), "/f?");
  // A bare name carries no value to hide.
  EXPECT_EQ(MaskTarget("/f?token&x=1"), "/f?token&x=1");
}

}  // namespace
}  // namespace tenantd::logging
