#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tenantd::crypto {
namespace {

// FIPS 180-2 appendix B / NIST CSHS example values.
TEST(Sha256, MatchesNistVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ReturnsThirtyTwoRawBytesMatchingTheHexForm) {
  const std::string raw = Sha256("abc");
  EXPECT_EQ(raw.size(), 32u);
  EXPECT_EQ(HexEncode(raw), Sha256Hex("abc"));
}

TEST(HmacSha256, MatchesRfc4231TestCase1) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, MatchesRfc4231TestCase2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, MatchesRfc4231TestCase6WithKeyLongerThanBlock) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, AcceptsEmptyKeyAndMessage) {
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256, GivesSameResultsFromManyThreadsAtOnce) {
  // The shared HMAC template context is only ever duplicated, never mutated.
  const std::string expected = HmacSha256("Jefe", "what do ya want for nothing?");
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (HmacSha256("Jefe", "what do ya want for nothing?") != expected) ++mismatches;
        if (HmacSha256(std::to_string(t), "x") != HmacSha256(std::to_string(t), "x")) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
}

TEST(Hex, EncodesLowercaseAndRoundTrips) {
  const std::string raw("\x00\x01\x7f\x80\xab\xff", 6);
  EXPECT_EQ(HexEncode(raw), "00017f80abff");
  EXPECT_EQ(HexDecode("00017f80abff"), raw);
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexDecode(""), "");
}

TEST(Hex, DecodesUppercase) { EXPECT_EQ(HexDecode("ABFF"), std::string("\xab\xff", 2)); }

TEST(Hex, RejectsOddLengthAndNonHexCharacters) {
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("0x12"));
  EXPECT_FALSE(HexDecode("12 34"));
  EXPECT_FALSE(HexDecode("1g"));
}

// RFC 4648 section 10.
TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, text] : vectors) {
    EXPECT_EQ(Base64Encode(raw), text);
    EXPECT_EQ(Base64Decode(text), raw) << text;
  }
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const std::string raw = all.substr(all.size() - len);
    EXPECT_EQ(Base64Decode(Base64Encode(raw)), raw) << len;
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(raw)), raw) << len;
  }
}

TEST(Base64, RejectsBadPadding) {
  EXPECT_FALSE(Base64Decode("Zg"));        // padding missing
  EXPECT_FALSE(Base64Decode("Zg="));       // padding short
  EXPECT_FALSE(Base64Decode("Zg==="));     // padding long
  EXPECT_FALSE(Base64Decode("Z==="));      // three pad characters
  EXPECT_FALSE(Base64Decode("===="));      // only padding
  EXPECT_FALSE(Base64Decode("Zg=a"));      // padding in the middle
  EXPECT_FALSE(Base64Decode("Zg==Zm9v"));  // data after padding
  EXPECT_FALSE(Base64Decode("Zm9=Zm9v"));
}

TEST(Base64, RejectsStrayCharacters) {
  EXPECT_FALSE(Base64Decode("Zm9v\n"));
  EXPECT_FALSE(Base64Decode(" Zm9v"));
  EXPECT_FALSE(Base64Decode("Zm 9v"));
  EXPECT_FALSE(Base64Decode("Zm9*"));
  EXPECT_FALSE(Base64Decode(std::string("Zm9\0", 4)));
  EXPECT_FALSE(Base64Decode("-_8="));  // URL-safe alphabet
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  EXPECT_EQ(Base64Decode("Zg=="), "f");
  EXPECT_FALSE(Base64Decode("Zh=="));  // also "f" if the low bits were ignored
  EXPECT_EQ(Base64Decode("Zm8="), "fo");
  EXPECT_FALSE(Base64Decode("Zm9="));
}

TEST(Base64Url, UsesUrlSafeAlphabetWithoutPadding) {
  const std::string raw("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(raw), "+/+/");
  EXPECT_EQ(Base64UrlEncode(raw), "-_-_");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlDecode("-_-_"), raw);
  EXPECT_EQ(Base64UrlDecode("Zg"), "f");
}

TEST(Base64Url, RejectsPaddingStandardAlphabetAndBadLength) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zg="));
  EXPECT_FALSE(Base64UrlDecode("+/+/"));
  EXPECT_FALSE(Base64UrlDecode("Z"));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(Base64UrlDecode("Zh"));  // non-canonical trailing bits
}

TEST(RandomBytes, ReturnsRequestedLengthAndFreshValues) {
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(1).size(), 1u);
  const std::string a = RandomBytes(32);
  const std::string b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(RandomBase62, ReturnsRequestedLengthFromAlphanumericAlphabet) {
  EXPECT_EQ(RandomBase62(0), "");
  for (std::size_t n : {1u, 7u, 43u, 1000u}) {
    const std::string s = RandomBase62(n);
    ASSERT_EQ(s.size(), n);
    for (char c : s) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) << c;
    }
  }
  EXPECT_NE(RandomBase62(43), RandomBase62(43));
}

TEST(RandomBase62, ProducesEveryCharacterOfTheAlphabet) {
  // With 20,000 draws the chance that any of the 62 characters is missing is
  // below 62 * (61/62)^20000, i.e. about 1e-139.
  const std::string s = RandomBase62(20'000);
  EXPECT_EQ(std::set<char>(s.begin(), s.end()).size(), 62u);
}

TEST(ConstantTimeEqual, TrueForEqualStrings) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEqual(Sha256("x"), Sha256("x")));
}

TEST(ConstantTimeEqual, FalseWhenAnyByteDiffers) {
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0c", 3), std::string("a\0d", 3)));
}

TEST(ConstantTimeEqual, FalseForDifferentLengths) {
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEqual("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
  EXPECT_FALSE(ConstantTimeEqual("a", ""));
}

TEST(ConstantTimeEqual, TrueForTwoEmptyStrings) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual(std::string_view(), std::string_view()));
}

}  // namespace
}  // namespace tenantd::crypto

namespace tenantd::crypto {
namespace {

TEST(HmacSha256Key, MatchesTheOneShotMacForEveryKeyAndThread) {
  const std::string long_key(100, 'k');  // longer than a block: hashed first
  for (const std::string& key : {std::string(), std::string("key"), long_key}) {
    const HmacSha256Key prepared(key);
    for (const std::string& data : {std::string(), std::string("abc"), std::string(1000, 'x')}) {
      EXPECT_EQ(prepared.Mac(data), HmacSha256(key, data)) << key.size() << "/" << data.size();
      EXPECT_EQ(prepared.Mac(data), HmacSha256(key, data)) << "second use of the thread's context";
    }
  }
  // More keys than a thread keeps contexts for, used alternately.
  std::vector<std::unique_ptr<HmacSha256Key>> keys;
  for (int i = 0; i < 9; ++i)
    keys.push_back(std::make_unique<HmacSha256Key>("k" + std::to_string(i)));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 9; ++i) {
      EXPECT_EQ(keys[i]->Mac("data"), HmacSha256("k" + std::to_string(i), "data"));
    }
  }
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (keys[i % 9]->Mac("m") != HmacSha256("k" + std::to_string(i % 9), "m")) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace tenantd::crypto
