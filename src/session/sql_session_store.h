// Sessions in the control store's `sessions` table (created by its
// migrations), on whichever engine the control store uses: durable across
// restarts.
//
// Every mode A/B request without a cookie starts a session, so creation is
// on the hot path of machine clients. New sessions are therefore written
// behind: kept in memory and inserted in batches, one transaction every
// 50 ms (or every 1,000 sessions), and on shutdown. A crash loses at most
// the sessions of that last moment; their clients authenticate again with
// their credentials. Live sessions this process created or read are cached
// in memory; this process's revocations update the cache at once. When
// other servers share the database (the control store on PostgreSQL, many
// nodes without Redis), `recheck` bounds how long a session read from the
// database is trusted before it is read again, so a session another node
// ended stops working here within that time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "session/session_store.h"

namespace tenantd::storage {
class Database;
}

namespace tenantd::session {

class SqlSessionStore : public SessionStore {
 public:
  // `db` must carry the control schema (ControlStore::database()) and
  // outlive the store.
  // `recheck`: 0 = this process is the database's only server.
  explicit SqlSessionStore(storage::Database& db,
                           std::chrono::milliseconds recheck = std::chrono::milliseconds(0));
  ~SqlSessionStore() override;

  base::Status Create(const SessionRecord& s) override;
  base::Result<std::optional<SessionRecord>> FindLive(std::string_view id_hash,
                                                      base::TimePoint now) override;
  base::Status Extend(std::string_view id_hash, base::TimePoint last_seen,
                      base::TimePoint expires_at) override;
  base::Result<bool> Destroy(std::string_view id_hash) override;
  base::Result<SessionPage> ListLive(std::string_view tenant_id, base::TimePoint now,
                                     std::string_view after, int limit) override;
  base::Result<bool> Revoke(std::string_view tenant_id, std::string_view id) override;
  base::Result<int64_t> RevokeAll(std::string_view tenant_id) override;
  base::Result<int64_t> PurgeExpired(base::TimePoint now) override;
  base::Result<std::vector<SessionRecord>> ListLiveForUser(std::string_view user_id,
                                                           base::TimePoint now) override;
  base::Result<bool> RevokeForUser(std::string_view user_id, std::string_view id) override;
  base::Result<int64_t> RevokeAllForUser(std::string_view user_id,
                                         std::string_view keep_id_hash) override;

  boost::asio::awaitable<base::Status> CreateAsync(const SessionRecord& s) override;
  boost::asio::awaitable<base::Result<std::optional<SessionRecord>>> FindLiveAsync(
      std::string_view id_hash, base::TimePoint now) override;
  boost::asio::awaitable<base::Status> ExtendAsync(std::string_view id_hash,
                                                   base::TimePoint last_seen,
                                                   base::TimePoint expires_at) override;
  boost::asio::awaitable<base::Result<bool>> DestroyAsync(std::string_view id_hash) override;
  boost::asio::awaitable<base::Result<SessionPage>> ListLiveAsync(std::string_view tenant_id,
                                                                  base::TimePoint now,
                                                                  std::string_view after,
                                                                  int limit) override;
  boost::asio::awaitable<base::Result<bool>> RevokeAsync(std::string_view tenant_id,
                                                         std::string_view id) override;
  boost::asio::awaitable<base::Result<int64_t>> RevokeAllAsync(std::string_view tenant_id) override;
  boost::asio::awaitable<base::Result<std::vector<SessionRecord>>> ListLiveForUserAsync(
      std::string_view user_id, base::TimePoint now) override;
  boost::asio::awaitable<base::Result<bool>> RevokeForUserAsync(std::string_view user_id,
                                                                std::string_view id) override;
  boost::asio::awaitable<base::Result<int64_t>> RevokeAllForUserAsync(
      std::string_view user_id, std::string_view keep_id_hash) override;

  // Writes the sessions not yet written.
  base::Status Flush();
  boost::asio::awaitable<base::Status> FlushAsync();

 private:
  void FlushLoop();
  void Remember(const SessionRecord& s);  // caller holds mu_
  // Marks the in-flight sessions `removed` selects as removed; caller holds mu_.
  // How many it marked.
  template <class Pred>
  int64_t RemoveInFlight(Pred removed);

  storage::Database& db_;
  const std::chrono::milliseconds recheck_;

  std::mutex mu_;                                           // the maps and the flusher's state
  std::unordered_map<std::string, SessionRecord> pending_;  // by id_hash, not yet written
  std::unordered_map<std::string, SessionRecord> cache_;    // by id_hash
  std::chrono::steady_clock::time_point cache_started_;     // emptied then (see recheck_)
  // Sessions a flush is writing right now (taken out of pending_, not yet
  // committed): still found by lookups. One removed meanwhile goes into
  // removed_in_flight_: lookups no longer find it, and the flush deletes
  // it again once its insert has committed (marked until that delete has
  // run, so listings skip it), so a sign-out or revocation racing the flush
  // cannot be undone by it.
  std::unordered_map<std::string, SessionRecord> in_flight_;
  std::unordered_set<std::string> removed_in_flight_;
  // Bumped by every removal, so a read that raced one is not cached.
  uint64_t removals_ = 0;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread flusher_;
};

}  // namespace tenantd::session
