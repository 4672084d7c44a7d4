// Which tenants changed, as a sequence the caches in front of the control
// store catch up on: each change to a tenant's row, app credentials or API
// keys appends the tenant's id under the next sequence number, and a cache
// that last caught up at sequence s drops the entries of the tenants
// changed since s, not everything it holds. Only the latest entries are
// kept: a cache further behind than that is told to drop everything.
//
// Thread-safe. Latest() is one atomic load, for the hot path; the rest
// takes a mutex and runs only when something changed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tenantd::control {

class ChangeJournal {
 public:
  explicit ChangeJournal(std::size_t capacity = 4096) : capacity_(capacity) {}

  // The sequence number of the latest change (0 before any).
  uint64_t Latest() const { return latest_.load(std::memory_order_acquire); }

  // Appends a change of each tenant, in one step.
  void Add(const std::vector<std::string>& tenant_ids);
  void Add(std::string tenant_id) { Add(std::vector<std::string>{std::move(tenant_id)}); }
  // A change of unknown extent: every cache drops everything.
  void AddEverything();

  struct Since {
    uint64_t latest = 0;
    // The tenants changed after the sequence asked about (repeats
    // possible); nullopt: drop everything.
    std::optional<std::vector<std::string>> tenant_ids;
  };
  // What changed after sequence `seen`, up to `latest`.
  Since ChangesSince(uint64_t seen) const;

 private:
  void Append(std::string tenant_id);  // mu_ held

  const std::size_t capacity_;
  mutable std::mutex mu_;
  // (sequence, tenant id; "" = everything), oldest first, consecutive.
  std::deque<std::pair<uint64_t, std::string>> entries_;
  std::atomic<uint64_t> latest_{0};
};

}  // namespace tenantd::control
