#include "images/variant_spec.h"

#include <gtest/gtest.h>

namespace tenantd::images {
namespace {

TEST(VariantName, ParsesSizesAndTheThreeFormats) {
  EXPECT_EQ(ParseVariantName("256x256.webp"), (VariantSpec{{256, 256}, Format::kWebp}));
  EXPECT_EQ(ParseVariantName("64x32.png"), (VariantSpec{{64, 32}, Format::kPng}));
  EXPECT_EQ(ParseVariantName("1x8192.jpeg"), (VariantSpec{{1, 8192}, Format::kJpeg}));
}

TEST(VariantName, RefusesEverythingElse) {
  for (const char* bad :
       {"", "256x256", "256x256.", "256x256.gif", "256x256.jpg", "256x256.PNG", "0x10.png",
        "010x10.png", "8193x10.png", "10x99999.png", "-1x10.png", "+1x10.png", "10X10.png",
        "x10.png", "10x.png", "10x10x10.png", "10x10.png.png", "../10x10.png", "10 x10.png"}) {
    EXPECT_FALSE(ParseVariantName(bad)) << bad;
  }
}

TEST(VariantName, RoundTripsThroughItsCanonicalName) {
  for (const char* name : {"64x64.png", "256x128.webp", "1024x1024.jpeg"}) {
    const auto spec = ParseVariantName(name);
    ASSERT_TRUE(spec) << name;
    EXPECT_EQ(VariantName(*spec), name);
  }
  EXPECT_EQ(ContentType(Format::kJpeg), "image/jpeg");
}

TEST(VariantSizes, ParsesAListWithSpacesAndAnEmptyOne) {
  const auto sizes = ParseSizes(" 64x64 , 256x128,1024x1024 ");
  ASSERT_TRUE(sizes);
  EXPECT_EQ(*sizes, (std::vector<Size>{{64, 64}, {256, 128}, {1024, 1024}}));
  const auto none = ParseSizes("  ");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(VariantSizes, NamesTheFirstBadEntry) {
  const auto bad = ParseSizes("64x64,big,0x1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().public_message.find("\"big\""), std::string::npos)
      << bad.error().public_message;
  EXPECT_FALSE(ParseSizes("64x64,"));
  EXPECT_FALSE(ParseSizes("9000x10"));
}

}  // namespace
}  // namespace tenantd::images
