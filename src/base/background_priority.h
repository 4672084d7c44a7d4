// Background threads that must not take CPU from the event loops: the
// threads that open and close tenant databases do work that can wait a
// few milliseconds (a cold tenant's first request is waiting on a file
// open and a schema parse anyway), while every warm request on an event
// loop is waiting on nothing but a CPU. With as many of those threads as
// cores, a burst of cold tenants used to take half the CPU time from the
// warm requests and triple their p99.
#pragma once

namespace tenantd::base {

// The nice value background threads run at: the scheduler then gives a
// runnable event-loop thread (nice 0) about ten times their share.
inline constexpr int kBackgroundNice = 10;

// Lowers the calling thread's scheduling priority to kBackgroundNice (never
// raises it). Linux applies nice values per thread. Best effort: a failure
// leaves the priority as it was.
void LowerThisThreadsPriority();

}  // namespace tenantd::base
