// PNG images made in the test, so no image fixture is committed: a real
// image of any size, and a decompression bomb (a tiny file that claims a
// huge image). Written with zlib by hand: the format is a signature and
// three CRC-checked chunks.
#pragma once

#include <cstdint>
#include <string>

namespace tenantd::test {

// A width x height 8-bit RGB PNG with a pattern that depends on `seed`.
std::string MakePng(uint32_t width, uint32_t height, uint32_t seed = 1);

// A 1-bit grayscale PNG of width x height, all black: compresses about
// 1000:1, so 20,000 x 20,000 (400 megapixels) fits in ~50 KB.
std::string MakeBlackPng(uint32_t width, uint32_t height);

// Width and height from a PNG's IHDR; {0, 0} when `png` is not one.
struct PngSize {
  uint32_t width = 0;
  uint32_t height = 0;
};
PngSize ReadPngSize(const std::string& png);

}  // namespace tenantd::test
