#include "session/sql_session_store.h"

#include <algorithm>

#include "storage/sqlite.h"

namespace tenantd::session {
namespace {

constexpr std::string_view kColumns =
    "id, id_hash, tenant_id, auth_mode, key_id, created_at, last_seen_at, expires_at, ip,"
    " user_agent";
constexpr int kMaxListLimit = 500;

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
  return s;
}

}  // namespace

SqlSessionStore::SqlSessionStore(std::unique_ptr<storage::Database> db) : db_(std::move(db)) {}
SqlSessionStore::~SqlSessionStore() = default;

base::Result<std::unique_ptr<SqlSessionStore>> SqlSessionStore::Open(
    const std::filesystem::path& control_db) {
  storage::OpenOptions options;
  options.create_if_missing = false;
  TENANTD_TRY(std::unique_ptr<storage::Database> db, storage::Database::Open(control_db, options));
  return std::unique_ptr<SqlSessionStore>(new SqlSessionStore(std::move(db)));
}

base::Status SqlSessionStore::Create(const SessionRecord& s) {
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("INSERT INTO sessions (" + std::string(kColumns) +
                                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, s.id)
      .Bind(2, s.id_hash)
      .Bind(3, s.tenant_id)
      .Bind(4, s.auth_mode)
      .BindOptional(5, s.key_id.empty() ? std::nullopt : std::optional<std::string>(s.key_id))
      .Bind(6, base::FormatRfc3339(s.created_at))
      .Bind(7, base::FormatRfc3339(s.last_seen_at))
      .Bind(8, base::FormatRfc3339(s.expires_at))
      .Bind(9, s.ip)
      .Bind(10, s.user_agent);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

base::Result<std::optional<SessionRecord>> SqlSessionStore::FindLive(std::string_view id_hash,
                                                                     base::TimePoint now) {
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st,
              db_->Prepare("SELECT " + std::string(kColumns) +
                           " FROM sessions WHERE id_hash = ? AND expires_at > ?"));
  st.Bind(1, id_hash).Bind(2, base::FormatRfc3339(now));
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<SessionRecord>();
  TENANTD_TRY(SessionRecord s, ReadSession(st));
  return std::optional<SessionRecord>(std::move(s));
}

base::Status SqlSessionStore::Extend(std::string_view id_hash, base::TimePoint last_seen,
                                     base::TimePoint expires_at) {
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE id_hash = ?"));
  st.Bind(1, id_hash);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes() > 0;
}

base::Result<SessionPage> SqlSessionStore::ListLive(std::string_view tenant_id, base::TimePoint now,
                                                    std::string_view after, int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st,
              db_->Prepare("DELETE FROM sessions WHERE id = ? AND tenant_id = ?"));
  st.Bind(1, id).Bind(2, tenant_id);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes() > 0;
}

base::Result<int64_t> SqlSessionStore::RevokeAll(std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE tenant_id = ?"));
  st.Bind(1, tenant_id);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes();
}

base::Result<int64_t> SqlSessionStore::PurgeExpired(base::TimePoint now) {
  std::lock_guard lock(mu_);
  TENANTD_TRY(storage::Statement st, db_->Prepare("DELETE FROM sessions WHERE expires_at <= ?"));
  st.Bind(1, base::FormatRfc3339(now));
  TENANTD_RETURN_IF_ERROR(st.Step());
  return db_->Changes();
}

}  // namespace tenantd::session
