#include "auth/directory.h"

#include <atomic>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tenantd::auth {
namespace {

// A cache larger than this is dropped and refilled: bounded memory without
// LRU bookkeeping on the hot path.
constexpr std::size_t kMaxEntriesPerMap = 200'000;
// Unknown app keys remembered (a flood of random ones clears only these).
constexpr std::size_t kMaxUnknownAppKeys = 10'000;

}  // namespace

struct Directory::ThreadCache {
  uint64_t instance = 0;
  uint64_t generation = 0;
  std::unordered_map<std::string, std::shared_ptr<const control::Tenant>> tenants;
  std::unordered_map<std::string, std::shared_ptr<const control::AppCredentials>> app_keys;
  // Unknown app keys are answered from memory like known ones, so the
  // time of a refusal does not tell whether the key exists.
  std::unordered_set<std::string> unknown_app_keys;
  std::unordered_map<std::string, std::shared_ptr<const control::ApiKeyMatch>> api_keys;
  std::unordered_map<std::string, std::shared_ptr<const control::ApiKeyWithSecrets>> keys_by_id;
  std::unordered_map<std::string, std::shared_ptr<const control::UserAccess>> user_access;
  // The keys each tenant's (or user's) entries are cached under, per map,
  // so that a change to one tenant or user drops its entries and nothing
  // else. The store's change journal names both kinds of id.
  std::unordered_map<std::string, std::vector<std::pair<CachedKind, std::string>>> by_tenant;
  // Last use noted per key by this thread, to the second: RecordKeyUse
  // takes the shared lock at most once a second per key and thread.
  std::unordered_map<std::string, int64_t> noted_use;

  void Clear() {
    tenants.clear();
    app_keys.clear();
    unknown_app_keys.clear();
    api_keys.clear();
    keys_by_id.clear();
    user_access.clear();
    by_tenant.clear();
  }

  void DropTenant(const std::string& tenant_id) {
    const auto found = by_tenant.find(tenant_id);
    if (found == by_tenant.end()) return;
    for (const auto& [kind, key] : found->second) {
      switch (kind) {
        case CachedKind::kTenant:
          tenants.erase(key);
          break;
        case CachedKind::kAppKey:
          app_keys.erase(key);
          break;
        case CachedKind::kApiKey:
          api_keys.erase(key);
          break;
        case CachedKind::kKeyById:
          keys_by_id.erase(key);
          break;
        case CachedKind::kUserAccess:
          user_access.erase(key);
          break;
      }
    }
    by_tenant.erase(found);
  }

  // Catches up with the changes the store saw since this cache last did:
  // the tenants changed lose their entries; unknown app keys are forgotten
  // (one of them may belong to a tenant just created).
  void CatchUp(const control::ControlStore& store) {
    control::ChangeJournal::Since changes = store.ChangesSince(generation);
    if (!changes.tenant_ids) {
      Clear();
    } else {
      for (const std::string& id : *changes.tenant_ids) DropTenant(id);
      unknown_app_keys.clear();
    }
    generation = changes.latest;
  }
};

namespace {

const std::string& TenantOf(const control::Tenant& v) { return v.id; }
const std::string& TenantOf(const control::AppCredentials& v) { return v.tenant_id; }
const std::string& TenantOf(const control::ApiKeyMatch& v) { return v.key.tenant_id; }
const std::string& TenantOf(const control::ApiKeyWithSecrets& v) { return v.key.tenant_id; }
const std::string& TenantOf(const control::UserAccess& v) { return v.tenant_id; }

// The ids besides the tenant whose change drops an entry: a user's access
// also ends with a change to the user.
const std::string* AlsoOwnedBy(const control::UserAccess& v) { return &v.user_id; }
template <class Value>
const std::string* AlsoOwnedBy(const Value&) {
  return nullptr;
}

}  // namespace

Directory::Directory(control::ControlStore& store)
    : store_(store), people_(store), instance_([] {
        static std::atomic<uint64_t> next{1};
        return next.fetch_add(1);
      }()) {}

Directory::ThreadCache& Directory::Cache() {
  thread_local ThreadCache cache;
  if (cache.instance != instance_) {
    cache.Clear();
    cache.noted_use.clear();
    cache.instance = instance_;
    cache.generation = 0;
  }
  if (cache.generation != store_.Generation()) cache.CatchUp(store_);
  return cache;
}

boost::asio::awaitable<base::Result<Directory::ThreadCache*>> Directory::FreshCache() {
  TENANTD_CO_RETURN_IF_ERROR(co_await store_.RefreshGeneration());
  co_return &Cache();
}

template <class Value, class Load>
Directory::Lookup<Value> Directory::Find(
    std::unordered_map<std::string, std::shared_ptr<const Value>> ThreadCache::*map,
    CachedKind kind, std::string key, Load load) {
  TENANTD_CO_TRY(ThreadCache * cache, co_await FreshCache());
  if (const auto it = (cache->*map).find(key); it != (cache->*map).end()) co_return it->second;
  const uint64_t generation = store_.Generation();
  auto loaded = co_await load();
  if (!loaded) co_return std::move(loaded).error();
  if (!*loaded) co_return std::shared_ptr<const Value>();
  auto value = std::make_shared<const Value>(std::move(**loaded));
  // Cached unless the store changed meanwhile (the value might predate that
  // change). Unknown keys are not cached, so a flood of random keys cannot
  // fill memory. The cache is looked up again: other requests of this
  // thread ran while the store was read.
  if (store_.Generation() == generation) {
    ThreadCache& fresh = Cache();
    auto& entries = fresh.*map;
    if (entries.size() >= kMaxEntriesPerMap) fresh.Clear();
    if (entries.emplace(key, value).second) {
      if (const std::string* other = AlsoOwnedBy(*value)) {
        fresh.by_tenant[*other].emplace_back(kind, key);
      }
      fresh.by_tenant[TenantOf(*value)].emplace_back(kind, std::move(key));
    }
  }
  co_return value;
}

Directory::Lookup<control::Tenant> Directory::Tenant(std::string_view id_or_slug) {
  co_return co_await Find(&ThreadCache::tenants, CachedKind::kTenant, std::string(id_or_slug),
                          [&] { return store_.FindTenant(id_or_slug); });
}

Directory::Lookup<control::AppCredentials> Directory::AppKey(std::string_view app_key) {
  std::string key(app_key);
  TENANTD_CO_TRY(ThreadCache * cache, co_await FreshCache());
  if (cache->unknown_app_keys.contains(key)) {
    co_return std::shared_ptr<const control::AppCredentials>();
  }
  const uint64_t generation = store_.Generation();
  auto found = co_await Find(&ThreadCache::app_keys, CachedKind::kAppKey, key,
                             [&] { return store_.FindAppCredentials(app_key); });
  if (found && !*found && store_.Generation() == generation) {
    // Cache() again: other requests of this thread ran while the store was read.
    auto& unknown = Cache().unknown_app_keys;
    if (unknown.size() >= kMaxUnknownAppKeys) unknown.clear();
    unknown.insert(std::move(key));
  }
  co_return found;
}

Directory::Lookup<control::ApiKeyMatch> Directory::ApiKeyBySecret(std::string_view secret) {
  // Keyed by the keyed hash, so the cache never holds presented secrets.
  const std::string hash = store_.ApiKeySecretHash(secret);
  co_return co_await Find(&ThreadCache::api_keys, CachedKind::kApiKey, hash,
                          [&] { return store_.FindApiKeyBySecretHash(hash); });
}

Directory::Lookup<control::ApiKeyWithSecrets> Directory::ApiKeyById(std::string_view tenant_id,
                                                                    std::string_view key_id) {
  std::string cache_key(tenant_id);
  cache_key += '/';
  cache_key += key_id;
  co_return co_await Find(&ThreadCache::keys_by_id, CachedKind::kKeyById, std::move(cache_key),
                          [&] { return store_.FindApiKeyWithSecrets(tenant_id, key_id); });
}

Directory::Lookup<control::UserAccess> Directory::UserAccess(std::string_view user_id,
                                                             std::string_view tenant_id) {
  std::string cache_key(user_id);
  cache_key += '|';
  cache_key += tenant_id;
  co_return co_await Find(&ThreadCache::user_access, CachedKind::kUserAccess, std::move(cache_key),
                          [&] { return people_.FindUserAccess(user_id, tenant_id); });
}

void Directory::RecordKeyUse(const std::string& key_id, base::TimePoint at) {
  const int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  ThreadCache& cache = Cache();
  if (cache.noted_use.size() >= kMaxEntriesPerMap) cache.noted_use.clear();
  int64_t& noted = cache.noted_use[key_id];
  if (noted == second) return;
  noted = second;
  std::lock_guard lock(uses_mu_);
  base::TimePoint& slot = uses_[key_id];
  if (slot < at) slot = at;
}

std::optional<base::TimePoint> Directory::PendingKeyUse(const std::string& key_id) {
  std::lock_guard lock(uses_mu_);
  const auto it = uses_.find(key_id);
  if (it == uses_.end()) return std::nullopt;
  return it->second;
}

boost::asio::awaitable<base::Status> Directory::FlushKeyUses() {
  std::vector<std::pair<std::string, base::TimePoint>> batch;
  {
    std::lock_guard lock(uses_mu_);
    batch.assign(uses_.begin(), uses_.end());
    uses_.clear();
  }
  auto st = co_await store_.RecordApiKeyUse(batch);
  if (!st) {
    // Put them back for the next attempt (newer uses win).
    std::lock_guard lock(uses_mu_);
    for (auto& [id, at] : batch) {
      base::TimePoint& slot = uses_[id];
      if (slot < at) slot = at;
    }
  }
  co_return st;
}

}  // namespace tenantd::auth
