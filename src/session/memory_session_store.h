// Sessions in process memory: fast, gone at restart, not shared between
// processes. For a single node that can afford to log everyone out on
// restart, and for tests (TENANTD_SESSION_STORE=memory).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "session/session_store.h"

namespace tenantd::session {

class MemorySessionStore : public SessionStore {
 public:
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

 private:
  void EraseLocked(std::map<std::string, SessionRecord, std::less<>>::iterator it);

  std::mutex mu_;
  std::map<std::string, SessionRecord, std::less<>> by_id_;  // ordered: ids sort by creation
  std::unordered_map<std::string, std::string> id_by_hash_;
};

}  // namespace tenantd::session
