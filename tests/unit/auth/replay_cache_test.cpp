#include "auth/replay_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"

namespace tenantd::auth {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::string Sig(int i) { return crypto::Sha256("signature " + std::to_string(i)); }

TEST(ReplayCache, RefusesASignatureSeenBefore) {
  ReplayCache cache(seconds(300));
  const auto t0 = Clock::now();
  EXPECT_TRUE(cache.Insert(Sig(1), t0));
  EXPECT_FALSE(cache.Insert(Sig(1), t0));
  EXPECT_TRUE(cache.Insert(Sig(2), t0));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ReplayCache, RemembersForTheWholeWindowAcrossARotation) {
  // A signature may pass the date check until X-Date + skew, at most
  // 2 × skew after it was first accepted: it must be refused until then.
  ReplayCache cache(seconds(10));
  const auto t0 = Clock::now();
  ASSERT_TRUE(cache.Insert(Sig(1), t0));
  EXPECT_FALSE(cache.Insert(Sig(1), t0 + seconds(15)));  // the period is 21 s
  EXPECT_FALSE(cache.Insert(Sig(1), t0 + seconds(20)));
  // A rotation at 21 s moves it to the previous generation: still refused.
  EXPECT_FALSE(cache.Insert(Sig(1), t0 + seconds(22)));
}

TEST(ReplayCache, ForgetsAfterTwoPeriods) {
  ReplayCache cache(seconds(10));  // period 21 s
  const auto t0 = Clock::now();
  ASSERT_TRUE(cache.Insert(Sig(1), t0));
  ASSERT_TRUE(cache.Insert(Sig(2), t0 + seconds(21)));  // rotation: Sig(1) now previous
  ASSERT_TRUE(cache.Insert(Sig(3), t0 + seconds(42)));  // rotation: Sig(1) dropped
  EXPECT_TRUE(cache.Insert(Sig(1), t0 + seconds(43)));
  EXPECT_FALSE(cache.Insert(Sig(2), t0 + seconds(43)));  // kept one more period
}

TEST(ReplayCache, ConcurrentInsertsAdmitEachSignatureOnce) {
  ReplayCache cache(seconds(300));
  const auto t0 = Clock::now();
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) admitted += cache.Insert(Sig(i), t0) ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 2000);
}

}  // namespace
}  // namespace tenantd::auth
