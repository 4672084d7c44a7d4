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

// A named point where a test can hold the thread that reaches it, to make
// slow work (provisioning) slow on demand and prove what goes on meanwhile.
// TENANTD_PAUSE_AT=<name> arms one point and TENANTD_PAUSE_FILE=<path>
// names the barrier: while <path> exists, a thread reaching the point
// creates <path>.reached and waits until <path> is removed. Unset, it costs
// one comparison of a cached pointer. For tests only (docs/operations.md).
void PausePoint(std::string_view name);

}  // namespace tenantd::base
