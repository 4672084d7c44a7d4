// The data directory holds the master key, sealed secrets and every
// tenant's data, so everything in it is owner-only (0700 directories, 0600
// files). The process umask makes that true of whatever any component
// creates, whoever comes first; start-up refuses a directory others can
// read, as it refuses such a master.key.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "base/error.h"

namespace tenantd::base {

// The umask of every tenantd process: new files 0600, new directories 0700.
inline constexpr mode_t kOwnerOnlyUmask = 077;

// Creates `dir` (and missing parents) mode 0700 when it does not exist;
// refuses (kFailedPrecondition "data_dir_insecure", a one-line message that
// says how to fix it) an existing one accessible by group or others, or one
// that is not a directory.
Status PrepareDataDir(const std::filesystem::path& dir);

}  // namespace tenantd::base
