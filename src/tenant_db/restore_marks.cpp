#include "tenant_db/restore_marks.h"

#include <utility>

namespace tenantd::tenant_db {

bool RestoreMarks::IsRestoring(std::string_view tenant_id) const {
  if (count_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mu_);
  return local_.contains(tenant_id) || swept_.contains(tenant_id);
}

void RestoreMarks::Mark(std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  local_.emplace(tenant_id);
  UpdateCountLocked();
}

void RestoreMarks::Unmark(std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  if (auto it = local_.find(tenant_id); it != local_.end()) local_.erase(it);
  // The last sweep may have seen this restore's own journal: it is gone
  // now, so the tenant is not restoring any more, whatever that sweep found
  // (a second restore of one tenant cannot run beside this one).
  if (auto it = swept_.find(tenant_id); it != swept_.end()) swept_.erase(it);
  if (sweeps_running_ > 0) unmarked_during_sweep_.emplace(tenant_id);
  UpdateCountLocked();
}

void RestoreMarks::BeginSweep() {
  std::lock_guard lock(mu_);
  ++sweeps_running_;
}

void RestoreMarks::SetSwept(std::set<std::string, std::less<>> tenant_ids) {
  std::lock_guard lock(mu_);
  for (const std::string& ended : unmarked_during_sweep_) tenant_ids.erase(ended);
  if (sweeps_running_ > 0 && --sweeps_running_ == 0) unmarked_during_sweep_.clear();
  swept_ = std::move(tenant_ids);
  UpdateCountLocked();
}

void RestoreMarks::UpdateCountLocked() {
  count_.store(local_.size() + swept_.size(), std::memory_order_release);
}

}  // namespace tenantd::tenant_db
