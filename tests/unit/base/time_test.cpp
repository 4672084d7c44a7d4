#include "base/time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tenantd::base {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::year;

// 2026-11-22T21:04:05.123Z
const TimePoint kSample = sys_days(year{2026} / 11 / 22) + 21h + 4min + 5s + 123ms;

TEST(FormatRfc3339, WritesUtcWithMillisecondsAndZ) {
  EXPECT_EQ(FormatRfc3339(kSample), "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(sys_days(year{2028} / 2 / 29) + 23h + 59min + 59s + 7ms),
            "2028-02-29T23:59:59.007Z");
}

TEST(FormatRfc3339, TruncatesBelowTheMillisecond) {
  EXPECT_EQ(FormatRfc3339(kSample + 999us), "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(FormatRfc3339(kSample + 999'999ns), "2026-11-22T21:04:05.123Z");
}

TEST(ParseRfc3339, ReadsWhatFormatWrites) {
  EXPECT_EQ(ParseRfc3339("2026-11-22T21:04:05.123Z"), std::optional<TimePoint>(kSample));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.000Z"), std::optional<TimePoint>(TimePoint{}));
}

TEST(ParseRfc3339, AcceptsSecondsOnly) {
  EXPECT_EQ(ParseRfc3339("2026-11-22T21:04:05Z"), std::optional<TimePoint>(kSample - 123ms));
}

TEST(Rfc3339, RoundTripsAtMillisecondPrecision) {
  const TimePoint now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (TimePoint t :
       std::vector<TimePoint>{kSample, now, TimePoint{} + 1ms,
                              sys_days(year{2028} / 2 / 29) + 23h + 59min + 59s + 999ms,
                              sys_days(year{2099} / 12 / 31) + 12h + 30min + 1s + 10ms}) {
    const std::string text = FormatRfc3339(t);
    EXPECT_EQ(ParseRfc3339(text), std::optional<TimePoint>(t)) << text;
    EXPECT_EQ(FormatRfc3339(*ParseRfc3339(text)), text);
  }
}

TEST(ParseRfc3339, RejectsGarbage) {
  for (const char* s : {
           "",
           "garbage",
           "2026-11-22",
           "2026-11-22T21:04:05",        // no Z
           "2026-11-22T21:04:05.123",    // no Z
           "2026-11-22 21:04:05Z",       // space instead of T
           "2026-11-22t21:04:05Z",       // lower-case t
           "2026-11-22T21:04:05.123z",   // lower-case z
           "2026-11-22T21:04:05.12Z",    // two fraction digits
           "2026-11-22T21:04:05.1234Z",  // four fraction digits
           "2026-11-22T21:04:05.12aZ",   // non-digit fraction
           "2026-11-22T21:04:05.Z",      // empty fraction
           "2026-11-22T21:04:05.123ZZ",  // trailing bytes
           "2026-11-22T21:04:05.123+01:00",
           "2026-11-22T21:04:05+00:00",
           "2026-13-01T00:00:00Z",        // month 13
           "2026-00-10T00:00:00Z",        // month 0
           "2026-11-32T00:00:00Z",        // day 32
           "2026-11-00T00:00:00Z",        // day 0
           "2026-11-22T24:00:00Z",        // hour 24
           "2026-11-22T21:60:00Z",        // minute 60
           "2026-1-22T21:04:05Z",         // one-digit month
           "2026-11-22T21:04:-5Z",        // signed seconds
           "2026-11-22T-1:04:05Z",        // signed hour
           "2026-11-22T21:04: 5Z",        // space-padded seconds
           "+026-11-22T21:04:05Z",        // signed year
           " 2026-11-22T21:04:05Z",       // leading space
           "2026-11-22T21:04:05.123Z\n",  // trailing newline
       }) {
    EXPECT_EQ(ParseRfc3339(s), std::nullopt) << '"' << s << '"';
  }
}

TEST(ParseRfc3339, RejectsDaysPastTheEndOfTheMonth) {
  EXPECT_EQ(ParseRfc3339("2026-02-29T00:00:00Z"), std::nullopt);  // not a leap year
  EXPECT_EQ(ParseRfc3339("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-04-31T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2100-02-29T00:00:00Z"), std::nullopt);  // century, not leap
  EXPECT_TRUE(ParseRfc3339("2028-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2026-12-31T23:59:59.999Z").has_value());
}

// TimePoint counts nanoseconds (about 1678-2262). Parsed times stay within
// half that range (about 1824-2116), so that the difference of two of them
// cannot overflow either: other years are refused, not overflowed.
TEST(ParseRfc3339, RejectsYearsTimePointCannotHold) {
  EXPECT_EQ(ParseRfc3339("0001-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("1000-06-15T12:00:00.000Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("1700-06-15T12:00:00.000Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2200-01-01T00:00:00.000Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59.999Z"), std::nullopt);
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2100-01-01T00:00:00.000Z")), "2100-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1900-01-01T00:00:00.000Z")), "1900-01-01T00:00:00.000Z");
}

// Found by fuzzing Mode B: "now - X-Date" for an X-Date in 1700 overflowed.
TEST(ParseRfc3339, TheDifferenceOfAnyTwoParsedTimesFits) {
  const auto earliest = ParseRfc3339("1830-01-01T00:00:00Z");
  const auto latest = ParseRfc3339("2110-01-01T00:00:00Z");
  ASSERT_TRUE(earliest && latest);
  EXPECT_GT(std::chrono::duration_cast<std::chrono::hours>(*latest - *earliest).count(),
            24 * 365 * 279);
  EXPECT_LT((*earliest - *latest).count(), 0);
}

}  // namespace
}  // namespace tenantd::base

namespace tenantd::base {
namespace {

TEST(ImfFixdate, FormatsAndParsesBack) {
  const auto t = ParseRfc3339("2026-11-22T21:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatImfFixdate(*t), "Sun, 22 Nov 2026 21:04:05 GMT");
  EXPECT_EQ(ParseImfFixdate("Sun, 22 Nov 2026 21:04:05 GMT"), t);
}

TEST(ImfFixdate, RejectsAnythingElse) {
  for (const char* bad :
       {"", "Sun, 22 Nov 2026 21:04:05", "Sun, 22 Nov 2026 21:04:05 UTC",
        "Mon, 22 Nov 2026 21:04:05 GMT",  // wrong weekday
        "Sun, 31 Feb 2026 21:04:05 GMT", "Sun, 22 Xyz 2026 21:04:05 GMT",
        "Sunday, 22-Nov-26 21:04:05 GMT", "Sun Nov 22 21:04:05 2026",
        "Sun, 22 Nov 2026 25:04:05 GMT", "Sun, 2a Nov 2026 21:04:05 GMT", "2026-11-22T21:04:05Z",
        "Fri, 31 Dec 9999 23:59:59 GMT",     // a real date, beyond what TimePoint holds (fuzzing)
        "Wed, 15 Dec 1700 12:00:00 GMT"}) {  // now - this would overflow (fuzzing)
    EXPECT_FALSE(ParseImfFixdate(bad)) << bad;
  }
}

}  // namespace
}  // namespace tenantd::base
