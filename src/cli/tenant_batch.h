// What the commands that work on many tenants share: choosing the tenants
// (one, or every one the control store knows) and spreading per-tenant work
// over threads.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "control/control_store.h"

namespace tenantd::cli {

// Tenants worked on at once unless a command's --jobs says otherwise:
// SQLite work on different files runs in parallel, and four threads keep a
// small host responsive for the server beside it.
inline constexpr int kDefaultJobs = 4;

// Every tenant of the control store in id (= creation) order, whatever its
// status: a suspended or deleted-but-not-purged tenant keeps its data, which
// must stay usable when it is activated or restored.
base::Result<std::vector<control::Tenant>> ListAllTenants(control::ControlStore& store);

// The one tenant `id_or_slug` names (kNotFound "not_found" when none does),
// or every tenant when it is empty.
base::Result<std::vector<control::Tenant>> SelectTenants(control::ControlStore& store,
                                                         std::string_view id_or_slug);

// Calls work(0) … work(count - 1), each exactly once, on min(jobs, count)
// threads that take the next index as they become free (so the calls start
// in index order), and returns when every call has returned. `work` runs
// concurrently with itself and must not throw.
void RunConcurrently(std::size_t count, int jobs, const std::function<void(std::size_t)>& work);

}  // namespace tenantd::cli
