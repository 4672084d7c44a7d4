#include "session/sql_session_store.h"

#include <algorithm>
#include <vector>

#include "storage/database.h"
#include "storage/run_to_completion.h"

namespace tenantd::session {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kColumns =
    "id, id_hash, tenant_id, auth_mode, key_id, created_at, last_seen_at, expires_at, ip,"
    " user_agent, secret_id, user_id";
constexpr int kMaxListLimit = 500;
constexpr auto kFlushInterval = std::chrono::milliseconds(50);
constexpr std::size_t kFlushBatch = 1000;
constexpr std::size_t kMaxCached = 100'000;

// A session of a tenant purged meanwhile has nothing to belong to: it is
// dropped, not written (the WHERE EXISTS), so one cannot fail the batch.
awaitable<base::Status> Insert(storage::Transaction& tx, const SessionRecord& s) {
  static const std::string sql = "INSERT INTO sessions (" + std::string(kColumns) +
                                 ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
                                 " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $3)";
  // Built before the co_await: GCC 12 mishandles class-type temporaries of
  // a conditional expression inside a co_await expression (it freed a
  // string of the coroutine frame here).
  std::optional<std::string> key_id;
  if (!s.key_id.empty()) key_id = s.key_id;
  std::optional<std::string> secret_id;
  if (!s.secret_id.empty()) secret_id = s.secret_id;
  std::optional<std::string> user_id;  // NULL for a session without a user
  if (!s.user_id.empty()) user_id = s.user_id;
  storage::Params params = storage::MakeParams(
      s.id, s.id_hash, s.tenant_id, s.auth_mode, key_id, base::FormatRfc3339(s.created_at),
      base::FormatRfc3339(s.last_seen_at), base::FormatRfc3339(s.expires_at), s.ip, s.user_agent,
      secret_id, user_id);
  co_return co_await tx.Exec(sql, std::move(params));
}

base::Result<SessionRecord> ReadSession(const storage::Row& row) {
  SessionRecord s;
  s.id = row.Text(0);
  s.id_hash = row.Text(1);
  s.tenant_id = row.Text(2);
  s.auth_mode = row.Text(3);
  s.key_id = row.OptionalText(4).value_or("");
  const auto created = base::ParseRfc3339(row.Text(5));
  const auto seen = base::ParseRfc3339(row.Text(6));
  const auto expires = base::ParseRfc3339(row.Text(7));
  if (!created || !seen || !expires) return base::Internal("sessions: corrupt row " + s.id);
  s.created_at = *created;
  s.last_seen_at = *seen;
  s.expires_at = *expires;
  s.ip = row.Text(8);
  s.user_agent = row.Text(9);
  s.secret_id = row.OptionalText(10).value_or("");
  s.user_id = row.OptionalText(11).value_or("");
  return s;
}

base::Status Done() { return {}; }

}  // namespace

SqlSessionStore::SqlSessionStore(storage::Database& db, std::chrono::milliseconds recheck)
    : db_(db), recheck_(recheck), cache_started_(std::chrono::steady_clock::now()) {
  flusher_ = std::thread([this] { FlushLoop(); });
}

SqlSessionStore::~SqlSessionStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  (void)Flush();
}

void SqlSessionStore::FlushLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, kFlushInterval,
                   [this] { return stop_ || pending_.size() >= kFlushBatch; });
    if (pending_.empty()) continue;
    lock.unlock();
    (void)Flush();  // on failure the sessions stay pending for the next round
    lock.lock();
  }
}

base::Status SqlSessionStore::Flush() { return storage::RunToCompletion(FlushAsync()); }

awaitable<base::Status> SqlSessionStore::FlushAsync() {
  std::unordered_map<std::string, SessionRecord> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
    for (const auto& [hash, s] : batch) in_flight_.emplace(hash, s);
  }
  if (batch.empty()) co_return Done();
  base::Status written = Done();
  auto tx = co_await db_.Begin();
  if (!tx) written = std::move(tx).error();
  for (auto it = batch.begin(); written && it != batch.end(); ++it) {
    written = co_await Insert(**tx, it->second);
  }
  if (written) written = co_await (*tx)->Commit();
  std::vector<std::string> to_delete;  // written, but removed meanwhile
  {
    std::lock_guard lock(mu_);
    for (auto& [hash, s] : batch) {
      in_flight_.erase(hash);
      if (removed_in_flight_.contains(hash)) {
        // Kept marked until deleted below: a listing in between must not
        // show the session its insert just committed.
        if (written) {
          to_delete.push_back(hash);
        } else {
          removed_in_flight_.erase(hash);
        }
      } else if (!written) {
        pending_.try_emplace(hash, std::move(s));  // for the next round
      }
    }
  }
  base::Status deleted_all = Done();
  for (const std::string& hash : to_delete) {
    base::Status deleted = co_await db_.Exec("DELETE FROM sessions WHERE id_hash = $1", hash);
    {
      std::lock_guard lock(mu_);
      removed_in_flight_.erase(hash);
    }
    if (!deleted && deleted_all) deleted_all = std::move(deleted);
  }
  if (!deleted_all) co_return deleted_all;
  co_return written;
}

template <class Pred>
int64_t SqlSessionStore::RemoveInFlight(Pred removed) {
  int64_t n = 0;
  for (const auto& [hash, s] : in_flight_) {
    if (removed(s) && removed_in_flight_.insert(hash).second) ++n;
  }
  return n;
}

void SqlSessionStore::Remember(const SessionRecord& s) {
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[s.id_hash] = s;
}

base::Status SqlSessionStore::Create(const SessionRecord& s) {
  bool full = false;
  {
    std::lock_guard lock(mu_);
    // Not cached: most sessions of cookie-less clients are never read
    // again. Lookups find it among the pending, then in the database.
    pending_[s.id_hash] = s;
    full = pending_.size() >= kFlushBatch;
  }
  if (full) wake_.notify_one();
  return {};
}

awaitable<base::Status> SqlSessionStore::CreateAsync(const SessionRecord& s) {
  co_return Create(s);
}

base::Result<std::optional<SessionRecord>> SqlSessionStore::FindLive(std::string_view id_hash,
                                                                     base::TimePoint now) {
  return storage::RunToCompletion(FindLiveAsync(id_hash, now));
}

awaitable<base::Result<std::optional<SessionRecord>>> SqlSessionStore::FindLiveAsync(
    std::string_view id_hash, base::TimePoint now) {
  const std::string key(id_hash);
  uint64_t removals = 0;
  {
    std::lock_guard lock(mu_);
    if (removed_in_flight_.contains(key)) co_return std::optional<SessionRecord>();
    // Shared with other servers: what was read from the database is read
    // again once it is `recheck_` old (the whole cache at once: no
    // per-entry time to keep).
    if (recheck_.count() > 0) {
      const auto steady = std::chrono::steady_clock::now();
      if (steady - cache_started_ >= recheck_) {
        cache_.clear();
        cache_started_ = steady;
        ++removals_;
      }
    }
    for (const auto* map : {&pending_, &in_flight_, &cache_}) {
      if (const auto it = map->find(key); it != map->end()) {
        if (it->second.expires_at <= now) co_return std::optional<SessionRecord>();
        co_return std::optional<SessionRecord>(it->second);
      }
    }
    removals = removals_;
  }
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kColumns) +
                                        " FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                                    key, base::FormatRfc3339(now)));
  if (rows.empty()) co_return std::optional<SessionRecord>();
  TENANTD_CO_TRY(SessionRecord s, ReadSession(rows.front()));
  {
    std::lock_guard lock(mu_);
    if (removals == removals_) Remember(s);
  }
  co_return std::optional<SessionRecord>(std::move(s));
}

base::Status SqlSessionStore::Extend(std::string_view id_hash, base::TimePoint last_seen,
                                     base::TimePoint expires_at) {
  return storage::RunToCompletion(ExtendAsync(id_hash, last_seen, expires_at));
}

awaitable<base::Status> SqlSessionStore::ExtendAsync(std::string_view id_hash,
                                                     base::TimePoint last_seen,
                                                     base::TimePoint expires_at) {
  const std::string key(id_hash);
  {
    std::lock_guard lock(mu_);
    for (auto* map : {&pending_, &cache_}) {
      if (const auto it = map->find(key); it != map->end()) {
        it->second.last_seen_at = last_seen;
        it->second.expires_at = expires_at;
      }
    }
    ++removals_;  // a read racing this one must not cache the old expiry
  }
  co_return co_await db_.Exec(
      "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
      base::FormatRfc3339(last_seen), base::FormatRfc3339(expires_at), key);
}

base::Result<bool> SqlSessionStore::Destroy(std::string_view id_hash) {
  return storage::RunToCompletion(DestroyAsync(id_hash));
}

awaitable<base::Result<bool>> SqlSessionStore::DestroyAsync(std::string_view id_hash) {
  const std::string key(id_hash);
  bool was_pending = false;
  {
    std::lock_guard lock(mu_);
    was_pending = pending_.erase(key) > 0;
    if (in_flight_.contains(key)) {
      removed_in_flight_.insert(key);
      was_pending = true;
    }
    cache_.erase(key);
    ++removals_;
  }
  TENANTD_CO_TRY(storage::Rows deleted,
                 co_await db_.Query("DELETE FROM sessions WHERE id_hash = $1", key));
  co_return was_pending || deleted.affected > 0;
}

base::Result<SessionPage> SqlSessionStore::ListLive(std::string_view tenant_id, base::TimePoint now,
                                                    std::string_view after, int limit) {
  return storage::RunToCompletion(ListLiveAsync(tenant_id, now, after, limit));
}

awaitable<base::Result<SessionPage>> SqlSessionStore::ListLiveAsync(std::string_view tenant_id,
                                                                    base::TimePoint now,
                                                                    std::string_view after,
                                                                    int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kColumns) +
                                        " FROM sessions WHERE tenant_id = $1 AND id > $2 AND"
                                        " expires_at > $3 ORDER BY id LIMIT $4",
                                    tenant_id, after, base::FormatRfc3339(now), limit + 1));
  SessionPage page;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(SessionRecord s, ReadSession(row));
    page.items.push_back(std::move(s));
  }
  {
    // Removed while a flush was writing it: its insert may have committed,
    // its delete not yet.
    std::lock_guard lock(mu_);
    std::erase_if(page.items,
                  [&](const SessionRecord& s) { return removed_in_flight_.contains(s.id_hash); });
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

base::Result<bool> SqlSessionStore::Revoke(std::string_view tenant_id, std::string_view id) {
  return storage::RunToCompletion(RevokeAsync(tenant_id, id));
}

awaitable<base::Result<bool>> SqlSessionStore::RevokeAsync(std::string_view tenant_id,
                                                           std::string_view id) {
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  int64_t in_flight = 0;  // being written by the flusher thread right now
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.id == id; });
    in_flight = RemoveInFlight(
        [&](const SessionRecord& r) { return r.id == id && r.tenant_id == tenant_id; });
    ++removals_;
  }
  TENANTD_CO_TRY(
      storage::Rows deleted,
      co_await db_.Query("DELETE FROM sessions WHERE id = $1 AND tenant_id = $2", id, tenant_id));
  co_return deleted.affected > 0 || in_flight > 0;
}

base::Result<int64_t> SqlSessionStore::RevokeAll(std::string_view tenant_id) {
  return storage::RunToCompletion(RevokeAllAsync(tenant_id));
}

awaitable<base::Result<int64_t>> SqlSessionStore::RevokeAllAsync(std::string_view tenant_id) {
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  int64_t in_flight = 0;  // being written by the flusher thread right now
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.tenant_id == tenant_id; });
    in_flight = RemoveInFlight([&](const SessionRecord& r) { return r.tenant_id == tenant_id; });
    ++removals_;
  }
  TENANTD_CO_TRY(storage::Rows deleted,
                 co_await db_.Query("DELETE FROM sessions WHERE tenant_id = $1", tenant_id));
  co_return deleted.affected + in_flight;
}

base::Result<std::vector<SessionRecord>> SqlSessionStore::ListLiveForUser(std::string_view user_id,
                                                                          base::TimePoint now) {
  return storage::RunToCompletion(ListLiveForUserAsync(user_id, now));
}

awaitable<base::Result<std::vector<SessionRecord>>> SqlSessionStore::ListLiveForUserAsync(
    std::string_view user_id, base::TimePoint now) {
  std::vector<SessionRecord> live;
  if (user_id.empty()) co_return live;
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  // The flusher thread may be writing some of the user's sessions right
  // now: taken before the query, so each is either committed before it
  // (and read) or still among these.
  std::vector<SessionRecord> writing;
  {
    std::lock_guard lock(mu_);
    for (const auto& [hash, s] : in_flight_) {
      if (s.user_id == user_id && s.expires_at > now) writing.push_back(s);
    }
  }
  static const std::string sql = "SELECT " + std::string(kColumns) +
                                 " FROM sessions WHERE user_id = $1 AND expires_at > $2"
                                 " ORDER BY id LIMIT $3";
  const std::string at = base::FormatRfc3339(now);
  TENANTD_CO_TRY(storage::Rows rows, co_await db_.Query(sql, user_id, at, kMaxUserSessions));
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(SessionRecord s, ReadSession(row));
    live.push_back(std::move(s));
  }
  for (SessionRecord& s : writing) {
    const bool read =
        std::any_of(live.begin(), live.end(), [&](const SessionRecord& r) { return r.id == s.id; });
    if (!read) live.push_back(std::move(s));
  }
  {
    // Revoked while being written: its insert may have committed, its
    // delete not yet.
    std::lock_guard lock(mu_);
    std::erase_if(live,
                  [&](const SessionRecord& s) { return removed_in_flight_.contains(s.id_hash); });
  }
  std::sort(live.begin(), live.end(),
            [](const SessionRecord& a, const SessionRecord& b) { return a.id < b.id; });
  if (live.size() > static_cast<std::size_t>(kMaxUserSessions)) live.resize(kMaxUserSessions);
  co_return live;
}

base::Result<bool> SqlSessionStore::RevokeForUser(std::string_view user_id, std::string_view id) {
  return storage::RunToCompletion(RevokeForUserAsync(user_id, id));
}

// As Revoke, with the user in place of the tenant.
awaitable<base::Result<bool>> SqlSessionStore::RevokeForUserAsync(std::string_view user_id,
                                                                  std::string_view id) {
  if (user_id.empty()) co_return false;
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  int64_t in_flight = 0;  // being written by the flusher thread right now
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) {
      return entry.second.id == id && entry.second.user_id == user_id;
    });
    in_flight =
        RemoveInFlight([&](const SessionRecord& r) { return r.id == id && r.user_id == user_id; });
    ++removals_;
  }
  TENANTD_CO_TRY(
      storage::Rows deleted,
      co_await db_.Query("DELETE FROM sessions WHERE id = $1 AND user_id = $2", id, user_id));
  co_return deleted.affected > 0 || in_flight > 0;
}

base::Result<int64_t> SqlSessionStore::RevokeAllForUser(std::string_view user_id,
                                                        std::string_view keep_id_hash) {
  return storage::RunToCompletion(RevokeAllForUserAsync(user_id, keep_id_hash));
}

// As RevokeAll, with the user in place of the tenant, sparing one session.
awaitable<base::Result<int64_t>> SqlSessionStore::RevokeAllForUserAsync(
    std::string_view user_id, std::string_view keep_id_hash) {
  if (user_id.empty()) co_return int64_t{0};
  TENANTD_CO_RETURN_IF_ERROR(co_await FlushAsync());
  const auto revoked = [&](const SessionRecord& r) {
    return r.user_id == user_id && r.id_hash != keep_id_hash;
  };
  int64_t in_flight = 0;  // being written by the flusher thread right now
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return revoked(entry.second); });
    in_flight = RemoveInFlight(revoked);
    ++removals_;
  }
  TENANTD_CO_TRY(storage::Rows deleted,
                 co_await db_.Query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2",
                                    user_id, keep_id_hash));
  co_return deleted.affected + in_flight;
}

base::Result<int64_t> SqlSessionStore::PurgeExpired(base::TimePoint now) {
  TENANTD_RETURN_IF_ERROR(Flush());
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires_at <= now; });
    ++removals_;
  }
  TENANTD_TRY(storage::Rows deleted,
              storage::RunToCompletion(db_.Query("DELETE FROM sessions WHERE expires_at <= $1",
                                                 base::FormatRfc3339(now))));
  return deleted.affected;
}

}  // namespace tenantd::session
