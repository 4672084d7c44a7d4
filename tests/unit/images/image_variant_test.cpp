#include "images/image_variant.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/png.h"

namespace tenantd::images {
namespace {

using test::MakeBlackPng;
using test::MakePng;
using test::ReadPngSize;

VariantSpec Png(int w, int h) { return {{w, h}, Format::kPng}; }

TEST(MakeVariant, FitsInsideTheBoxKeepingTheAspect) {
  const auto out = MakeVariant(MakePng(300, 200), Png(64, 64));
  ASSERT_TRUE(out) << out.error().public_message;
  const test::PngSize size = ReadPngSize(*out);
  EXPECT_EQ(size.width, 64u);
  EXPECT_EQ(size.height, 43u);  // 200 * 64 / 300, rounded
  const auto tall = MakeVariant(MakePng(100, 400), Png(64, 64));
  ASSERT_TRUE(tall);
  EXPECT_EQ(ReadPngSize(*tall).width, 16u);
  EXPECT_EQ(ReadPngSize(*tall).height, 64u);
}

TEST(MakeVariant, NeverEnlarges) {
  const auto out = MakeVariant(MakePng(30, 20), Png(1024, 1024));
  ASSERT_TRUE(out);
  EXPECT_EQ(ReadPngSize(*out).width, 30u);
  EXPECT_EQ(ReadPngSize(*out).height, 20u);
}

TEST(MakeVariant, EncodesWebpAndJpegByTheirSignatures) {
  const std::string source = MakePng(120, 80);
  const auto webp = MakeVariant(source, {{64, 64}, Format::kWebp});
  ASSERT_TRUE(webp);
  EXPECT_EQ(webp->substr(0, 4), "RIFF");
  EXPECT_EQ(webp->substr(8, 4), "WEBP");
  const auto jpeg = MakeVariant(source, {{64, 64}, Format::kJpeg});
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->substr(0, 3), std::string("\xFF\xD8\xFF", 3));
  // A variant of a variant works: what tenantd writes, libvips reads.
  const auto again = MakeVariant(*jpeg, Png(32, 32));
  ASSERT_TRUE(again);
  EXPECT_EQ(ReadPngSize(*again).width, 32u);
}

TEST(MakeVariant, StripsMetadata) {
  // A tEXt chunk (metadata) before IEND survives a naive copy, not a variant.
  std::string source = MakePng(40, 40);
  const std::string chunk = std::string("tEXt") + std::string("Comment\0secret-location-49.1N", 29);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), chunk.size());
  std::string text("\0\0\0\x1d", 4);
  text += chunk;
  for (int shift : {24, 16, 8, 0}) text += static_cast<char>((crc >> shift) & 0xFF);
  source.insert(source.size() - 12, text);  // before IEND
  ASSERT_NE(source.find("secret-location"), std::string::npos);
  const auto out = MakeVariant(source, Png(40, 40));
  ASSERT_TRUE(out) << out.error().public_message;
  EXPECT_EQ(out->find("secret-location"), std::string::npos);
  EXPECT_EQ(ReadPngSize(*out).width, 40u);
}

TEST(MakeVariant, RefusesWhatIsNoImageAs415) {
  for (const std::string& bytes :
       {std::string("hello, world"), std::string(),
        std::string("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>"),
        std::string("%PDF-1.4\n")}) {
    const auto out = MakeVariant(bytes, Png(64, 64));
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().problem_code, "unsupported_media_type");
  }
}

TEST(MakeVariant, RefusesADecompressionBombBeforeDecodingIt) {
  const std::string bomb = MakeBlackPng(20000, 20000);  // 400 megapixels
  ASSERT_LT(bomb.size(), 256u * 1024);
  const auto out = MakeVariant(bomb, Png(64, 64));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().problem_code, "image_rejected");
  EXPECT_NE(out.error().public_message.find("400000000 pixels"), std::string::npos)
      << out.error().public_message;
}

TEST(MakeVariant, RefusesATruncatedImage) {
  const std::string png = MakePng(200, 200);
  const auto out = MakeVariant(png.substr(0, png.size() / 2), Png(64, 64));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().problem_code, "image_rejected");
}

}  // namespace
}  // namespace tenantd::images
