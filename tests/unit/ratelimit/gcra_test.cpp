#include "ratelimit/gcra.h"

#include <gtest/gtest.h>

namespace tenantd::ratelimit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kMs = 1000000;
constexpr int64_t kT0 = 1000 * kMs;  // any clock origin

TEST(Gcra, AdmitsExactlyLimitAtOnceThenRefusesWithRetryAfterOneInterval) {
  const Policy policy{5, seconds(10)};  // one request every 2 s sustained
  int64_t tat = 0;
  for (uint64_t i = 0; i < 5; ++i) {
    const GcraResult r = Gcra(policy, tat, kT0, true);
    ASSERT_TRUE(r.decision.allowed) << i;
    EXPECT_EQ(r.decision.limit, 5u);
    EXPECT_EQ(r.decision.remaining, 4 - i);
    EXPECT_EQ(r.decision.reset, milliseconds(2000 * (i + 1)));
    tat = r.tat;
  }
  const GcraResult refused = Gcra(policy, tat, kT0, true);
  EXPECT_FALSE(refused.decision.allowed);
  EXPECT_EQ(refused.decision.remaining, 0u);
  EXPECT_EQ(refused.decision.retry_after, seconds(2));
  EXPECT_EQ(refused.decision.reset, seconds(10));
  EXPECT_EQ(refused.tat, tat);  // a refusal uses up nothing
}

TEST(Gcra, AdmitsOneMoreAfterRetryAfterAndTheFullLimitAfterAWindow) {
  const Policy policy{5, seconds(10)};
  int64_t tat = 0;
  for (int i = 0; i < 5; ++i) tat = Gcra(policy, tat, kT0, true).tat;
  EXPECT_FALSE(Gcra(policy, tat, kT0 + 2000 * kMs - 1, true).decision.allowed);
  const GcraResult next = Gcra(policy, tat, kT0 + 2000 * kMs, true);
  EXPECT_TRUE(next.decision.allowed);
  EXPECT_EQ(next.decision.remaining, 0u);

  // The window rolls over: a window after the last admission, the whole
  // limit is back, and no more than that.
  tat = next.tat;
  const int64_t later = kT0 + 12000 * kMs;
  for (int i = 0; i < 5; ++i) {
    const GcraResult r = Gcra(policy, tat, later, true);
    ASSERT_TRUE(r.decision.allowed) << i;
    tat = r.tat;
  }
  EXPECT_FALSE(Gcra(policy, tat, later, true).decision.allowed);
}

TEST(Gcra, NeverAdmitsMoreThanTheLimitPlusOnePerIntervalOverTime) {
  // Hammering every millisecond for a minute: the burst plus the sustained
  // rate, exactly.
  const Policy policy{60, seconds(60)};
  int64_t tat = 0;
  int admitted = 0;
  for (int64_t t = 0; t < 60000; ++t) {
    const GcraResult r = Gcra(policy, tat, kT0 + t * kMs, true);
    if (r.decision.allowed) ++admitted;
    tat = r.tat;
  }
  EXPECT_EQ(admitted, 60 + 59);  // burst of 60, then one a second for 59 s
}

TEST(Gcra, PeekCountsNothing) {
  const Policy policy{2, seconds(1)};
  const GcraResult peek = Gcra(policy, 0, kT0, false);
  EXPECT_TRUE(peek.decision.allowed);
  EXPECT_EQ(peek.decision.remaining, 2u);
  EXPECT_EQ(peek.tat, 0);
}

TEST(Gcra, LimitOfOneSpacesRequestsAWindowApart) {
  const Policy policy{1, seconds(3)};
  const GcraResult first = Gcra(policy, 0, kT0, true);
  EXPECT_TRUE(first.decision.allowed);
  EXPECT_EQ(first.decision.remaining, 0u);
  const GcraResult second = Gcra(policy, first.tat, kT0 + kMs, true);
  EXPECT_FALSE(second.decision.allowed);
  EXPECT_EQ(second.decision.retry_after, milliseconds(2999));
}

TEST(Gcra, UnevenIntervalsRoundUpSoTheRateIsNeverExceeded) {
  const Policy policy{7, seconds(2)};  // 285714285.7 ns
  EXPECT_EQ(policy.Interval().count(), 285714286);
  int64_t tat = 0;
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    const GcraResult r = Gcra(policy, tat, kT0, true);
    admitted += r.decision.allowed;
    tat = r.tat;
  }
  EXPECT_EQ(admitted, 7);
}

TEST(MostRestrictive, PrefersTheRefusalWithTheLongestWaitElseFewestRemaining) {
  Decision a{true, 10, 3, seconds(5), {}};
  Decision b{true, 100, 1, seconds(1), {}};
  EXPECT_EQ(&MostRestrictive(a, b), &b);
  Decision c{false, 10, 0, seconds(5), seconds(2)};
  Decision d{false, 10, 0, seconds(5), seconds(4)};
  EXPECT_EQ(&MostRestrictive(a, c), &c);
  EXPECT_EQ(&MostRestrictive(c, d), &d);
}

}  // namespace
}  // namespace tenantd::ratelimit
