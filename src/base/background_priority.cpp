#include "base/background_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace tenantd::base {

void LowerThisThreadsPriority() {
  // On Linux, PRIO_PROCESS with a thread id addresses that one thread.
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0 || current >= kBackgroundNice) return;
  (void)setpriority(PRIO_PROCESS, tid, kBackgroundNice);
}

}  // namespace tenantd::base
