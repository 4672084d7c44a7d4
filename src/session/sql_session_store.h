// Sessions in the control database's `sessions` table (created by the
// control store's migrations): durable across restarts, shared by every
// process using the same data directory. Has its own connection, so
// session writes never wait behind the control store's.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "session/session_store.h"

namespace tenantd::storage {
class Database;
}

namespace tenantd::session {

class SqlSessionStore : public SessionStore {
 public:
  // `control_db` must already carry the control schema (ControlStore::Open).
  static base::Result<std::unique_ptr<SqlSessionStore>> Open(
      const std::filesystem::path& control_db);
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

 private:
  explicit SqlSessionStore(std::unique_ptr<storage::Database> db);
  std::mutex mu_;
  std::unique_ptr<storage::Database> db_;
};

}  // namespace tenantd::session
