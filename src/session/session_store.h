// Where sessions live (api.md §4 "Sessions"). Three implementations: the
// control database (durable across restarts, the default), process memory,
// and Redis (shared by every process, chosen when REDIS_URL is set).
// Records hold only a keyed hash of the cookie's secret token, never the
// token.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace tenantd::session {

struct SessionRecord {
  std::string id;         // public "ses_" id, used to list and revoke
  std::string id_hash;    // hex HMAC-SHA256(session pepper, cookie token)
  std::string tenant_id;  // the tenant the session is bound to
  std::string auth_mode;  // how it was started: app_secret | signature | api_key | user
  std::string key_id;     // the API key, for auth_mode api_key; else ""
  std::string user_id;    // the signed-in user, for auth_mode "user"; else ""
  // The secret that started it (control::AppSecret::id, or the API key's
  // control::SecretLifetime::id): the session ends with that secret.
  std::string secret_id;
  base::TimePoint created_at;
  base::TimePoint last_seen_at;
  base::TimePoint expires_at;
  std::string ip;
  std::string user_agent;
};

struct SessionPage {
  std::vector<SessionRecord> items;
  std::optional<std::string> next_cursor;
};

// The most sessions ListLiveForUser answers.
inline constexpr int kMaxUserSessions = 1000;

// Thread-safe.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual base::Status Create(const SessionRecord& s) = 0;
  // The live session (expires_at > now) with this hash, else nullopt.
  virtual base::Result<std::optional<SessionRecord>> FindLive(std::string_view id_hash,
                                                              base::TimePoint now) = 0;
  // Slides a session: new last_seen_at and expires_at.
  virtual base::Status Extend(std::string_view id_hash, base::TimePoint last_seen,
                              base::TimePoint expires_at) = 0;
  // Removes the session with this hash; false when there was none.
  virtual base::Result<bool> Destroy(std::string_view id_hash) = 0;
  // The tenant's live sessions by id, `limit` at most, after cursor `after`.
  virtual base::Result<SessionPage> ListLive(std::string_view tenant_id, base::TimePoint now,
                                             std::string_view after, int limit) = 0;
  // Revokes one session of the tenant by public id; false when none matched.
  virtual base::Result<bool> Revoke(std::string_view tenant_id, std::string_view id) = 0;
  // Revokes every session of the tenant; how many.
  virtual base::Result<int64_t> RevokeAll(std::string_view tenant_id) = 0;
  // Drops sessions expired at `now`; how many.
  virtual base::Result<int64_t> PurgeExpired(base::TimePoint now) = 0;

  // A user's sessions (api.md §11, /auth/v1/sessions), whichever tenant
  // each serves. A user_id of "" names no user: nothing is listed or
  // revoked (sessions without a user are not one user's).
  //
  // The user's live sessions by id, at most kMaxUserSessions (1,000): a
  // person's devices, not a tenant's machine clients, so one page.
  virtual base::Result<std::vector<SessionRecord>> ListLiveForUser(std::string_view user_id,
                                                                   base::TimePoint now) = 0;
  // Revokes one session of the user by public id; false when no session
  // with that id is the user's (another user's id revokes nothing).
  virtual base::Result<bool> RevokeForUser(std::string_view user_id, std::string_view id) = 0;
  // Revokes every session of the user but the one with hash `keep_id_hash`
  // (the caller's own; "" keeps none); how many.
  virtual base::Result<int64_t> RevokeAllForUser(std::string_view user_id,
                                                 std::string_view keep_id_hash) = 0;

  // The operations of request handlers, for coroutines on the event loop.
  // By default the calls above, which the local stores answer at once; a
  // store across the network (Redis) waits for its answer without blocking
  // the loop. Arguments must outlive the call (co_await it at once).
  virtual boost::asio::awaitable<base::Status> CreateAsync(const SessionRecord& s);
  virtual boost::asio::awaitable<base::Result<std::optional<SessionRecord>>> FindLiveAsync(
      std::string_view id_hash, base::TimePoint now);
  virtual boost::asio::awaitable<base::Status> ExtendAsync(std::string_view id_hash,
                                                           base::TimePoint last_seen,
                                                           base::TimePoint expires_at);
  virtual boost::asio::awaitable<base::Result<bool>> DestroyAsync(std::string_view id_hash);
  virtual boost::asio::awaitable<base::Result<SessionPage>> ListLiveAsync(
      std::string_view tenant_id, base::TimePoint now, std::string_view after, int limit);
  virtual boost::asio::awaitable<base::Result<bool>> RevokeAsync(std::string_view tenant_id,
                                                                 std::string_view id);
  virtual boost::asio::awaitable<base::Result<int64_t>> RevokeAllAsync(std::string_view tenant_id);
  virtual boost::asio::awaitable<base::Result<std::vector<SessionRecord>>> ListLiveForUserAsync(
      std::string_view user_id, base::TimePoint now);
  virtual boost::asio::awaitable<base::Result<bool>> RevokeForUserAsync(std::string_view user_id,
                                                                        std::string_view id);
  virtual boost::asio::awaitable<base::Result<int64_t>> RevokeAllForUserAsync(
      std::string_view user_id, std::string_view keep_id_hash);
};

}  // namespace tenantd::session
