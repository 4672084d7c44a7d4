#include "base/crash_point.h"

#include <unistd.h>

#include <cstdlib>

namespace tenantd::base {

void CrashPoint(std::string_view name) {
  static const char* const armed = std::getenv("TENANTD_CRASH_AT");
  if (armed != nullptr && name == armed) ::_exit(kCrashExitCode);
}

}  // namespace tenantd::base
