// Wall-clock helpers. Times cross module boundaries as
// std::chrono::system_clock::time_point; strings are RFC 3339 UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd::base {

using TimePoint = std::chrono::system_clock::time_point;

// Seconds since 1970 as a TimePoint; nullopt outside years ~1824-2116, so
// that subtracting two parsed times never overflows the nanosecond count.
std::optional<TimePoint> FromUnixSeconds(std::int64_t secs);

// "2026-11-22T21:04:05.123Z" (millisecond precision, always UTC).
std::string FormatRfc3339(TimePoint t);

// Parses what FormatRfc3339 writes (and seconds-only "…:05Z"); nullopt otherwise.
std::optional<TimePoint> ParseRfc3339(std::string_view s);

// HTTP's IMF-fixdate (RFC 9110 §5.6.7): "Sun, 22 Nov 2026 21:04:05 GMT".
std::string FormatImfFixdate(TimePoint t);
// Strict: exactly the IMF-fixdate shape, a real date, the right weekday.
std::optional<TimePoint> ParseImfFixdate(std::string_view s);

}  // namespace tenantd::base
