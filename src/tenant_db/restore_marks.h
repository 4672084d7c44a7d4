// Which tenants are being restored right now, so that their requests answer
// 503 tenant_restoring instead of reading or writing a database and a file
// tree that are being replaced (backup/restore.h does the replacing).
//
// Two sources, because a restore runs either inside the server (the admin
// route) or in another process (`tenantd restore`):
//  - Mark/Unmark: restores this process runs; effective at once.
//  - SetSwept: what the last sweep of <data>/restore/ found (a restore's
//    journal exists there from just before it touches anything until it is
//    done); the server sweeps every few hundred milliseconds, and the CLI
//    waits longer than that before it touches anything.
//
// Thread-safe. IsRestoring is on every tenant request's path: with nothing
// being restored (the normal case) it is one relaxed atomic load.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace tenantd::tenant_db {

class RestoreMarks {
 public:
  bool IsRestoring(std::string_view tenant_id) const;

  void Mark(std::string_view tenant_id);
  void Unmark(std::string_view tenant_id);
  // A sweep calls BeginSweep before it lists <data>/restore/ and SetSwept
  // with what it found. A restore of this process that ends in between was
  // seen running but is over: SetSwept leaves it out, or its tenant would
  // answer 503 until the next sweep.
  void BeginSweep();
  // Replaces the set found by the last sweep.
  void SetSwept(std::set<std::string, std::less<>> tenant_ids);

 private:
  void UpdateCountLocked();

  mutable std::mutex mu_;
  std::multiset<std::string, std::less<>> local_;  // a tenant may be marked twice
  std::set<std::string, std::less<>> swept_;
  int sweeps_running_ = 0;
  std::set<std::string, std::less<>> unmarked_during_sweep_;
  std::atomic<std::size_t> count_{0};  // local_.size() + swept_.size()
};

}  // namespace tenantd::tenant_db
