// Per-tenant, per-UTC-day request counts and bytes in and out, aggregated
// in memory on the request path and handed over in batches (Take) to be
// added to the control store (ControlStore::AddUsage) by a periodic flush,
// so a request costs a hash and a short critical section, never a write.
//
// Thread-safe. Counters are spread over shards by tenant, each with its own
// mutex, so event-loop threads rarely meet on one lock.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "control/control_store.h"

namespace tenantd::storage::sqlite {
class Connection;
}

namespace tenantd::usage {

// "YYYY-MM-DD" of `t` in UTC.
std::string UtcDay(base::TimePoint t);

class UsageMeter {
 public:
  // Counts one request of `tenant_id` (slug `tenant_slug`, for /metrics)
  // that started at `when`.
  void Record(std::string_view tenant_id, base::TimePoint when, uint64_t bytes_in,
              uint64_t bytes_out, std::string_view tenant_slug = {});

  // Prometheus families tenantd_tenant_requests_total and
  // tenantd_tenant_bytes_{in,out}_total{tenant_id,tenant}: what each tenant
  // did since the process started (dashboards rank tenants by them). One
  // series per tenant seen, so the label set is bounded by the tenants.
  void Render(std::string& out) const;

  // Everything counted since the last Take, and forgets it.
  std::vector<control::UsageRecord> Take();

  // What is counted for `tenant_id` and not yet taken (for answers that
  // must include the last seconds of traffic); does not forget it.
  std::vector<control::UsageRecord> Pending(std::string_view tenant_id) const;

  // Puts records back (a flush that failed), so no count is lost.
  void Restore(const std::vector<control::UsageRecord>& records);

  // Notes that the tenant's files may have changed (a write on its file
  // rows committed, a restore): the next Flush reads its file totals again.
  void FilesChanged(std::string_view tenant_id);
  // For Flush: whether the tenant's file totals must be read for a record
  // of `day` — they changed since the last read, or were not read that day
  // — and if so notes them read (a change noted after this call makes the
  // next flush read them again; a failed read calls FilesChanged).
  // Reading only then keeps a flush from opening the database of every
  // tenant that was merely read from in the last seconds: with more
  // tenants than pooled handles, that evicted the warm ones.
  bool ClaimTotalsRead(std::string_view tenant_id, std::string_view day);

 private:
  struct Counts {
    int64_t requests = 0;
    int64_t bytes_in = 0;
    int64_t bytes_out = 0;
  };
  // Key: tenant id and days since the epoch (cheaper than formatting the
  // day per request).
  using Key = std::pair<std::string, int64_t>;
  using KeyView = std::pair<std::string_view, int64_t>;
  // Lets a shard be searched with a string_view (no allocation per request).
  struct KeyLess {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.first, k.second}; }
    static KeyView View(const KeyView& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return View(a) < View(b);
    }
  };
  struct Total {
    std::string slug;
    Counts counts;
  };
  struct Shard {
    mutable std::mutex mu;
    std::map<Key, Counts, KeyLess> counts;
    std::map<std::string, Total, std::less<>> totals;  // since start, never taken
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardFor(std::string_view tenant_id) const;
  // `total_slug`: also add to the totals since start (new counts, not restored ones).
  void Add(std::string_view tenant_id, int64_t day, const Counts& c,
           std::optional<std::string_view> total_slug = std::nullopt);

  mutable std::array<Shard, kShards> shards_;

  // Per tenant: the day its file totals were last read, and whether they
  // changed since. One short entry per tenant flushed since start-up.
  struct TotalsRead {
    std::string day;
    bool changed = false;
  };
  std::mutex totals_mu_;
  std::map<std::string, TotalsRead, std::less<>> totals_read_;
};

// A tenant's stored bytes and file count: the one-row file_totals table of
// its database (kept exact by triggers). nullopt for a database without it.
struct FileTotals {
  int64_t files = 0;
  int64_t bytes = 0;
};
base::Result<std::optional<FileTotals>> ReadFileTotals(storage::sqlite::Connection& db);

// Takes what `meter` counted and adds it to the control store, with the
// file totals of each tenant that ClaimTotalsRead names as `totals` reports
// them now (nullopt = unknown, e.g. the tenant is being restored; the row
// keeps the figures an earlier flush of the day wrote). On failure the counts go back into the
// meter for the next flush. Runs on the housekeeping thread.
base::Status Flush(
    UsageMeter& meter, control::ControlStore& store,
    const std::function<std::optional<FileTotals>(std::string_view tenant_id)>& totals);

}  // namespace tenantd::usage
