#include "http/entity_tag.h"

#include <gtest/gtest.h>

namespace tenantd::http {
namespace {

TEST(ParseEntityTags, ReadsStrongAndWeakTagsOfAList) {
  const auto tags = ParseEntityTags(R"("1", W/"2" ,,"x-y")");
  ASSERT_TRUE(tags);
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_EQ((*tags)[0].opaque, "1");
  EXPECT_FALSE((*tags)[0].weak);
  EXPECT_EQ((*tags)[1].opaque, "2");
  EXPECT_TRUE((*tags)[1].weak);
  EXPECT_EQ((*tags)[2].opaque, "x-y");
  EXPECT_TRUE(ParseEntityTags(R"("")"));
}

TEST(ParseEntityTags, RefusesWhatIsNotATag) {
  for (const char* bad : {"1", "*", R"("1)", R"(w/"1")", R"("a b")", R"("1" "2")", R"(W/ "1")"}) {
    EXPECT_FALSE(ParseEntityTags(bad)) << bad;
  }
}

TEST(IfNoneMatch, MatchesByWeakComparisonOrStar) {
  EXPECT_TRUE(IfNoneMatchMatches(R"("3")", "3"));
  EXPECT_TRUE(IfNoneMatchMatches(R"(W/"3")", "3"));
  EXPECT_TRUE(IfNoneMatchMatches(R"("1", "3")", "3"));
  EXPECT_TRUE(IfNoneMatchMatches(" * ", "3"));
  EXPECT_FALSE(IfNoneMatchMatches(R"("4")", "3"));
  EXPECT_FALSE(IfNoneMatchMatches(R"("03")", "3"));
  EXPECT_FALSE(IfNoneMatchMatches("3", "3")) << "unquoted: malformed, matches nothing";
}

}  // namespace
}  // namespace tenantd::http
