#include "files/byte_range.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantd::files {
namespace {

using Kind = ByteRange::Kind;

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kWhole:
      return "whole";
    case Kind::kPart:
      return "part";
    case Kind::kUnsatisfiable:
      return "unsatisfiable";
  }
  return "?";
}

void ExpectPart(std::string_view header, uint64_t size, uint64_t first, uint64_t last) {
  SCOPED_TRACE(std::string(header) + " size " + std::to_string(size));
  const ByteRange r = ParseRange(header, size);
  ASSERT_EQ(KindName(r.kind), "part");
  EXPECT_EQ(r.first, first);
  EXPECT_EQ(r.last, last);
  EXPECT_EQ(r.length(), last - first + 1);
}

void ExpectKind(std::string_view header, uint64_t size, Kind kind) {
  SCOPED_TRACE(std::string(header) + " size " + std::to_string(size));
  EXPECT_EQ(KindName(ParseRange(header, size).kind), KindName(kind));
}

TEST(ByteRangeParse, FirstAndLast) {
  ExpectPart("bytes=0-9", 100, 0, 9);
  ExpectPart("bytes=0-0", 100, 0, 0);
  ExpectPart("bytes=99-99", 100, 99, 99);
  ExpectPart("bytes=10-20", 100, 10, 20);
}

TEST(ByteRangeParse, OpenEnded) {
  ExpectPart("bytes=90-", 100, 90, 99);
  ExpectPart("bytes=0-", 100, 0, 99);
  ExpectPart("bytes=99-", 100, 99, 99);
}

TEST(ByteRangeParse, Suffix) {
  ExpectPart("bytes=-10", 100, 90, 99);
  ExpectPart("bytes=-1", 100, 99, 99);
  ExpectPart("bytes=-100", 100, 0, 99);
  ExpectPart("bytes=-1000", 100, 0, 99);
}

TEST(ByteRangeParse, LastBeyondTheEndIsClamped) {
  ExpectPart("bytes=50-1000", 100, 50, 99);
  ExpectPart("bytes=0-100", 100, 0, 99);
  ExpectPart("bytes=0-18446744073709551", 100, 0, 99);
}

TEST(ByteRangeParse, Unsatisfiable) {
  ExpectKind("bytes=100-", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=100-200", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=1000-", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=-0", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=0-", 0, Kind::kUnsatisfiable);
  ExpectKind("bytes=0-0", 0, Kind::kUnsatisfiable);
  ExpectKind("bytes=-5", 0, Kind::kUnsatisfiable);
}

TEST(ByteRangeParse, InvalidRangesAreIgnored) {
  ExpectKind("bytes=5-2", 100, Kind::kWhole);
  ExpectKind("items=0-1", 100, Kind::kWhole);
  ExpectKind("bytes=a-b", 100, Kind::kWhole);
  ExpectKind("bytes=1-b", 100, Kind::kWhole);
  ExpectKind("bytes=a-", 100, Kind::kWhole);
  ExpectKind("bytes=-b", 100, Kind::kWhole);
  ExpectKind("bytes=", 100, Kind::kWhole);
  ExpectKind("bytes=-", 100, Kind::kWhole);
  ExpectKind("bytes=5", 100, Kind::kWhole);
  ExpectKind("bytes", 100, Kind::kWhole);
  ExpectKind("", 100, Kind::kWhole);
  ExpectKind("bytes=+1-2", 100, Kind::kWhole);
  ExpectKind("bytes=--5", 100, Kind::kWhole);
  ExpectKind("bytes=1-2-3", 100, Kind::kWhole);
  ExpectKind("bytes=0x1-2", 100, Kind::kWhole);
  ExpectKind("bytes 0-1", 100, Kind::kWhole);
}

TEST(ByteRangeParse, SeveralRangesServeTheWholeFile) {
  ExpectKind("bytes=0-1,5-6", 100, Kind::kWhole);
  ExpectKind("bytes=0-1, 5-6", 100, Kind::kWhole);
  ExpectKind("bytes=0-1,", 100, Kind::kWhole);
}

TEST(ByteRangeParse, UnitIsCaseInsensitive) {
  ExpectPart("BYTES=0-0", 100, 0, 0);
  ExpectPart("Bytes=3-4", 100, 3, 4);
}

TEST(ByteRangeParse, ToleratesSurroundingWhitespace) {
  ExpectPart("bytes= 1-2", 100, 1, 2);
  ExpectPart("bytes=1-2 ", 100, 1, 2);
  ExpectPart("  bytes=1-2", 100, 1, 2);
  ExpectPart("bytes=\t-3", 100, 97, 99);
}

TEST(ByteRangeParse, LargeFile) {
  const uint64_t size = uint64_t{5} << 40;  // 5 TiB
  ExpectPart("bytes=5497558138000-", size, 5497558138000, size - 1);
  ExpectPart("bytes=-1", size, size - 1, size - 1);
}

TEST(ByteRangeParse, DefaultIsWhole) {
  const ByteRange r;
  EXPECT_EQ(KindName(r.kind), "whole");
}

}  // namespace
}  // namespace tenantd::files
