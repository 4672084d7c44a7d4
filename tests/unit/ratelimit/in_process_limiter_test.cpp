#include "ratelimit/in_process_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tenantd::ratelimit {
namespace {

using std::chrono::seconds;

constexpr int64_t kT0 = 5'000'000'000;

TEST(InProcessLimiter, AdmitsExactlyNThenRefusesPerKey) {
  InProcessLimiter limiter;
  const Charge a{"t:a", {3, seconds(60)}};
  const Charge b{"t:b", {3, seconds(60)}};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire({&a, 1}, kT0).decision.allowed);
  const Verdict refused = limiter.Acquire({&a, 1}, kT0);
  EXPECT_FALSE(refused.decision.allowed);
  EXPECT_EQ(refused.decision.retry_after, seconds(20));
  EXPECT_TRUE(limiter.Acquire({&b, 1}, kT0).decision.allowed);  // keys are apart
}

TEST(InProcessLimiter, ARequestRefusedByOneLimitUsesUpNoneOfTheOthers) {
  InProcessLimiter limiter;
  const Charge tenant{"t:x", {10, seconds(60)}};
  const Charge key{"c:k", {2, seconds(60)}};
  const Charge both[] = {tenant, key};
  EXPECT_TRUE(limiter.Acquire(both, kT0).decision.allowed);
  const Verdict second = limiter.Acquire(both, kT0);
  EXPECT_TRUE(second.decision.allowed);
  EXPECT_EQ(second.decision.limit, 2u);  // the tighter one is reported
  EXPECT_EQ(second.decision.remaining, 0u);
  const Verdict third = limiter.Acquire(both, kT0);
  EXPECT_FALSE(third.decision.allowed);
  EXPECT_EQ(third.refused_by, 1u);
  EXPECT_EQ(limiter.Peek({&tenant, 1}, kT0).decision.remaining, 8u);
}

// Gates (the failed-authentication counts) are checked with the request's
// charges but never counted: a request they refuse counts nowhere, and an
// admitted one reports its counted charges' budget, not the gates'.
TEST(InProcessLimiter, GatesAreCheckedNeverCounted) {
  InProcessLimiter limiter;
  const Charge gate{"fa:ip:1", {1, seconds(60)}};
  const Charge tenant{"t:x", {10, seconds(60)}};
  const Charge both[] = {gate, tenant};
  const Verdict admitted = limiter.Acquire(both, kT0, /*gates=*/1);
  EXPECT_TRUE(admitted.decision.allowed);
  EXPECT_EQ(admitted.decision.limit, 10u);
  EXPECT_EQ(admitted.decision.remaining, 9u);
  EXPECT_EQ(limiter.Peek({&gate, 1}, kT0).decision.remaining, 1u);  // not counted

  limiter.Count({&gate, 1}, kT0);  // a failed authentication reaches the gate
  const Verdict refused = limiter.Acquire(both, kT0, /*gates=*/1);
  EXPECT_FALSE(refused.decision.allowed);
  EXPECT_EQ(refused.refused_by, 0u);
  EXPECT_EQ(limiter.Peek({&tenant, 1}, kT0).decision.remaining, 9u);  // nothing counted
}

TEST(InProcessLimiter, CountStopsAtTheLimitAndPeekTellsWhenItIsReached) {
  InProcessLimiter limiter;
  const Charge ip{"fa:ip:1.2.3.4", {2, seconds(60)}};
  EXPECT_TRUE(limiter.Peek({&ip, 1}, kT0).decision.allowed);
  limiter.Count({&ip, 1}, kT0);
  EXPECT_TRUE(limiter.Peek({&ip, 1}, kT0).decision.allowed);
  limiter.Count({&ip, 1}, kT0);
  limiter.Count({&ip, 1}, kT0);  // beyond the limit: does not push the wait further
  const Verdict v = limiter.Peek({&ip, 1}, kT0);
  EXPECT_FALSE(v.decision.allowed);
  EXPECT_EQ(v.decision.retry_after, seconds(30));
}

TEST(InProcessLimiter, PurgeDropsKeysWhoseBudgetIsFullAgain) {
  InProcessLimiter limiter;
  const Charge a{"a", {2, seconds(10)}};
  const Charge b{"b", {2, seconds(10)}};
  limiter.Acquire({&a, 1}, kT0);
  limiter.Acquire({&b, 1}, kT0 + 4'000'000'000);
  EXPECT_EQ(limiter.PurgeExpired(kT0), 2u);
  EXPECT_EQ(limiter.PurgeExpired(kT0 + 5'000'000'000), 1u);  // a's TAT was kT0 + 5 s
  EXPECT_EQ(limiter.PurgeExpired(kT0 + 9'000'000'000), 0u);
}

TEST(InProcessLimiter, IsExactUnderConcurrency) {
  InProcessLimiter limiter;
  const Charge tenant{"t:busy", {1000, seconds(60)}};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        const Charge mine[] = {tenant, {"c:shared", {100000, seconds(60)}}};
        if (limiter.Acquire(mine, kT0).decision.allowed) ++admitted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1000);
}

}  // namespace
}  // namespace tenantd::ratelimit
