// The connection manager of the tenant databases: open SQLite handles kept
// per tenant in an LRU with a capacity and an idle TTL.
//
// A handle is leased to one thread at a time and comes back when the Lease
// ends. There is no global lock on the request path: tenants are spread
// over shards by a hash of their id, each shard with its own mutex, LRU
// list and share of the capacity, so two requests contend only when their
// tenants share a shard, and then for a few hundred nanoseconds. (LRU order
// is therefore per shard: with many tenants that is close to global LRU.)
//
// Before a lease is handed out the database's schema version is checked:
// a database below the version this binary needs is being migrated (or
// was never migrated), and is refused with kUnavailable "tenant_migrating"
// rather than served half-migrated. A tenant seen at the latest version is
// not checked again in this process (versions only go up; a restore brings
// the file to this binary's version before it replaces it), until Evict or
// a restore mark says its file may have been replaced.
//
// A miss costs far more than a hit: opening a tenant database parses its
// whole schema (about 500,000 instructions, most of them SQLite's parser)
// and makes some 40 system calls on the database, -wal and -shm files, and
// closing one as many again. So the request path takes an idle handle
// inline (AcquireIdle) and opens on the pool's own threads (Open, through
// openers()), never on an event loop, where a burst of cold tenants would
// stall every warm request behind it; handles dropped for capacity are
// closed on another thread of the pool. Those threads run at a lower
// priority (base/background_priority.h), so warm requests keep their CPU.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "storage/sqlite/connection.h"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace tenantd::tenant_db {

class RestoreMarks;
class TenantDatabases;

// WAL pages (4 KiB each) after which a handle coming back from a lease is
// checkpointed, on the pool's background thread: SQLite's own threshold,
// which SQLite would otherwise act on inside the COMMIT, on the event loop.
inline constexpr int kCheckpointPages = 1000;

struct PoolOptions {
  // Open handles across all tenants (leased ones included). Each holds three
  // file descriptors (database, -wal, -shm), the 32 KiB map of its -shm, its
  // parsed schema and statements (about 60 KiB in all for a small tenant)
  // and up to kTenantCacheSizeKib of page cache.
  std::size_t capacity = 1024;
  // Threads that open tenant databases for openers() (0: none; Open then
  // runs wherever it is called, as in the CLI and in tests).
  std::size_t open_threads = 0;
  // An idle handle unused this long is closed by CloseIdle().
  std::chrono::seconds idle_ttl{300};
  // With the pool full, a tenant's extra handle (two requests met on it)
  // stays only if the least recently used tenant of its shard has been
  // unused this long: evicting a cold tenant is cheap, evicting a warm one
  // makes it evict another on its next request, and so on.
  std::chrono::milliseconds cold_after{1000};
  // Enough shards that event-loop threads rarely meet on one mutex, few
  // enough that a shard's LRU approximates the global order.
  std::size_t shards = 64;
};

struct PoolStats {
  std::size_t open = 0;  // handles open now, leased or idle
  std::size_t leased = 0;
  uint64_t hits = 0;       // leases served by an idle handle
  uint64_t misses = 0;     // leases that opened a handle
  uint64_t evictions = 0;  // handles closed for capacity or idle TTL
};

class TenantDbPool {
  struct Shard;
  struct Entry;
  class Closer;

 public:
  // A leased handle; returns to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    storage::sqlite::Connection& db() const { return *db_; }
    const std::string& tenant_id() const { return tenant_id_; }

   private:
    friend class TenantDbPool;
    Lease(TenantDbPool* pool, Shard* shard, std::string tenant_id,
          std::unique_ptr<storage::sqlite::Connection> db)
        : pool_(pool), shard_(shard), tenant_id_(std::move(tenant_id)), db_(std::move(db)) {}
    TenantDbPool* pool_;
    Shard* shard_;
    std::string tenant_id_;
    std::unique_ptr<storage::sqlite::Connection> db_;
  };

  // `databases` must outlive the pool.
  TenantDbPool(const TenantDatabases& databases, PoolOptions options);
  ~TenantDbPool();
  TenantDbPool(const TenantDbPool&) = delete;
  TenantDbPool& operator=(const TenantDbPool&) = delete;

  // A handle on the tenant's database (opened on the calling thread on a
  // miss). kUnavailable "tenant_migrating" when
  // the database is below the schema version this binary needs, or missing;
  // kUnavailable "tenant_restoring" while `marks` (see UseRestoreMarks) say
  // the tenant is being restored.
  base::Result<Lease> Acquire(std::string_view tenant_id);
  // Acquire's cheap half: an idle handle of the tenant, or one of the errors
  // above; nullopt when none is idle (call Open, off the event loop).
  std::optional<base::Result<Lease>> AcquireIdle(std::string_view tenant_id);
  // Acquire's costly half: opens a new handle on the tenant's database.
  base::Result<Lease> Open(std::string_view tenant_id);
  // Where the request path runs Open (see base::OffLoop); null when the
  // pool has no open threads.
  boost::asio::thread_pool* openers() const { return openers_.get(); }

  // Makes Acquire refuse tenants that `marks` (which must outlive the pool)
  // report as being restored. Call before the pool is shared.
  void UseRestoreMarks(const RestoreMarks* marks) { restore_marks_ = marks; }

  // Closes the tenant's idle handles now and the leased ones when they come
  // back (before its database is removed).
  void Evict(std::string_view tenant_id);

  // Closes handles idle for longer than the TTL (in the background);
  // returns how many.
  std::size_t CloseIdle(std::chrono::steady_clock::time_point now);

  PoolStats Stats() const;
  // Prometheus families tenantd_tenant_db_handles{state="open|leased"} and
  // tenantd_tenant_db_{hits,misses,evictions}_total.
  void Render(std::string& out) const;

 private:
  Shard& ShardFor(std::string_view tenant_id) const;
  // Takes a handle back from a lease. One whose WAL has grown to
  // kCheckpointPages goes to the background thread first, unless
  // `checkpointed` (it comes from there).
  void Return(Shard& shard, const std::string& tenant_id,
              std::unique_ptr<storage::sqlite::Connection> db, bool checkpointed);
  // While over capacity, moves the shard's least recently used idle handles
  // to `closing` (closed by the caller after unlocking). Holds shard.mu.
  void TrimLocked(Shard& shard, std::vector<std::unique_ptr<storage::sqlite::Connection>>& closing);
  // Checks the schema version once per tenant and process (see the top of
  // this file); an error when the handle may not be served.
  base::Status CheckMigrated(Shard& shard, std::string_view tenant_id,
                             storage::sqlite::Connection& db);
  // Makes the next lease of the tenant check its schema version again.
  void ForgetMigrated(std::string_view tenant_id);
  // Checks the schema version; true when the handle may be served.
  base::Result<bool> Ready(storage::sqlite::Connection& db) const;
  bool ColdTailLocked(const Shard& shard, const Entry& returning,
                      std::chrono::steady_clock::time_point now) const;

  const TenantDatabases& databases_;
  const RestoreMarks* restore_marks_ = nullptr;
  PoolOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> open_{0}, leased_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0}, evictions_{0};
  // Handles dropped for capacity or idle TTL are closed on a thread of its
  // own, not on the event loop that returned them: a close checkpoints
  // (and fsyncs) what the handle wrote. Declared after the shards, so it
  // is stopped (closing what it still holds) before they go.
  std::unique_ptr<Closer> closer_;
  // Last: its threads are joined first, while what an Open touches exists.
  std::unique_ptr<boost::asio::thread_pool> openers_;
};

}  // namespace tenantd::tenant_db
