#include "auth/directory.h"

#include <utility>
#include <vector>

namespace tenantd::auth {
namespace {

// A cache larger than this is dropped and refilled: bounded memory without
// LRU bookkeeping on the hot path.
constexpr std::size_t kMaxEntriesPerMap = 200'000;

}  // namespace

void Directory::SyncGeneration() {
  const uint64_t current = store_.Generation();
  {
    std::shared_lock lock(mu_);
    if (current == generation_) return;
  }
  std::unique_lock lock(mu_);
  if (current == generation_) return;
  tenants_.clear();
  app_keys_.clear();
  api_keys_.clear();
  keys_by_id_.clear();
  generation_ = current;
}

template <class Map, class Load>
base::Result<typename Map::mapped_type> Directory::Lookup(Map Directory::*map,
                                                          const std::string& key, Load load) {
  SyncGeneration();
  uint64_t generation = 0;
  {
    std::shared_lock lock(mu_);
    const auto it = (this->*map).find(key);
    if (it != (this->*map).end()) return it->second;
    generation = generation_;
  }
  TENANTD_TRY(typename Map::mapped_type value, load());
  // Cache hits and misses alike, unless the store changed meanwhile (the
  // value might predate that change). Unknown keys are not cached, so a
  // flood of random keys cannot fill memory.
  if (value) {
    std::unique_lock lock(mu_);
    if (generation == generation_) {
      Map& m = this->*map;
      if (m.size() >= kMaxEntriesPerMap) m.clear();
      m.emplace(key, value);
    }
  }
  return value;
}

base::Result<std::shared_ptr<const control::Tenant>> Directory::Tenant(
    std::string_view id_or_slug) {
  return Lookup(&Directory::tenants_, std::string(id_or_slug),
                [&]() -> base::Result<std::shared_ptr<const control::Tenant>> {
                  TENANTD_TRY(std::optional<control::Tenant> t, store_.FindTenant(id_or_slug));
                  if (!t) return std::shared_ptr<const control::Tenant>();
                  return std::make_shared<const control::Tenant>(std::move(*t));
                });
}

base::Result<std::shared_ptr<const control::AppCredentials>> Directory::AppKey(
    std::string_view app_key) {
  return Lookup(&Directory::app_keys_, std::string(app_key),
                [&]() -> base::Result<std::shared_ptr<const control::AppCredentials>> {
                  TENANTD_TRY(std::optional<control::AppCredentials> c,
                              store_.FindAppCredentials(app_key));
                  if (!c) return std::shared_ptr<const control::AppCredentials>();
                  return std::make_shared<const control::AppCredentials>(std::move(*c));
                });
}

base::Result<std::shared_ptr<const control::ApiKeyMatch>> Directory::ApiKeyBySecret(
    std::string_view secret) {
  // Keyed by the keyed hash, so the cache never holds presented secrets.
  const std::string hash = store_.ApiKeySecretHash(secret);
  return Lookup(&Directory::api_keys_, hash,
                [&]() -> base::Result<std::shared_ptr<const control::ApiKeyMatch>> {
                  TENANTD_TRY(std::optional<control::ApiKeyMatch> m,
                              store_.FindApiKeyBySecretHash(hash));
                  if (!m) return std::shared_ptr<const control::ApiKeyMatch>();
                  return std::make_shared<const control::ApiKeyMatch>(std::move(*m));
                });
}

base::Result<std::shared_ptr<const control::ApiKey>> Directory::ApiKeyById(
    std::string_view tenant_id, std::string_view key_id) {
  std::string cache_key(tenant_id);
  cache_key += '/';
  cache_key += key_id;
  return Lookup(&Directory::keys_by_id_, cache_key,
                [&]() -> base::Result<std::shared_ptr<const control::ApiKey>> {
                  TENANTD_TRY(std::optional<control::ApiKey> k,
                              store_.FindApiKey(tenant_id, key_id));
                  if (!k) return std::shared_ptr<const control::ApiKey>();
                  return std::make_shared<const control::ApiKey>(std::move(*k));
                });
}

void Directory::RecordKeyUse(const std::string& key_id, base::TimePoint at) {
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
