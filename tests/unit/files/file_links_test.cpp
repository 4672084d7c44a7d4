#include "files/file_links.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "base/ids.h"
#include "base/secret.h"

namespace tenantd::files {
namespace {

constexpr int64_t kExpires = 1795000000;  // a fixed instant (November 2026)

base::TimePoint At(int64_t unix_seconds) {
  return base::TimePoint(std::chrono::seconds(unix_seconds));
}

// The pieces of a link Make() returned.
struct Link {
  std::string file_id;
  std::string expires;
  std::string signature;
};

Link Split(const std::string& url) {
  Link l;
  const std::string prefix = "/v1/files/";
  EXPECT_EQ(url.substr(0, prefix.size()), prefix) << url;
  const std::size_t q = url.find('?');
  EXPECT_NE(q, std::string::npos) << url;
  l.file_id = url.substr(prefix.size(), q - prefix.size());
  const std::size_t e = url.find("expires=", q);
  const std::size_t amp = url.find('&', q);
  const std::size_t s = url.find("signature=", q);
  EXPECT_EQ(e, q + 1) << url;
  EXPECT_NE(amp, std::string::npos) << url;
  EXPECT_EQ(s, amp + 1) << url;
  l.expires = url.substr(e + 8, amp - e - 8);
  l.signature = url.substr(s + 10);
  return l;
}

void ExpectProblem(const base::Result<std::string>& r, std::string_view problem_code) {
  ASSERT_FALSE(r) << "verified as tenant " << *r;
  EXPECT_EQ(r.error().code, base::ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.error().problem_code, problem_code);
}

class FileLinksTest : public ::testing::Test {
 protected:
  const base::Secret key_{std::string(32, 'k')};
  const FileLinks links_{key_};
  const std::string tenant_ = base::NewId("ten");
  const std::string file_ = base::NewId("fil");
};

TEST_F(FileLinksTest, MakeThenVerifyRoundTripsTheTenant) {
  const std::string url = links_.Make(tenant_, file_, kExpires);
  const Link l = Split(url);
  EXPECT_EQ(l.file_id, file_);
  EXPECT_EQ(l.expires, std::to_string(kExpires));
  EXPECT_TRUE(l.signature.starts_with("v1." + tenant_ + ".")) << l.signature;
  // URL-safe: nothing in the query needs escaping.
  EXPECT_EQ(l.signature.find_first_of("+/=&?% "), std::string::npos) << l.signature;

  const auto verified = links_.Verify(l.file_id, l.expires, l.signature, At(kExpires - 60));
  ASSERT_TRUE(verified) << verified.error().problem_code;
  EXPECT_EQ(*verified, tenant_);
}

TEST_F(FileLinksTest, SameInputsMakeTheSameLink) {
  EXPECT_EQ(links_.Make(tenant_, file_, kExpires), links_.Make(tenant_, file_, kExpires));
  EXPECT_NE(links_.Make(tenant_, file_, kExpires), links_.Make(tenant_, file_, kExpires + 1));
}

TEST_F(FileLinksTest, ValidUntilTheLastSecond) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  EXPECT_TRUE(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires - 1)));
  EXPECT_TRUE(links_.Verify(l.file_id, l.expires, l.signature,
                            At(kExpires) - std::chrono::milliseconds(1)));
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires)), "link_expired");
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires + 3600)),
                "link_expired");
}

TEST_F(FileLinksTest, EditedExpiryIsInvalidNotExpired) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  const base::TimePoint now = At(kExpires - 60);
  ExpectProblem(links_.Verify(l.file_id, std::to_string(kExpires + 86400), l.signature, now),
                "invalid_link");
  ExpectProblem(links_.Verify(l.file_id, std::to_string(kExpires - 1), l.signature, now),
                "invalid_link");
  // Even when the edited expiry is in the past, the answer is "invalid".
  ExpectProblem(links_.Verify(l.file_id, std::to_string(kExpires - 3600), l.signature, now),
                "invalid_link");
}

TEST_F(FileLinksTest, EditedFileIdIsInvalid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  const base::TimePoint now = At(kExpires - 60);
  ExpectProblem(links_.Verify(base::NewId("fil"), l.expires, l.signature, now), "invalid_link");
  ExpectProblem(links_.Verify("", l.expires, l.signature, now), "invalid_link");
  ExpectProblem(links_.Verify(file_ + "x", l.expires, l.signature, now), "invalid_link");
}

TEST_F(FileLinksTest, EditedTenantIdIsInvalid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  const std::string other = base::NewId("ten");
  std::string forged = l.signature;
  forged.replace(3, tenant_.size(), other);
  ASSERT_NE(forged, l.signature);
  ExpectProblem(links_.Verify(l.file_id, l.expires, forged, At(kExpires - 60)), "invalid_link");
}

TEST_F(FileLinksTest, EditedMacIsInvalid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  const std::size_t mac_at = l.signature.rfind('.') + 1;
  for (const std::size_t pos : {mac_at, mac_at + 10, l.signature.size() - 2}) {
    std::string forged = l.signature;
    forged[pos] = forged[pos] == 'A' ? 'B' : 'A';
    SCOPED_TRACE(forged);
    ExpectProblem(links_.Verify(l.file_id, l.expires, forged, At(kExpires - 60)), "invalid_link");
  }
  // Truncated and extended MACs.
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature.substr(0, l.signature.size() - 4),
                              At(kExpires - 60)),
                "invalid_link");
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature + "AAAA", At(kExpires - 60)),
                "invalid_link");
}

TEST_F(FileLinksTest, LinkOfAnotherKeyIsInvalid) {
  const FileLinks other(base::Secret(std::string(32, 'o')));
  const Link l = Split(other.Make(tenant_, file_, kExpires));
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires - 60)),
                "invalid_link");
  // ...and the other key does accept it.
  EXPECT_TRUE(other.Verify(l.file_id, l.expires, l.signature, At(kExpires - 60)));
}

TEST_F(FileLinksTest, GarbageSignaturesAreInvalid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  const std::string mac = l.signature.substr(l.signature.rfind('.') + 1);
  const std::string garbage[] = {
      "",
      "v1",
      "v1.",
      "v1..",
      "v1...",
      ".",
      "..",
      "v2.ten_x.abc",
      "v2." + tenant_ + "." + mac,  // right MAC, wrong version
      "V1." + tenant_ + "." + mac,
      "v1.ten_x." + mac,
      "v1." + tenant_ + ".",
      "v1." + tenant_ + ".!!!!not base64!!!!",
      "v1." + tenant_ + "." + mac + "=",
      "v1." + tenant_ + "." + mac + ".x",
      "v1." + tenant_,
      "v1.." + mac,
      "v1.prd_" + tenant_.substr(4) + "." + mac,
      std::string("v1.\0.\0", 6),
      std::string(10000, '.'),
      std::string(10000, 'A'),
  };
  for (const std::string& sig : garbage) {
    SCOPED_TRACE(sig.substr(0, 80));
    ExpectProblem(links_.Verify(l.file_id, l.expires, sig, At(kExpires - 60)), "invalid_link");
  }
}

TEST_F(FileLinksTest, GarbageExpiresIsInvalid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  for (const std::string expires :
       {"", "abc", "1795000000x", " 1795000000", "1795000000 ", "+1795000000", "1.5",
        "99999999999999999999999", "-1795000000"}) {
    SCOPED_TRACE(expires);
    ExpectProblem(links_.Verify(l.file_id, expires, l.signature, At(kExpires - 60)),
                  "invalid_link");
  }
}

// Issue 12: "0<n>" named the same expiry as "<n>" and was accepted; only the
// spelling Make writes is.
TEST_F(FileLinksTest, OnlyTheCanonicalExpiresIsValid) {
  const Link l = Split(links_.Make(tenant_, file_, kExpires));
  ASSERT_TRUE(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires - 60)));
  for (const std::string& expires :
       {"0" + l.expires, "00" + l.expires, std::string("-0"), std::string("0")}) {
    SCOPED_TRACE(expires);
    ExpectProblem(links_.Verify(l.file_id, expires, l.signature, At(kExpires - 60)),
                  "invalid_link");
  }
}

TEST_F(FileLinksTest, ExpiredLinkWithValidMacIsExpired) {
  const Link l = Split(links_.Make(tenant_, file_, 1000));
  ExpectProblem(links_.Verify(l.file_id, l.expires, l.signature, At(kExpires)), "link_expired");
}

}  // namespace
}  // namespace tenantd::files
