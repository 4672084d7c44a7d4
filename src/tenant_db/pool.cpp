#include "tenant_db/pool.h"

#include <condition_variable>
#include <functional>
#include <latch>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "base/background_priority.h"
#include "tenant_db/restore_marks.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {
namespace {

using Handle = std::unique_ptr<storage::sqlite::Connection>;

base::Error Migrating(std::string log_detail) {
  return base::MakeError(base::ErrorCode::kUnavailable, "tenant_migrating",
                         "The tenant's database is being migrated; retry shortly.",
                         std::move(log_detail));
}

// The same contract as tenant_migrating: the state passes within moments
// (a restore takes seconds to minutes), so clients retry.
base::Error Restoring(std::string_view tenant_id) {
  return base::MakeError(base::ErrorCode::kUnavailable, "tenant_restoring",
                         "The tenant's data is being restored from a backup; retry shortly.",
                         "tenant " + std::string(tenant_id) + " is being restored");
}

}  // namespace

struct TenantDbPool::Entry {
  std::string tenant_id;
  std::vector<Handle> idle;
  std::size_t leased = 0;
  bool evicted = false;  // handles coming back are closed, not kept
  // Set once a handle of this entry saw the latest schema version. Each
  // migration commits together with its user_version, and versions only go
  // up, so a tenant seen migrated stays migrated: later leases skip the
  // check (one read transaction and two file locks fewer per request).
  bool migrated = false;
  std::chrono::steady_clock::time_point last_used;
};

// The pool's background thread: closes dropped handles and checkpoints
// handles whose WAL grew long, so neither a close nor a checkpoint (both
// fsync) ever runs on an event loop.
class TenantDbPool::Closer {
 public:
  explicit Closer(TenantDbPool* pool) : pool_(pool), thread_([this] { Run(); }) {}
  ~Closer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void Close(std::vector<Handle>& handles) {
    if (handles.empty()) return;
    {
      std::lock_guard lock(mu_);
      for (Handle& h : handles) queue_.push_back({std::move(h), nullptr, {}});
    }
    handles.clear();
    wake_.notify_one();
  }

  // Checkpoints a leased handle, then returns it to the pool.
  void CheckpointAndReturn(Shard& shard, const std::string& tenant_id, Handle db) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(db), &shard, tenant_id});
    }
    wake_.notify_one();
  }

 private:
  struct Job {
    Handle db;
    Shard* shard;  // null: close the handle
    std::string tenant_id;
  };

  void Run() {
    base::LowerThisThreadsPriority();
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      std::vector<Job> batch = std::move(queue_);
      queue_.clear();
      if (batch.empty() && stop_) return;
      lock.unlock();
      for (Job& job : batch) {
        if (job.shard == nullptr) continue;  // closed with the batch
        // A failed checkpoint (another process checkpointing) is retried
        // after the next commit; the last close checkpoints anyway.
        (void)job.db->Checkpoint();
        pool_->Return(*job.shard, job.tenant_id, std::move(job.db), /*checkpointed=*/true);
      }
      batch.clear();  // closes the dropped handles
      lock.lock();
    }
  }

  TenantDbPool* pool_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Job> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Lets a set of strings be searched with a string_view.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct TenantDbPool::Shard {
  std::mutex mu;
  std::list<Entry> lru;  // most recently used first
  // Keys view the tenant_id of their list node (list nodes never move).
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  // Tenants seen at the latest schema version, open or not: a handle opened
  // again after an eviction skips the check (a statement compiled afresh on
  // a new handle). One short string per tenant served since start-up.
  std::unordered_set<std::string, IdHash, std::equal_to<>> migrated;
};

TenantDbPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      shard_(other.shard_),
      tenant_id_(std::move(other.tenant_id_)),
      db_(std::move(other.db_)) {}

TenantDbPool::Lease::~Lease() {
  if (pool_ && db_) pool_->Return(*shard_, tenant_id_, std::move(db_), /*checkpointed=*/false);
}

TenantDbPool::TenantDbPool(const TenantDatabases& databases, PoolOptions options)
    : databases_(databases), options_(options) {
  if (options_.capacity == 0) options_.capacity = 1;
  if (options_.shards == 0) options_.shards = 1;
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
  closer_ = std::make_unique<Closer>(this);
  if (options_.open_threads > 0) {
    openers_ = std::make_unique<boost::asio::thread_pool>(options_.open_threads);
    // One task per thread (each waits until all have started, so no thread
    // takes two): the openers yield the CPU to the event loops.
    auto started = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(options_.open_threads));
    for (std::size_t i = 0; i < options_.open_threads; ++i) {
      boost::asio::post(*openers_, [started] {
        base::LowerThisThreadsPriority();
        started->arrive_and_wait();
      });
    }
  }
}

TenantDbPool::~TenantDbPool() = default;

TenantDbPool::Shard& TenantDbPool::ShardFor(std::string_view tenant_id) const {
  return *shards_[std::hash<std::string_view>{}(tenant_id) % shards_.size()];
}

base::Result<TenantDbPool::Lease> TenantDbPool::Acquire(std::string_view tenant_id) {
  if (auto idle = AcquireIdle(tenant_id)) return std::move(*idle);
  return Open(tenant_id);
}

std::optional<base::Result<TenantDbPool::Lease>> TenantDbPool::AcquireIdle(
    std::string_view tenant_id) {
  if (restore_marks_ && restore_marks_->IsRestoring(tenant_id)) {
    ForgetMigrated(tenant_id);
    return Restoring(tenant_id);
  }
  Shard& shard = ShardFor(tenant_id);
  Handle db;
  bool migrated = false;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.index.find(tenant_id);
    if (it == shard.index.end()) return std::nullopt;
    Entry& e = *it->second;
    if (e.idle.empty()) return std::nullopt;
    migrated = e.migrated;
    db = std::move(e.idle.back());
    e.idle.pop_back();
    ++e.leased;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  leased_.fetch_add(1, std::memory_order_relaxed);
  Lease lease(this, &shard, std::string(tenant_id), std::move(db));
  if (!migrated) {
    if (auto ready = CheckMigrated(shard, tenant_id, lease.db()); !ready) {
      return std::move(ready).error();
    }
  }
  return lease;
}

base::Result<TenantDbPool::Lease> TenantDbPool::Open(std::string_view tenant_id) {
  if (restore_marks_ && restore_marks_->IsRestoring(tenant_id)) {
    ForgetMigrated(tenant_id);
    return Restoring(tenant_id);
  }
  Shard& shard = ShardFor(tenant_id);
  misses_.fetch_add(1, std::memory_order_relaxed);
  // Opening parses the schema (hundreds of microseconds): outside the
  // shard's lock.
  auto opened = databases_.OpenPooled(tenant_id);
  if (!opened) {
    if (opened.error().problem_code == "tenant_database_missing") {
      return Migrating(opened.error().log_detail + " (run `tenantd migrate`)");
    }
    return std::move(opened).error();
  }
  std::vector<Handle> closing;
  bool migrated = false;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.index.find(tenant_id);
    const bool first_handle = it == shard.index.end();
    if (first_handle) {
      const bool known = shard.migrated.contains(tenant_id);
      shard.lru.push_front(Entry{std::string(tenant_id), {}, 0, false, known, {}});
      it = shard.index.emplace(shard.lru.front().tenant_id, shard.lru.begin()).first;
    } else {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    }
    ++it->second->leased;
    migrated = it->second->migrated;
    open_.fetch_add(1, std::memory_order_relaxed);
    leased_.fetch_add(1, std::memory_order_relaxed);
    // A tenant's extra handle is trimmed when it comes back (see Return),
    // not by evicting another tenant now.
    if (first_handle) TrimLocked(shard, closing);
  }
  open_.fetch_sub(closing.size(), std::memory_order_relaxed);
  closer_->Close(closing);
  Lease lease(this, &shard, std::string(tenant_id), std::move(*opened));
  if (!migrated) TENANTD_RETURN_IF_ERROR(CheckMigrated(shard, tenant_id, lease.db()));
  return lease;
}

base::Status TenantDbPool::CheckMigrated(Shard& shard, std::string_view tenant_id,
                                         storage::sqlite::Connection& db) {
  TENANTD_TRY(bool ready, Ready(db));
  if (!ready) {
    return Migrating("tenant " + std::string(tenant_id) + " is below schema version " +
                     std::to_string(databases_.LatestVersion()));
  }
  std::lock_guard lock(shard.mu);
  if (auto it = shard.index.find(tenant_id); it != shard.index.end()) it->second->migrated = true;
  if (!shard.migrated.contains(tenant_id)) shard.migrated.emplace(tenant_id);
  return {};
}

void TenantDbPool::ForgetMigrated(std::string_view tenant_id) {
  Shard& shard = ShardFor(tenant_id);
  std::lock_guard lock(shard.mu);
  if (auto it = shard.migrated.find(tenant_id); it != shard.migrated.end()) {
    shard.migrated.erase(it);
  }
  if (auto it = shard.index.find(tenant_id); it != shard.index.end()) it->second->migrated = false;
}

base::Result<bool> TenantDbPool::Ready(storage::sqlite::Connection& db) const {
  // user_version lives in the file header: one page read, no table scan.
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare("PRAGMA user_version"));
  TENANTD_TRY(bool row, st.Step());
  if (!row) return base::Internal("tenant database: PRAGMA user_version returned no row");
  return st.ColumnInt64(0) >= databases_.LatestVersion();
}

bool TenantDbPool::ColdTailLocked(const Shard& shard, const Entry& returning,
                                  std::chrono::steady_clock::time_point now) const {
  // The returning tenant itself at the tail: no other tenant here would
  // be evicted for its extra handle.
  if (shard.lru.empty() || &shard.lru.back() == &returning) return true;
  const Entry& tail = shard.lru.back();
  return tail.leased == 0 && now - tail.last_used >= options_.cold_after;
}

void TenantDbPool::Return(Shard& shard, const std::string& tenant_id, Handle db,
                          bool checkpointed) {
  if (!checkpointed && db->wal_pages() >= kCheckpointPages) {
    // Still counted as leased until the checkpoint is done.
    closer_->CheckpointAndReturn(shard, tenant_id, std::move(db));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<Handle> closing;
  {
    std::lock_guard lock(shard.mu);
    leased_.fetch_sub(1, std::memory_order_relaxed);
    auto it = shard.index.find(tenant_id);
    if (it == shard.index.end()) {
      closing.push_back(std::move(db));
    } else {
      Entry& e = *it->second;
      --e.leased;
      if (e.evicted) {
        closing.push_back(std::move(db));
        if (e.leased == 0 && e.idle.empty()) {
          shard.lru.erase(it->second);
          shard.index.erase(it);
        }
      } else if ((!e.idle.empty() || e.leased > 0) &&
                 open_.load(std::memory_order_relaxed) >= options_.capacity &&
                 !ColdTailLocked(shard, e, now)) {
        // The pool is full and every tenant in reach is warm: this extra
        // handle goes (cheap: another handle keeps the WAL open) rather
        // than evict a tenant that would, on its next request, create its
        // WAL and shared-memory files again and evict another in turn.
        closing.push_back(std::move(db));
        evictions_.fetch_add(1, std::memory_order_relaxed);
        e.last_used = now;
      } else {
        e.idle.push_back(std::move(db));
        e.last_used = now;
      }
    }
    TrimLocked(shard, closing);
  }
  open_.fetch_sub(closing.size(), std::memory_order_relaxed);
  closer_->Close(closing);
}

void TenantDbPool::TrimLocked(Shard& shard, std::vector<Handle>& closing) {
  // Over capacity, the least recently used idle handles of this shard go.
  // If all of them are leased the pool stays over capacity until they
  // come back: refusing a request would be worse than a few extra files.
  auto it = shard.lru.end();
  while (open_.load(std::memory_order_relaxed) - closing.size() > options_.capacity &&
         it != shard.lru.begin()) {
    --it;
    Entry& e = *it;
    while (!e.idle.empty() &&
           open_.load(std::memory_order_relaxed) - closing.size() > options_.capacity) {
      closing.push_back(std::move(e.idle.back()));
      e.idle.pop_back();
      evictions_.fetch_add(1, std::memory_order_relaxed);
    }
    if (e.idle.empty() && e.leased == 0) {
      shard.index.erase(e.tenant_id);
      it = shard.lru.erase(it);
    }
  }
}

void TenantDbPool::Evict(std::string_view tenant_id) {
  Shard& shard = ShardFor(tenant_id);
  std::vector<Handle> closing;
  {
    std::lock_guard lock(shard.mu);
    // The file may be replaced (purge, restore): check it again.
    if (auto m = shard.migrated.find(tenant_id); m != shard.migrated.end()) shard.migrated.erase(m);
    auto it = shard.index.find(tenant_id);
    if (it == shard.index.end()) return;
    Entry& e = *it->second;
    closing = std::move(e.idle);
    e.idle.clear();
    e.migrated = false;
    if (e.leased == 0) {
      shard.lru.erase(it->second);
      shard.index.erase(it);
    } else {
      e.evicted = true;
    }
  }
  evictions_.fetch_add(closing.size(), std::memory_order_relaxed);
  open_.fetch_sub(closing.size(), std::memory_order_relaxed);
}

std::size_t TenantDbPool::CloseIdle(std::chrono::steady_clock::time_point now) {
  std::size_t closed = 0;
  for (auto& shard_ptr : shards_) {
    Shard& shard = *shard_ptr;
    std::vector<Handle> closing;
    {
      std::lock_guard lock(shard.mu);
      for (auto it = shard.lru.begin(); it != shard.lru.end();) {
        Entry& e = *it;
        if (e.leased == 0 && now - e.last_used >= options_.idle_ttl) {
          for (Handle& h : e.idle) closing.push_back(std::move(h));
          shard.index.erase(e.tenant_id);
          it = shard.lru.erase(it);
        } else {
          ++it;
        }
      }
    }
    closed += closing.size();
    open_.fetch_sub(closing.size(), std::memory_order_relaxed);
    closer_->Close(closing);
  }
  evictions_.fetch_add(closed, std::memory_order_relaxed);
  return closed;
}

PoolStats TenantDbPool::Stats() const {
  PoolStats s;
  s.open = open_.load(std::memory_order_relaxed);
  s.leased = leased_.load(std::memory_order_relaxed);
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  return s;
}

void TenantDbPool::Render(std::string& out) const {
  const PoolStats s = Stats();
  out += "# HELP tenantd_tenant_db_handles Open tenant database handles.\n";
  out += "# TYPE tenantd_tenant_db_handles gauge\n";
  out += "tenantd_tenant_db_handles{state=\"open\"} " + std::to_string(s.open) + "\n";
  out += "tenantd_tenant_db_handles{state=\"leased\"} " + std::to_string(s.leased) + "\n";
  out += "# HELP tenantd_tenant_db_capacity Tenant database handles kept at most.\n";
  out += "# TYPE tenantd_tenant_db_capacity gauge\n";
  out += "tenantd_tenant_db_capacity " + std::to_string(options_.capacity) + "\n";
  const std::pair<const char*, uint64_t> counters[] = {
      {"hits", s.hits}, {"misses", s.misses}, {"evictions", s.evictions}};
  const char* help[] = {"Leases served by an idle open handle.", "Leases that opened a handle.",
                        "Handles closed for capacity, idle TTL or tenant removal."};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = std::string("tenantd_tenant_db_") + counters[i].first + "_total";
    out += "# HELP " + name + " " + help[i] + "\n# TYPE " + name + " counter\n";
    out += name + " " + std::to_string(counters[i].second) + "\n";
  }
}

}  // namespace tenantd::tenant_db
