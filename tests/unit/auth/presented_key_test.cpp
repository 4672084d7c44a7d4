#include <gtest/gtest.h>

#include "auth/authenticator.h"

namespace tenantd::auth {
namespace {

http::Request WithHeader(std::string name, std::string value) {
  http::Request req;
  req.method = "GET";
  req.target = "/v1/whoami";
  req.headers.Add(std::move(name), std::move(value));
  return req;
}

TEST(PresentedKey, ACookieAloneIsNoCredential) {
  EXPECT_FALSE(PresentedKey(WithHeader("Cookie", "sid=abc")));
}

TEST(PresentedKey, TheAppKeyWinsOverAnApiKey) {
  http::Request req = WithHeader("X-App-Key", "ak_123");
  req.headers.Add("X-App-Secret", "nope");
  req.headers.Add("Authorization", "Bearer sk_live_abcdefghijklmnop");
  EXPECT_EQ(PresentedKey(req), "ak_123");
}

TEST(PresentedKey, AnApiKeyCountsUnderItsListedPrefix) {
  EXPECT_EQ(PresentedKey(WithHeader("Authorization", "Bearer sk_live_abcdefghijklmnop")),
            "sk_live_abcd");
}

TEST(PresentedKey, ASecretWithoutItsKeyCountsUnderNoKey) {
  EXPECT_EQ(PresentedKey(WithHeader("X-App-Secret", "x")), "");
  EXPECT_EQ(PresentedKey(WithHeader("X-App-Signature", "x")), "");
}

TEST(PresentedKey, AnAttackerChosenAppKeyIsCapped) {
  EXPECT_EQ(PresentedKey(WithHeader("X-App-Key", std::string(500, 'a')))->size(), 64u);
}

}  // namespace
}  // namespace tenantd::auth
