#include "base/time.h"

#include <cstdio>
#include <ctime>

namespace tenantd::base {

std::optional<TimePoint> FromUnixSeconds(std::int64_t secs) {
  // TimePoint counts nanoseconds (about ±292 years around 1970). Keeping every
  // parsed time within half that range means the difference of any two of
  // them (now - sent) cannot overflow either.
  constexpr std::int64_t kHalfRange =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() / 2;
  if (secs <= -kHalfRange || secs >= kHalfRange) return std::nullopt;
  return TimePoint(std::chrono::seconds(secs));
}

std::string FormatRfc3339(TimePoint t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // roomy: -Wformat-truncation cannot prove the fields' ranges
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  // Fixed layout "YYYY-MM-DDTHH:MM:SS": sscanf alone would also take signs
  // and space padding ("21:04:-5").
  constexpr std::string_view kLayout = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < kLayout.size()) return std::nullopt;
  for (std::size_t i = 0; i < kLayout.size(); ++i) {
    const bool ok = kLayout[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kLayout[i];
    if (!ok) return std::nullopt;
  }
  std::tm tm{};
  int millis = 0;
  std::string str(s);
  int consumed = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    if (rest.size() < 5) return std::nullopt;
    for (int i = 1; i <= 3; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
      millis = millis * 10 + (rest[i] - '0');
    }
    rest = rest.substr(4);
  }
  if (rest != "Z") return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  const bool leap = tm.tm_year % 4 == 0 && (tm.tm_year % 100 != 0 || tm.tm_year % 400 == 0);
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (tm.tm_mday > kDays[tm.tm_mon - 1] + (tm.tm_mon == 2 && leap ? 1 : 0)) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::optional<TimePoint> whole = FromUnixSeconds(timegm(&tm));
  if (!whole) return std::nullopt;
  return *whole + std::chrono::milliseconds(millis);
}

namespace {

constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string FormatImfFixdate(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeekdays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

static std::optional<TimePoint> ParseImfFixdateUncached(std::string_view s);

std::optional<TimePoint> ParseImfFixdate(std::string_view s) {
  // Signed requests of one second share their X-Date: remember the last
  // parse per thread (timegm and gmtime_r are not cheap).
  thread_local std::string last_text;
  thread_local std::optional<TimePoint> last_result;
  if (s == last_text) return last_result;
  std::optional<TimePoint> result = ParseImfFixdateUncached(s);
  last_text.assign(s);
  last_result = result;
  return result;
}

static std::optional<TimePoint> ParseImfFixdateUncached(std::string_view s) {
  // "Sun, 22 Nov 2026 21:04:05 GMT": 29 characters at fixed positions.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  int weekday = -1;
  for (int i = 0; i < 7; ++i) {
    if (s.substr(0, 3) == kWeekdays[i]) weekday = i;
  }
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i;
  }
  std::tm tm{};
  if (weekday < 0 || month < 0 || !ParseDigits(s, 5, 2, tm.tm_mday) ||
      !ParseDigits(s, 12, 4, tm.tm_year) || !ParseDigits(s, 17, 2, tm.tm_hour) ||
      !ParseDigits(s, 20, 2, tm.tm_min) || !ParseDigits(s, 23, 2, tm.tm_sec)) {
    return std::nullopt;
  }
  if (tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return std::nullopt;
  const int year = tm.tm_year;
  tm.tm_year -= 1900;
  tm.tm_mon = month;
  const std::time_t secs = timegm(&tm);
  // timegm normalises "31 Feb" into March: a real date survives the round trip.
  std::tm check{};
  gmtime_r(&secs, &check);
  if (check.tm_mday != tm.tm_mday || check.tm_mon != month || check.tm_year + 1900 != year ||
      check.tm_wday != weekday) {
    return std::nullopt;
  }
  // Any client can send "Fri, 31 Dec 9999 23:59:59 GMT" as X-Date.
  return FromUnixSeconds(secs);
}

}  // namespace tenantd::base
