// Sessions in Redis, chosen automatically when REDIS_URL is set: every
// tenantd process using the same Redis sees the same sessions, and a
// revocation on one is a revocation on all at once (there is no cache).
//
// Layout: "tenantd:ses:h:<id hash>" a hash of the record's fields,
// "tenantd:ses:i:<public id>" the id hash, "tenantd:ses:t:<tenant id>" the
// tenant's public ids (a sorted set, by id), "tenantd:ses:u:<user id>" the
// user's (user sessions only; same form). The first two expire with the
// session; the indexes lose a session when it is destroyed or revoked, and
// an expired one as they are read. Each operation is one
// command or one Lua script: one round trip, atomic.
//
// Errors: kUnavailable "session_store_unavailable" whenever Redis cannot be
// reached (the client fails fast while it is known to be down).
#pragma once

#include "session/session_store.h"

namespace tenantd::redis {
class RedisClient;
}

namespace tenantd::session {

class RedisSessionStore : public SessionStore {
 public:
  // `client` must outlive the store.
  explicit RedisSessionStore(redis::RedisClient& client) : client_(client) {}

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
  // Nothing to do: Redis expires sessions by itself. Always 0.
  base::Result<int64_t> PurgeExpired(base::TimePoint now) override;
  base::Result<std::vector<SessionRecord>> ListLiveForUser(std::string_view user_id,
                                                           base::TimePoint now) override;
  base::Result<bool> RevokeForUser(std::string_view user_id, std::string_view id) override;
  base::Result<int64_t> RevokeAllForUser(std::string_view user_id,
                                         std::string_view keep_id_hash) override;

  // Pipelined over the event loop's connection (redis_client.h).
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

 private:
  redis::RedisClient& client_;
};

}  // namespace tenantd::session
