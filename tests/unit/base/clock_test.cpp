#include "base/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "temp_dir.h"

namespace tenantd::base {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST(TestClock, AdvanceMovesBothClocksForwardOnly) {
  TestClock clock;
  const TimePoint wall = clock.Now();
  const SteadyTimePoint steady = clock.Steady();
  clock.Advance(hours(1));
  EXPECT_GE(clock.Now() - wall, hours(1));
  EXPECT_GE(clock.Steady() - steady, hours(1));
  EXPECT_LT(clock.Now() - wall, hours(2));
  clock.Advance(-hours(1));  // ignored: time does not go back
  EXPECT_GE(clock.Now() - wall, hours(1));
}

TEST(TestClock, ReadsItsOffsetFromTheFileOnEveryCall) {
  test::TempDir dir;
  const auto file = dir.path() / "offset";
  TestClock clock(file);  // no file yet: no offset
  const TimePoint start = SystemClock().Now();
  EXPECT_LT(clock.Now() - start, hours(1));
  dir.Write("offset", "7200000\n");
  EXPECT_GE(clock.Now() - start, hours(2));
  for (const char* bad : {"", "abc", "-5", "12x", "99999999999999999999999"}) {
    dir.Write("offset", bad);
    EXPECT_GE(clock.Now() - start, hours(2)) << "'" << bad << "' leaves the offset as it was";
  }
  dir.Write("offset", "60000");  // smaller: a monotonic clock never goes back
  EXPECT_GE(clock.Now() - start, hours(2));
  dir.Write("offset", "10800000");
  EXPECT_GE(clock.Steady() - SystemClock().Steady(), hours(3) - milliseconds(1000));
}

TEST(ServerClock, IsTheSystemClockUnlessTheTestVariableIsSet) {
  // The unit-test binary runs without TENANTD_TEST_CLOCK_FILE.
  EXPECT_EQ(&ServerClock(), &SystemClock());
}

}  // namespace
}  // namespace tenantd::base
