#include <gtest/gtest.h>

#include "http/stage.h"

namespace tenantd::http {
namespace {

TEST(AuthFacts, FullAccessHoldsEveryScope) {
  AuthFacts a;
  a.all_scopes = true;
  EXPECT_TRUE(a.HasScope("products:write"));
  EXPECT_TRUE(a.HasScope("keys:read"));
}

TEST(AuthFacts, RestrictedHoldsOnlyItsScopes) {
  AuthFacts a;
  a.scopes = {"products:read"};
  EXPECT_TRUE(a.HasScope("products:read"));
  EXPECT_FALSE(a.HasScope("products:write"));
  EXPECT_FALSE(a.HasScope("files:read"));
  EXPECT_FALSE(a.HasScope(""));
}

TEST(AuthFacts, WriteImpliesReadOfTheSameResourceOnly) {
  AuthFacts a;
  a.scopes = {"keys:write"};
  EXPECT_TRUE(a.HasScope("keys:write"));
  EXPECT_TRUE(a.HasScope("keys:read"));
  EXPECT_FALSE(a.HasScope("products:read"));
  EXPECT_FALSE(a.HasScope("key:read"));
  EXPECT_FALSE(a.HasScope("keysx:read"));
}

TEST(AuthFacts, NoScopesHoldsNothing) {
  AuthFacts a;
  EXPECT_FALSE(a.HasScope("keys:read"));
}

}  // namespace
}  // namespace tenantd::http
