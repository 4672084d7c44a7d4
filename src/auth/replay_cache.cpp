#include "auth/replay_cache.h"

#include <algorithm>
#include <cstring>

namespace tenantd::auth {

bool ReplayCache::Insert(std::string_view signature, std::chrono::steady_clock::time_point now) {
  Key key{0, 0};
  std::memcpy(&key.hi, signature.data(), std::min<std::size_t>(8, signature.size()));
  if (signature.size() > 8) {
    std::memcpy(&key.lo, signature.data() + 8, std::min<std::size_t>(8, signature.size() - 8));
  }
  Shard& shard = shards_[key.lo % kShards];
  std::lock_guard lock(shard.mu);
  if (shard.rotated_at.time_since_epoch().count() == 0) shard.rotated_at = now;
  if (now - shard.rotated_at >= period_) {
    // Two periods without traffic leave nothing worth keeping.
    shard.previous = now - shard.rotated_at >= 2 * period_ ? decltype(shard.current){}
                                                           : std::move(shard.current);
    shard.current = {};
    shard.rotated_at = now;
  }
  if (shard.previous.contains(key)) return false;
  return shard.current.insert(key).second;
}

std::size_t ReplayCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.current.size() + s.previous.size();
  }
  return n;
}

}  // namespace tenantd::auth
