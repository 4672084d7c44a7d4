#include "base/clock.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace tenantd::base {
namespace {

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  SteadyTimePoint Steady() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

void TestClock::Advance(std::chrono::milliseconds by) {
  if (by.count() > 0) offset_ms_.fetch_add(by.count(), std::memory_order_relaxed);
}

std::chrono::milliseconds TestClock::Offset() const {
  if (!offset_file_.empty()) {
    std::ifstream in(offset_file_);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    int64_t ms = 0;
    const char* end = text.data() + text.size();
    while (end != text.data() && (end[-1] == '\n' || end[-1] == ' ')) --end;
    const auto [ptr, ec] = std::from_chars(text.data(), end, ms);
    if (ec == std::errc() && ptr == end && ms >= 0) {
      // Only forward: a stale read never moves time back.
      int64_t seen = offset_ms_.load(std::memory_order_relaxed);
      while (ms > seen && !offset_ms_.compare_exchange_weak(seen, ms)) {
      }
    }
  }
  return std::chrono::milliseconds(offset_ms_.load(std::memory_order_relaxed));
}

TimePoint TestClock::Now() const { return std::chrono::system_clock::now() + Offset(); }

SteadyTimePoint TestClock::Steady() const { return std::chrono::steady_clock::now() + Offset(); }

const Clock& ServerClock() {
  static const Clock* const clock = []() -> const Clock* {
    const char* file = std::getenv(kTestClockFileEnv);
    if (file == nullptr || *file == '\0') return &SystemClock();
    static const TestClock test_clock{std::filesystem::path(file)};
    return &test_clock;
  }();
  return *clock;
}

}  // namespace tenantd::base
