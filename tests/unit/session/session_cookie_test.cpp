#include "session/session_cookie.h"

#include <gtest/gtest.h>

#include <set>

namespace tenantd::session {
namespace {

SessionCookies Cookies(std::string signing = std::string(32, 's')) {
  return SessionCookies(base::Secret(std::move(signing)), base::Secret(std::string(32, 'p')));
}

TEST(SessionCookies, MintedCookieVerifiesToItsHash) {
  const SessionCookies c = Cookies();
  const auto minted = c.Mint();
  EXPECT_EQ(minted.cookie_value.size(), 43u + 1 + 43u);
  EXPECT_EQ(minted.id_hash.size(), 64u);
  const auto hash = c.VerifiedIdHash("sid=" + minted.cookie_value);
  ASSERT_TRUE(hash);
  EXPECT_EQ(*hash, minted.id_hash);
  // The hash is not the token: the store cannot give cookies back.
  EXPECT_EQ(minted.cookie_value.find(minted.id_hash), std::string::npos);
}

TEST(SessionCookies, EveryMintIsDifferent) {
  const SessionCookies c = Cookies();
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(c.Mint().cookie_value);
  EXPECT_EQ(seen.size(), 200u);
}

TEST(SessionCookies, RefusesATamperedCookie) {
  const SessionCookies c = Cookies();
  const std::string value = c.Mint().cookie_value;
  for (std::size_t i : {std::size_t{0}, std::size_t{20}, std::size_t{44}, value.size() - 1}) {
    std::string tampered = value;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(c.VerifiedIdHash("sid=" + tampered)) << i;
  }
  EXPECT_FALSE(c.VerifiedIdHash("sid=" + value.substr(0, value.size() - 1)));
  EXPECT_FALSE(c.VerifiedIdHash("sid=" + value + "A"));
  EXPECT_FALSE(c.VerifiedIdHash("sid="));
  EXPECT_FALSE(c.VerifiedIdHash("sid=."));
  EXPECT_FALSE(c.VerifiedIdHash("other=" + value));
}

TEST(SessionCookies, RefusesACookieSignedWithAnotherKey) {
  const std::string value = Cookies(std::string(32, 'x')).Mint().cookie_value;
  EXPECT_FALSE(Cookies().VerifiedIdHash("sid=" + value));
}

TEST(SessionCookies, AVerifiedCookieIsNotTrustedByAnotherKeysInstance) {
  // Verification results are remembered per thread: they must stay per key.
  const SessionCookies a = Cookies(std::string(32, 'a'));
  const std::string value = a.Mint().cookie_value;
  ASSERT_TRUE(a.VerifiedIdHash("sid=" + value));
  ASSERT_TRUE(a.VerifiedIdHash("sid=" + value)) << "remembered";
  const SessionCookies b = Cookies(std::string(32, 'b'));
  EXPECT_FALSE(b.VerifiedIdHash("sid=" + value));
  EXPECT_TRUE(a.VerifiedIdHash("sid=" + value));
}

TEST(SessionCookies, FindsSidAmongOtherCookies) {
  const SessionCookies c = Cookies();
  const auto minted = c.Mint();
  const auto hash = c.VerifiedIdHash("theme=dark; sid=" + minted.cookie_value + "; lang=en");
  ASSERT_TRUE(hash);
  EXPECT_EQ(*hash, minted.id_hash);
}

TEST(SessionCookies, SetCookieCarriesTheFlags) {
  EXPECT_EQ(SessionCookies::SetCookie("abc.def", std::chrono::seconds(7200), false),
            "sid=abc.def; Max-Age=7200; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(SessionCookies::SetCookie("abc.def", std::chrono::seconds(60), true),
            "sid=abc.def; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(SessionCookies::ClearCookie(false), "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
}

TEST(FindCookie, ParsesCookieHeaders) {
  EXPECT_EQ(FindCookie("a=1; sid=x; b=2", "sid"), "x");
  EXPECT_EQ(FindCookie("sid=x", "sid"), "x");
  EXPECT_EQ(FindCookie("  sid=\"q\" ", "sid"), "q");
  EXPECT_EQ(FindCookie("xsid=1; sid=2", "sid"), "2");
  EXPECT_FALSE(FindCookie("xsid=1", "sid"));
  EXPECT_FALSE(FindCookie("", "sid"));
  EXPECT_FALSE(FindCookie("sid", "sid"));
}

}  // namespace
}  // namespace tenantd::session
