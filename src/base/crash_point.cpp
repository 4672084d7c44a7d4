#include "base/crash_point.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace tenantd::base {

void CrashPoint(std::string_view name) {
  static const char* const armed = std::getenv("TENANTD_CRASH_AT");
  if (armed != nullptr && name == armed) ::_exit(kCrashExitCode);
}

void PausePoint(std::string_view name) {
  static const char* const armed = std::getenv("TENANTD_PAUSE_AT");
  static const char* const barrier = std::getenv("TENANTD_PAUSE_FILE");
  if (armed == nullptr || barrier == nullptr || name != armed) return;
  std::error_code ec;
  if (!std::filesystem::exists(barrier, ec)) return;
  std::ofstream(std::string(barrier) + ".reached") << name << "\n";
  // Holding this thread is the point: the test decides when it goes on.
  while (std::filesystem::exists(barrier, ec)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tenantd::base
