#include "session/session_store.h"

namespace tenantd::session {

using boost::asio::awaitable;

awaitable<base::Status> SessionStore::CreateAsync(const SessionRecord& s) { co_return Create(s); }

awaitable<base::Result<std::optional<SessionRecord>>> SessionStore::FindLiveAsync(
    std::string_view id_hash, base::TimePoint now) {
  co_return FindLive(id_hash, now);
}

awaitable<base::Status> SessionStore::ExtendAsync(std::string_view id_hash,
                                                  base::TimePoint last_seen,
                                                  base::TimePoint expires_at) {
  co_return Extend(id_hash, last_seen, expires_at);
}

awaitable<base::Result<bool>> SessionStore::DestroyAsync(std::string_view id_hash) {
  co_return Destroy(id_hash);
}

awaitable<base::Result<SessionPage>> SessionStore::ListLiveAsync(std::string_view tenant_id,
                                                                 base::TimePoint now,
                                                                 std::string_view after,
                                                                 int limit) {
  co_return ListLive(tenant_id, now, after, limit);
}

awaitable<base::Result<bool>> SessionStore::RevokeAsync(std::string_view tenant_id,
                                                        std::string_view id) {
  co_return Revoke(tenant_id, id);
}

awaitable<base::Result<int64_t>> SessionStore::RevokeAllAsync(std::string_view tenant_id) {
  co_return RevokeAll(tenant_id);
}

awaitable<base::Result<std::vector<SessionRecord>>> SessionStore::ListLiveForUserAsync(
    std::string_view user_id, base::TimePoint now) {
  co_return ListLiveForUser(user_id, now);
}

awaitable<base::Result<bool>> SessionStore::RevokeForUserAsync(std::string_view user_id,
                                                               std::string_view id) {
  co_return RevokeForUser(user_id, id);
}

awaitable<base::Result<int64_t>> SessionStore::RevokeAllForUserAsync(
    std::string_view user_id, std::string_view keep_id_hash) {
  co_return RevokeAllForUser(user_id, keep_id_hash);
}

}  // namespace tenantd::session
