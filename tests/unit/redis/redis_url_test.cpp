#include "redis/redis_url.h"

#include <gtest/gtest.h>

namespace tenantd::redis {
namespace {

TEST(ParseRedisUrl, ReadsEveryPart) {
  auto url = ParseRedisUrl("redis://app:p%40ss:w@cache.internal:6380/2");
  ASSERT_TRUE(url) << url.error().public_message;
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->db, 2);
  EXPECT_EQ(url->user, "app");
  EXPECT_EQ(url->password.Reveal(), "p@ss:w");
}

TEST(ParseRedisUrl, DefaultsPortAndDbAndNeedsNoCredentials) {
  auto url = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->db, 0);
  EXPECT_TRUE(url->password.empty());
  EXPECT_EQ(url->Masked(), "redis://127.0.0.1:6379/0");
  EXPECT_EQ(ParseRedisUrl("redis://:only-pass@h:1/0")->password.Reveal(), "only-pass");
}

TEST(ParseRedisUrl, MaskedNeverShowsThePassword) {
  auto url = ParseRedisUrl("redis://app:hunter2-secret@h:7000/1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->Masked(), "redis://app:***@h:7000/1");
}

TEST(ParseRedisUrl, RefusesMalformedUrlsWithoutEchoingThePassword) {
  for (const char* bad : {"http://h:1/0", "redis://", "redis://h:0/0", "redis://h:70000/0",
                          "redis://h:1/x", "redis://u:pw%zz@h:1/0", "redis://u:hunter2@:1/0"}) {
    auto url = ParseRedisUrl(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().public_message.find("hunter2"), std::string::npos);
    EXPECT_NE(url.error().public_message.find("redis://[user:pass@]host:port/db"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace tenantd::redis
