// The hot-path lookups of authentication: tenant by id or slug, app key to
// tenant and secrets, API-key secret to key. Served from memory after the
// first miss. A change to a tenant, its app credentials or its API keys
// drops that tenant's entries (and only those) as soon as the control
// store knows of it: at once when made by this process; when made by
// another (the CLI, another node), within the store's poll interval (a
// millisecond on SQLite, 50 ms on PostgreSQL, at once when PostgreSQL's
// LISTEN connection announces it). So suspension, deletion, revocation and
// rotation apply to the next request.
//
// Each thread keeps its own cache, so the hot path takes no lock and
// shares no cache line with the other event loops; a miss costs one
// indexed read of the control store.
//
// API keys' last use is collected here and written in batches (Flush), so
// a request never writes to the control store just for bookkeeping.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.h"
#include "control/control_store.h"
#include "control/people.h"

namespace tenantd::auth {

class Directory {
 public:
  explicit Directory(control::ControlStore& store);

  template <class T>
  using Lookup = boost::asio::awaitable<base::Result<std::shared_ptr<const T>>>;

  // nullptr when unknown (or purged). A hit completes without suspending.
  Lookup<control::Tenant> Tenant(std::string_view id_or_slug);
  Lookup<control::AppCredentials> AppKey(std::string_view app_key);
  Lookup<control::ApiKeyMatch> ApiKeyBySecret(std::string_view secret);
  Lookup<control::ApiKeyWithSecrets> ApiKeyById(std::string_view tenant_id,
                                                std::string_view key_id);
  // A user's standing in a tenant (status, role, scopes); nullptr when not
  // a member. Dropped on a change to the tenant (memberships, roles) or to
  // the user (status, password).
  Lookup<control::UserAccess> UserAccess(std::string_view user_id, std::string_view tenant_id);

  // Notes that API key `key_id` was used now. Thread-safe, no I/O.
  void RecordKeyUse(const std::string& key_id, base::TimePoint at);
  // The last use noted but not yet written, if any (for listings).
  std::optional<base::TimePoint> PendingKeyUse(const std::string& key_id);
  // Writes the noted uses to the control store.
  boost::asio::awaitable<base::Status> FlushKeyUses();

 private:
  struct ThreadCache;
  enum class CachedKind : uint8_t { kTenant, kAppKey, kApiKey, kKeyById, kUserAccess };
  ThreadCache& Cache();
  // The thread's cache, emptied first if the store changed; an error when
  // the store could not confirm it for longer than its max staleness.
  boost::asio::awaitable<base::Result<ThreadCache*>> FreshCache();
  template <class Value, class Load>
  Lookup<Value> Find(
      std::unordered_map<std::string, std::shared_ptr<const Value>> ThreadCache::*map,
      CachedKind kind, std::string key, Load load);

  control::ControlStore& store_;
  control::People people_;
  const uint64_t instance_;  // tells this directory's thread caches from another's

  std::mutex uses_mu_;
  std::unordered_map<std::string, base::TimePoint> uses_;
};

}  // namespace tenantd::auth
