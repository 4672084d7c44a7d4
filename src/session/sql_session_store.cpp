#include "session/sql_session_store.h"

#include <algorithm>

#include "storage/sqlite.h"

namespace tenantd::session {
namespace {

constexpr std::string_view kColumns =
    "id, id_hash, tenant_id, auth_mode, key_id, created_at, last_seen_at, expires_at, ip,"
    " user_agent, secret_id";
constexpr int kMaxListLimit = 500;
constexpr auto kFlushInterval = std::chrono::milliseconds(50);
constexpr std::size_t kFlushBatch = 1000;
constexpr std::size_t kMaxCached = 100'000;

base::Status Insert(storage::Database& db, const SessionRecord& s) {
  TENANTD_TRY(storage::Statement st, db.Prepare("INSERT INTO sessions (" + std::string(kColumns) +
                                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, s.id)
      .Bind(2, s.id_hash)
      .Bind(3, s.tenant_id)
      .Bind(4, s.auth_mode)
      .BindOptional(5, s.key_id.empty() ? std::nullopt : std::optional<std::string>(s.key_id))
      .Bind(6, base::FormatRfc3339(s.created_at))
      .Bind(7, base::FormatRfc3339(s.last_seen_at))
      .Bind(8, base::FormatRfc3339(s.expires_at))
      .Bind(9, s.ip)
      .Bind(10, s.user_agent)
      .BindOptional(11,
                    s.secret_id.empty() ? std::nullopt : std::optional<std::string>(s.secret_id));
  auto step = st.Step();
  // A session of a tenant purged meanwhile has nothing to belong to: drop it.
  if (!step && step.error().log_detail.find("FOREIGN KEY") != std::string::npos) return {};
  TENANTD_RETURN_IF_ERROR(step);
  return {};
}

base::Result<SessionRecord> ReadSession(const storage::Statement& st) {
  SessionRecord s;
  s.id = st.ColumnText(0);
  s.id_hash = st.ColumnText(1);
  s.tenant_id = st.ColumnText(2);
  s.auth_mode = st.ColumnText(3);
  s.key_id = st.ColumnOptionalText(4).value_or("");
  const auto created = base::ParseRfc3339(st.ColumnText(5));
  const auto seen = base::ParseRfc3339(st.ColumnText(6));
  const auto expires = base::ParseRfc3339(st.ColumnText(7));
  if (!created || !seen || !expires) return base::Internal("sessions: corrupt row " + s.id);
  s.created_at = *created;
  s.last_seen_at = *seen;
  s.expires_at = *expires;
  s.ip = st.ColumnText(8);
  s.user_agent = st.ColumnText(9);
  s.secret_id = st.ColumnOptionalText(10).value_or("");
  return s;
}

}  // namespace

SqlSessionStore::SqlSessionStore(std::unique_ptr<storage::Database> db) : db_(std::move(db)) {
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

base::Status SqlSessionStore::Flush() {
  std::lock_guard db_lock(db_mu_);
  std::unordered_map<std::string, SessionRecord> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return {};
  auto write = [&]() -> base::Status {
    TENANTD_TRY(storage::Transaction tx, db_->Begin());
    for (const auto& [hash, s] : batch) TENANTD_RETURN_IF_ERROR(Insert(*db_, s));
    return tx.Commit();
  };
  auto st = write();
  if (!st) {
    std::lock_guard lock(mu_);
    for (auto& [hash, s] : batch) pending_.try_emplace(hash, std::move(s));
  }
  return st;
}

void SqlSessionStore::Remember(const SessionRecord& s) {
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[s.id_hash] = s;
}

base::Result<std::unique_ptr<SqlSessionStore>> SqlSessionStore::Open(
    const std::filesystem::path& control_db) {
  storage::OpenOptions options;
  options.create_if_missing = false;
  TENANTD_TRY(std::unique_ptr<storage::Database> db, storage::Database::Open(control_db, options));
  return std::unique_ptr<SqlSessionStore>(new SqlSessionStore(std::move(db)));
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

base::Result<std::optional<SessionRecord>> SqlSessionStore::FindLive(std::string_view id_hash,
                                                                     base::TimePoint now) {
  const std::string key(id_hash);
  uint64_t removals = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto* map : {&pending_, &cache_}) {
      if (const auto it = map->find(key); it != map->end()) {
        if (it->second.expires_at <= now) return std::optional<SessionRecord>();
        return std::optional<SessionRecord>(it->second);
      }
    }
    removals = removals_;
  }
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st,
              db_->Prepare("SELECT " + std::string(kColumns) +
                           " FROM sessions WHERE id_hash = ? AND expires_at > ?"));
  st.Bind(1, id_hash).Bind(2, base::FormatRfc3339(now));
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<SessionRecord>();
  TENANTD_TRY(SessionRecord s, ReadSession(st));
  {
    std::lock_guard lock(mu_);
    if (removals == removals_) Remember(s);
  }
  return std::optional<SessionRecord>(std::move(s));
}

base::Status SqlSessionStore::Extend(std::string_view id_hash, base::TimePoint last_seen,
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
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(
      storage::Statement st,
      db_->Prepare("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?"));
  st.Bind(1, base::FormatRfc3339(last_seen))
      .Bind(2, base::FormatRfc3339(expires_at))
      .Bind(3, id_hash);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

base::Result<bool> SqlSessionStore::Destroy(std::string_view id_hash) {
  const std::string key(id_hash);
  bool was_pending = false;
  {
    std::lock_guard lock(mu_);
    was_pending = pending_.erase(key) > 0;
    cache_.erase(key);
    ++removals_;
  }
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE id_hash = ?"));
  st.Bind(1, id_hash);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return was_pending || db_->Changes() > 0;
}

base::Result<SessionPage> SqlSessionStore::ListLive(std::string_view tenant_id, base::TimePoint now,
                                                    std::string_view after, int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  TENANTD_RETURN_IF_ERROR(Flush());
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st,
              db_->Prepare("SELECT " + std::string(kColumns) +
                           " FROM sessions WHERE tenant_id = ? AND id > ? AND expires_at > ?"
                           " ORDER BY id LIMIT ?"));
  st.Bind(1, tenant_id).Bind(2, after).Bind(3, base::FormatRfc3339(now)).Bind(4, limit + 1);
  SessionPage page;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    TENANTD_TRY(SessionRecord s, ReadSession(st));
    page.items.push_back(std::move(s));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

base::Result<bool> SqlSessionStore::Revoke(std::string_view tenant_id, std::string_view id) {
  TENANTD_RETURN_IF_ERROR(Flush());
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.id == id; });
    ++removals_;
  }
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st,
              db_->Prepare("DELETE FROM sessions WHERE id = ? AND tenant_id = ?"));
  st.Bind(1, id).Bind(2, tenant_id);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes() > 0;
}

base::Result<int64_t> SqlSessionStore::RevokeAll(std::string_view tenant_id) {
  TENANTD_RETURN_IF_ERROR(Flush());
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.tenant_id == tenant_id; });
    ++removals_;
  }
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE tenant_id = ?"));
  st.Bind(1, tenant_id);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes();
}

base::Result<int64_t> SqlSessionStore::PurgeExpired(base::TimePoint now) {
  TENANTD_RETURN_IF_ERROR(Flush());
  {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires_at <= now; });
    ++removals_;
  }
  std::lock_guard db_lock(db_mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE expires_at <= ?"));
  st.Bind(1, base::FormatRfc3339(now));
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes();
}

}  // namespace tenantd::session
