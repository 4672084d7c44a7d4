// Named points where a test can make the process die on the spot, as a
// power cut or kill -9 would, to prove that what is on disk afterwards is
// consistent. TENANTD_CRASH_AT=<name> arms one point; the process then exits
// with status 86 (no destructors, no flushing) when it gets there. Unset,
// a crash point costs one comparison of a cached pointer.
#pragma once

#include <string_view>

namespace tenantd::base {

inline constexpr int kCrashExitCode = 86;

void CrashPoint(std::string_view name);

}  // namespace tenantd::base
