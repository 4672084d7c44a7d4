#include "control/change_journal.h"

namespace tenantd::control {

void ChangeJournal::Append(std::string tenant_id) {
  const uint64_t seq = latest_.load(std::memory_order_relaxed) + 1;
  entries_.emplace_back(seq, std::move(tenant_id));
  if (entries_.size() > capacity_) entries_.pop_front();
  latest_.store(seq, std::memory_order_release);
}

void ChangeJournal::Add(const std::vector<std::string>& tenant_ids) {
  std::lock_guard lock(mu_);
  for (const std::string& id : tenant_ids) Append(id.empty() ? std::string("?") : id);
}

void ChangeJournal::AddEverything() {
  std::lock_guard lock(mu_);
  Append("");
}

ChangeJournal::Since ChangeJournal::ChangesSince(uint64_t seen) const {
  std::lock_guard lock(mu_);
  Since out;
  out.latest = latest_.load(std::memory_order_relaxed);
  if (seen >= out.latest) {
    out.tenant_ids.emplace();
    return out;
  }
  // Entries are consecutive: the one after `seen` is at a known offset,
  // unless it was dropped already.
  if (entries_.empty() || entries_.front().first > seen + 1) return out;
  std::vector<std::string> ids;
  for (auto it = entries_.begin() + static_cast<std::ptrdiff_t>(seen + 1 - entries_.front().first);
       it != entries_.end(); ++it) {
    if (it->second.empty()) return out;  // everything changed
    ids.push_back(it->second);
  }
  out.tenant_ids = std::move(ids);
  return out;
}

}  // namespace tenantd::control
