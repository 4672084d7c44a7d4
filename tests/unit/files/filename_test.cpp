#include "files/filename.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantd::files {
namespace {

using namespace std::string_literals;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

bool HasControl(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// ---- SanitizeFilename ------------------------------------------------------

TEST(FilenameSanitize, PlainNameIsKept) {
  EXPECT_EQ(SanitizeFilename("report.pdf"), "report.pdf");
  EXPECT_EQ(SanitizeFilename("my report (1).pdf"), "my report (1).pdf");
  EXPECT_EQ(SanitizeFilename("café.txt"), "café.txt");
}

TEST(FilenameSanitize, KeepsOnlyTheLastPathComponent) {
  EXPECT_EQ(SanitizeFilename("../../etc/passwd"), "passwd");
  EXPECT_EQ(SanitizeFilename("a/b"), "b");
  EXPECT_EQ(SanitizeFilename("a\\b"), "b");
  EXPECT_EQ(SanitizeFilename("C:\\Users\\me\\photo.jpg"), "photo.jpg");
  EXPECT_EQ(SanitizeFilename("/abs/path/x.txt"), "x.txt");
  EXPECT_EQ(SanitizeFilename("dir/..\\..//mixed.txt"), "mixed.txt");
}

TEST(FilenameSanitize, PathEndingInSeparatorBecomesDefault) {
  EXPECT_EQ(SanitizeFilename("dir/"), "file");
  EXPECT_EQ(SanitizeFilename("a/.."), "file");
  EXPECT_EQ(SanitizeFilename("\\"), "file");
}

TEST(FilenameSanitize, DropsNulAndControlCharacters) {
  EXPECT_EQ(SanitizeFilename(std::string_view("a\0b", 3)), "ab");
  EXPECT_EQ(SanitizeFilename("a\x01\x7f b"), "a b");
  EXPECT_EQ(SanitizeFilename("tab\there\r\nnl.txt"), "tabherenl.txt");
  // C1 controls (U+0080..U+009F, encoded C2 80..C2 9F) go too.
  EXPECT_EQ(SanitizeFilename("x\xc2\x85y\xc2\x9f"), "xy");
  // U+00A0 (C2 A0) is not a control character.
  EXPECT_EQ(SanitizeFilename("x\xc2\xa0y"), "x\xc2\xa0y");
}

TEST(FilenameSanitize, NulCannotSmuggleAPathComponent) {
  const std::string raw("evil\0/../../etc/passwd", 22);
  EXPECT_EQ(SanitizeFilename(raw), "passwd");
}

TEST(FilenameSanitize, LongAsciiNameIsCutTo255Bytes) {
  const std::string raw(10 * 1024, 'a');
  const std::string name = SanitizeFilename(raw);
  EXPECT_EQ(name.size(), kMaxFilenameBytes);
  EXPECT_EQ(name, std::string(kMaxFilenameBytes, 'a'));
}

TEST(FilenameSanitize, CutFallingInsideAMultibyteCharacterKeepsValidUtf8) {
  std::string raw;
  for (int i = 0; i < 200; ++i) raw += "é";  // 400 bytes, 2 bytes each
  const std::string name = SanitizeFilename(raw);
  EXPECT_LE(name.size(), kMaxFilenameBytes);
  EXPECT_EQ(name.size(), 254u);  // 127 whole characters; the 128th would reach 256
  EXPECT_TRUE(IsValidUtf8(name));

  std::string four;
  for (int i = 0; i < 100; ++i) four += "\xf0\x9f\x98\x80";  // U+1F600, 4 bytes
  const std::string cut = SanitizeFilename(four);
  EXPECT_EQ(cut.size(), 252u);
  EXPECT_TRUE(IsValidUtf8(cut));

  // An odd prefix puts the 255-byte mark in the middle of a 3-byte character.
  std::string three = "x";
  for (int i = 0; i < 200; ++i) three += "\xe2\x82\xac";  // U+20AC
  const std::string cut3 = SanitizeFilename(three);
  EXPECT_EQ(cut3.size(), 253u);
  EXPECT_TRUE(IsValidUtf8(cut3));
}

TEST(FilenameSanitize, LongNameAfterPathIsCut) {
  const std::string raw = "dir/" + std::string(1000, 'b') + "/" + std::string(300, 'c');
  EXPECT_EQ(SanitizeFilename(raw), std::string(kMaxFilenameBytes, 'c'));
}

TEST(FilenameSanitize, InvalidUtf8BytesBecomeUnderscores) {
  EXPECT_EQ(SanitizeFilename("a\xff"
                             "b"),
            "a_b");
  EXPECT_EQ(SanitizeFilename("\xfe\xff.txt"), "__.txt");
  EXPECT_EQ(SanitizeFilename("a\xc3"), "a_");                 // truncated sequence
  EXPECT_EQ(SanitizeFilename("\xc3(x"), "_(x");               // bad continuation byte
  EXPECT_EQ(SanitizeFilename("\xc0\xaf.txt"), "__.txt");      // overlong '/'
  EXPECT_EQ(SanitizeFilename("\xed\xa0\x80z"), "___z");       // UTF-16 surrogate
  EXPECT_EQ(SanitizeFilename("\xf4\x90\x80\x80z"), "____z");  // above U+10FFFF
  EXPECT_EQ(SanitizeFilename("\x80"), "_");                   // lone continuation byte
  EXPECT_TRUE(IsValidUtf8(SanitizeFilename("\xff\xfe\xc3\x28\xe2\x82")));
}

TEST(FilenameSanitize, EmptyAndDotNamesBecomeDefault) {
  EXPECT_EQ(SanitizeFilename(""), "file");
  EXPECT_EQ(SanitizeFilename("."), "file");
  EXPECT_EQ(SanitizeFilename(".."), "file");
  EXPECT_EQ(SanitizeFilename("   "), "file");
  EXPECT_EQ(SanitizeFilename(" . . "), "file");
  EXPECT_EQ(SanitizeFilename("\x01\x02"), "file");
  EXPECT_EQ(SanitizeFilename(std::string_view("\0", 1)), "file");
  EXPECT_EQ(kDefaultFilename, "file");
}

TEST(FilenameSanitize, TrimsLeadingDotsAndSurroundingSpaces) {
  EXPECT_EQ(SanitizeFilename(".bashrc"), "bashrc");
  EXPECT_EQ(SanitizeFilename("...hidden.txt"), "hidden.txt");
  EXPECT_EQ(SanitizeFilename("  name.txt  "), "name.txt");
  EXPECT_EQ(SanitizeFilename(" . name.txt"), "name.txt");
  EXPECT_EQ(SanitizeFilename("in side.txt"), "in side.txt");
}

// The header promises "surrounding spaces and dots are trimmed", but only
// leading dots are: a trailing dot survives.
TEST(FilenameSanitize, TrimsTrailingDots) {
  EXPECT_EQ(SanitizeFilename("name.txt."), "name.txt");
  EXPECT_EQ(SanitizeFilename("name.txt. ."), "name.txt");
}

// The header documents trimming before the 255-byte cut; the code cuts
// first, so a long run of leading spaces/dots eats the whole name.
TEST(FilenameSanitize, TrimsBeforeCutting) {
  EXPECT_EQ(SanitizeFilename(std::string(300, '.') + "report.pdf"), "report.pdf");
  EXPECT_EQ(SanitizeFilename(std::string(300, ' ') + "report.pdf"), "report.pdf");
}

TEST(FilenameSanitize, DecodesRfc5987ExtValue) {
  EXPECT_EQ(SanitizeFilename("UTF-8''caf%C3%A9.txt"), "café.txt");
  EXPECT_EQ(SanitizeFilename("utf-8''caf%c3%a9.txt"), "café.txt");
  EXPECT_EQ(SanitizeFilename("utf-8''a%20b"), "a b");
}

TEST(FilenameSanitize, DecodedExtValueIsSanitizedToo) {
  EXPECT_EQ(SanitizeFilename("utf-8''..%2F..%2Fx"), "x");
  EXPECT_EQ(SanitizeFilename("UTF-8''a%5Cb"), "b");
  EXPECT_EQ(SanitizeFilename("UTF-8''a%00b"), "ab");
  EXPECT_EQ(SanitizeFilename("UTF-8''%FF"), "_");
  EXPECT_EQ(SanitizeFilename("UTF-8''%2E%2E"), "file");
  const std::string decoded = SanitizeFilename("UTF-8''x%0D%0Ay");
  EXPECT_EQ(decoded, "xy");
  EXPECT_FALSE(HasControl(decoded));
}

TEST(FilenameSanitize, IncompletePercentEscapesStayLiteral) {
  EXPECT_EQ(SanitizeFilename("UTF-8''100%"), "100%");
  EXPECT_EQ(SanitizeFilename("UTF-8''a%4"), "a%4");
  EXPECT_EQ(SanitizeFilename("UTF-8''a%zzb"), "a%zzb");
}

TEST(FilenameSanitize, NotAnExtValueIsNotDecoded) {
  EXPECT_EQ(SanitizeFilename("caf%C3%A9.txt"), "caf%C3%A9.txt");
  // Not decoded, so no separator appears: only the leading dots go.
  EXPECT_EQ(SanitizeFilename("..%2F..%2Fx"), "%2F..%2Fx");
}

TEST(FilenameSanitize, OutputIsAlwaysSafe) {
  const std::string inputs[] = {
      "../../etc/passwd",       std::string("a\0/b\0", 5), "\xff\xfe/\x01\x7f",
      "UTF-8''%00%2F%FF%C3",    std::string(5000, '\x80'), "..",
      "con\r\nSet-Cookie: x=y",
  };
  for (const std::string& raw : inputs) {
    const std::string name = SanitizeFilename(raw);
    SCOPED_TRACE(name);
    EXPECT_FALSE(name.empty());
    EXPECT_LE(name.size(), kMaxFilenameBytes);
    EXPECT_EQ(name.find('/'), std::string::npos);
    EXPECT_EQ(name.find('\\'), std::string::npos);
    EXPECT_FALSE(HasControl(name));
    EXPECT_TRUE(IsValidUtf8(name));
    EXPECT_NE(name, ".");
    EXPECT_NE(name, "..");
  }
}

// ---- ContentDisposition ----------------------------------------------------

TEST(FilenameContentDisposition, AsciiName) {
  EXPECT_EQ(ContentDisposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
}

TEST(FilenameContentDisposition, SpacesAreKeptInFallbackAndEncodedInExtValue) {
  EXPECT_EQ(ContentDisposition("my file.txt"),
            "attachment; filename=\"my file.txt\"; filename*=UTF-8''my%20file.txt");
}

TEST(FilenameContentDisposition, QuoteBackslashAndPercent) {
  EXPECT_EQ(ContentDisposition("a\"b\\c%d.txt"),
            "attachment; filename=\"a_b_c_d.txt\"; filename*=UTF-8''a%22b%5Cc%25d.txt");
}

TEST(FilenameContentDisposition, Utf8NameIsPercentEncoded) {
  EXPECT_EQ(ContentDisposition("café.txt"),
            "attachment; filename=\"caf__.txt\"; filename*=UTF-8''caf%C3%A9.txt");
}

TEST(FilenameContentDisposition, AttrCharsAreNotEncoded) {
  EXPECT_EQ(ContentDisposition("a!#$&+-.^_`|~Z9"),
            "attachment; filename=\"a!#$&+-.^_`|~Z9\"; filename*=UTF-8''a!#$&+-.^_`|~Z9");
  EXPECT_EQ(ContentDisposition("a;b=c'(d)"),
            "attachment; filename=\"a;b=c'(d)\"; filename*=UTF-8''a%3Bb%3Dc%27%28d%29");
}

TEST(FilenameContentDisposition, RoundTripsThroughSanitizeFilename) {
  for (const std::string name : {"café.txt", "a b%c.txt", "日本語.pdf", "x\"y.txt"}) {
    const std::string header = ContentDisposition(name);
    const std::string marker = "filename*=";
    const std::size_t at = header.find(marker);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(SanitizeFilename(header.substr(at + marker.size())), name);
  }
}

}  // namespace
}  // namespace tenantd::files
