#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantd::base {
namespace {

TEST(TrimAsciiSpace, DropsSpaceAtBothEndsOnly) {
  EXPECT_EQ(TrimAsciiSpace(" \t a b \r\n"), "a b");
  EXPECT_EQ(TrimAsciiSpace("   "), "");
  EXPECT_EQ(TrimAsciiSpace("\xc2\xa0x"), "\xc2\xa0x") << "only ASCII whitespace";
}

TEST(CheckName, AcceptsUtf8WithinTheLimit) {
  EXPECT_FALSE(CheckName("Acme Corp"));
  EXPECT_FALSE(CheckName(" Blue mug \xe6\x97\xa5 "));
  EXPECT_FALSE(CheckName(std::string(200, 'n')));
  EXPECT_FALSE(CheckName(" " + std::string(10, 'n') + " ", 10)) << "measured after trimming";
}

TEST(CheckName, RefusesEmptyLongMalformedAndControlCharacters) {
  for (const std::string& bad :
       {std::string(""), std::string(" \t"), std::string(201, 'n'), std::string("a\x01z"),
        std::string("a\x7fz"), std::string("a\xc2\x85z"), std::string("a\xc3"),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80")}) {
    const auto e = CheckName(bad);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->field, "name");
  }
}

}  // namespace
}  // namespace tenantd::base
