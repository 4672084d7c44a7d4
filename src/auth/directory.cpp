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
  // Last use noted per key by this thread, to the second: RecordKeyUse
  // takes the shared lock at most once a second per key and thread.
  std::unordered_map<std::string, int64_t> noted_use;

  void Clear() {
    tenants.clear();
    app_keys.clear();
    unknown_app_keys.clear();
    api_keys.clear();
    keys_by_id.clear();
  }
};

Directory::Directory(control::ControlStore& store)
    : store_(store), instance_([] {
        static std::atomic<uint64_t> next{1};
        return next.fetch_add(1);
      }()) {}

Directory::ThreadCache& Directory::Cache() {
  thread_local ThreadCache cache;
  const uint64_t generation = store_.Generation();
  if (cache.instance != instance_ || cache.generation != generation) {
    cache.Clear();
    if (cache.instance != instance_) cache.noted_use.clear();
    cache.instance = instance_;
    cache.generation = generation;
  }
  return cache;
}

template <class Map, class Load>
base::Result<typename Map::mapped_type> Directory::Lookup(Map& map, const std::string& key,
                                                          Load load) {
  if (const auto it = map.find(key); it != map.end()) return it->second;
  const uint64_t generation = store_.Generation();
  TENANTD_TRY(typename Map::mapped_type value, load());
  // Cached unless the store changed meanwhile (the value might predate that
  // change). Unknown keys are not cached, so a flood of random keys cannot
  // fill memory.
  if (value && store_.Generation() == generation) {
    if (map.size() >= kMaxEntriesPerMap) map.clear();
    map.emplace(key, value);
  }
  return value;
}

base::Result<std::shared_ptr<const control::Tenant>> Directory::Tenant(
    std::string_view id_or_slug) {
  return Lookup(Cache().tenants, std::string(id_or_slug),
                [&]() -> base::Result<std::shared_ptr<const control::Tenant>> {
                  TENANTD_TRY(std::optional<control::Tenant> t, store_.FindTenant(id_or_slug));
                  if (!t) return std::shared_ptr<const control::Tenant>();
                  return std::make_shared<const control::Tenant>(std::move(*t));
                });
}

base::Result<std::shared_ptr<const control::AppCredentials>> Directory::AppKey(
    std::string_view app_key) {
  using Found = std::shared_ptr<const control::AppCredentials>;
  ThreadCache& cache = Cache();
  std::string key(app_key);
  if (cache.unknown_app_keys.contains(key)) return Found();
  const uint64_t generation = store_.Generation();
  TENANTD_TRY(Found found, Lookup(cache.app_keys, key, [&]() -> base::Result<Found> {
                TENANTD_TRY(std::optional<control::AppCredentials> c,
                            store_.FindAppCredentials(app_key));
                if (!c) return Found();
                return std::make_shared<const control::AppCredentials>(std::move(*c));
              }));
  if (!found && store_.Generation() == generation) {
    if (cache.unknown_app_keys.size() >= kMaxUnknownAppKeys) cache.unknown_app_keys.clear();
    cache.unknown_app_keys.insert(std::move(key));
  }
  return found;
}

base::Result<std::shared_ptr<const control::ApiKeyMatch>> Directory::ApiKeyBySecret(
    std::string_view secret) {
  // Keyed by the keyed hash, so the cache never holds presented secrets.
  const std::string hash = store_.ApiKeySecretHash(secret);
  return Lookup(
      Cache().api_keys, hash, [&]() -> base::Result<std::shared_ptr<const control::ApiKeyMatch>> {
        TENANTD_TRY(std::optional<control::ApiKeyMatch> m, store_.FindApiKeyBySecretHash(hash));
        if (!m) return std::shared_ptr<const control::ApiKeyMatch>();
        return std::make_shared<const control::ApiKeyMatch>(std::move(*m));
      });
}

base::Result<std::shared_ptr<const control::ApiKeyWithSecrets>> Directory::ApiKeyById(
    std::string_view tenant_id, std::string_view key_id) {
  using Found = std::shared_ptr<const control::ApiKeyWithSecrets>;
  std::string cache_key(tenant_id);
  cache_key += '/';
  cache_key += key_id;
  return Lookup(Cache().keys_by_id, cache_key, [&]() -> base::Result<Found> {
    TENANTD_TRY(std::optional<control::ApiKeyWithSecrets> k,
                store_.FindApiKeyWithSecrets(tenant_id, key_id));
    if (!k) return Found();
    return std::make_shared<const control::ApiKeyWithSecrets>(std::move(*k));
  });
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

base::Status Directory::FlushKeyUses() {
  std::vector<std::pair<std::string, base::TimePoint>> batch;
  {
    std::lock_guard lock(uses_mu_);
    batch.assign(uses_.begin(), uses_.end());
    uses_.clear();
  }
  auto st = store_.RecordApiKeyUse(batch);
  if (!st) {
    // Put them back for the next attempt (newer uses win).
    std::lock_guard lock(uses_mu_);
    for (auto& [id, at] : batch) {
      base::TimePoint& slot = uses_[id];
      if (slot < at) slot = at;
    }
  }
  return st;
}

}  // namespace tenantd::auth
