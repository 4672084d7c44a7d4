#include "support/png.h"

#include <zlib.h>

#include <stdexcept>
#include <vector>

namespace tenantd::test {
namespace {

void PutU32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

void Chunk(std::string& out, const char* type, const std::string& data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  const std::string typed = std::string(type, 4) + data;
  out += typed;
  PutU32(out, static_cast<uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(typed.data()), typed.size())));
}

// Deflates `rows` scanlines of `row_bytes` each (filter byte included),
// produced one at a time by `row`, so a huge image never sits in memory.
template <class RowFn>
std::string DeflateRows(uint32_t rows, std::size_t row_bytes, RowFn row) {
  z_stream z{};
  if (deflateInit(&z, Z_BEST_SPEED) != Z_OK) throw std::runtime_error("deflateInit");
  std::string out;
  std::vector<unsigned char> line(row_bytes);
  std::vector<unsigned char> buf(1 << 16);
  for (uint32_t y = 0; y <= rows; ++y) {
    const bool last = y == rows;
    if (!last) row(y, line);
    z.next_in = last ? nullptr : line.data();
    z.avail_in = last ? 0 : static_cast<uInt>(line.size());
    int rc = Z_OK;
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
  }
  deflateEnd(&z);
  return out;
}

std::string Png(uint32_t width, uint32_t height, uint8_t depth, uint8_t color_type,
                const std::string& idat) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  PutU32(ihdr, width);
  PutU32(ihdr, height);
  ihdr += static_cast<char>(depth);
  ihdr += static_cast<char>(color_type);
  ihdr += std::string(3, '\0');  // compression, filter, interlace
  Chunk(out, "IHDR", ihdr);
  Chunk(out, "IDAT", idat);
  Chunk(out, "IEND", "");
  return out;
}

}  // namespace

std::string MakePng(uint32_t width, uint32_t height, uint32_t seed) {
  const std::string idat =
      DeflateRows(height, 1 + 3 * std::size_t{width}, [&](uint32_t y, auto& line) {
        line[0] = 0;  // filter: none
        for (uint32_t x = 0; x < width; ++x) {
          line[1 + 3 * x] = static_cast<unsigned char>(x * 7 + seed);
          line[2 + 3 * x] = static_cast<unsigned char>(y * 5 + seed * 3);
          line[3 + 3 * x] = static_cast<unsigned char>((x ^ y) + seed);
        }
      });
  return Png(width, height, 8, 2, idat);
}

std::string MakeBlackPng(uint32_t width, uint32_t height) {
  const std::string idat =
      DeflateRows(height, 1 + (std::size_t{width} + 7) / 8,
                  [](uint32_t, auto& line) { std::fill(line.begin(), line.end(), 0); });
  return Png(width, height, 1, 0, idat);
}

PngSize ReadPngSize(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0 ||
      png.compare(12, 4, "IHDR") != 0) {
    return {};
  }
  auto u32 = [&](std::size_t at) {
    return (uint32_t{static_cast<unsigned char>(png[at])} << 24) |
           (uint32_t{static_cast<unsigned char>(png[at + 1])} << 16) |
           (uint32_t{static_cast<unsigned char>(png[at + 2])} << 8) |
           uint32_t{static_cast<unsigned char>(png[at + 3])};
  };
  return {u32(16), u32(20)};
}

}  // namespace tenantd::test
