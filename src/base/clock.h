// Where tenantd reads the time. Components take a `const Clock&` rather than
// calling std::chrono clocks, so tests move time instead of sleeping.
//
//   SystemClock()  the machine's clocks.
//   TestClock      the machine's clocks plus an offset that tests move
//                  forward: by Advance() in unit tests, or, for the server
//                  binary under test, by writing the offset to the file
//                  named by TENANTD_TEST_CLOCK_FILE (docs/operations.md).
//   ServerClock()  what the server runs on: SystemClock(), unless
//                  TENANTD_TEST_CLOCK_FILE is set.
//
// Timers of the event loop (I/O timeouts) keep real time: the offset moves
// what the server reads as "now" (rate limits, expiries, signed dates,
// timestamps), not how long a socket may stay silent.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>

#include "base/time.h"

namespace tenantd::base {

using SteadyTimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: timestamps, expiry dates, signed dates.
  virtual TimePoint Now() const = 0;
  // Monotonic time: intervals (rate limits, replay windows, idle TTLs).
  virtual SteadyTimePoint Steady() const = 0;
};

const Clock& SystemClock();

// Thread-safe. The offset only grows (a monotonic clock never goes back).
class TestClock final : public Clock {
 public:
  TestClock() = default;
  // Reads the offset from `offset_file` on every call: decimal milliseconds,
  // written by the test (write a temporary and rename it over the file).
  // A missing or malformed file leaves the offset as it was.
  explicit TestClock(std::filesystem::path offset_file) : offset_file_(std::move(offset_file)) {}

  void Advance(std::chrono::milliseconds by);
  TimePoint Now() const override;
  SteadyTimePoint Steady() const override;

 private:
  std::chrono::milliseconds Offset() const;

  const std::filesystem::path offset_file_;
  mutable std::atomic<int64_t> offset_ms_{0};
};

// Environment variable naming a TestClock's offset file; tests only.
inline constexpr const char* kTestClockFileEnv = "TENANTD_TEST_CLOCK_FILE";

const Clock& ServerClock();

}  // namespace tenantd::base
