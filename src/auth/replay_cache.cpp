#include "auth/replay_cache.h"

#include <algorithm>
#include <cstring>

namespace tenantd::auth {

bool ReplayCache::Table::Contains(const Key& k) const {
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = k.lo & mask;; i = (i + 1) & mask) {
    if (slots_[i] == k) return true;
    if (slots_[i].empty()) return false;
  }
}

bool ReplayCache::Table::Insert(const Key& k) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = k.lo & mask;; i = (i + 1) & mask) {
    if (slots_[i] == k) return false;
    if (slots_[i].empty()) {
      slots_[i] = k;
      ++size_;
      return true;
    }
  }
}

void ReplayCache::Table::Grow() {
  std::vector<Key> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(64, old.size() * 2), Key{});
  size_ = 0;
  for (const Key& k : old) {
    if (!k.empty()) Insert(k);
  }
}

bool ReplayCache::Insert(std::string_view signature, std::chrono::steady_clock::time_point now) {
  Key key;
  std::memcpy(&key.hi, signature.data(), std::min<std::size_t>(8, signature.size()));
  if (signature.size() > 8) {
    std::memcpy(&key.lo, signature.data() + 8, std::min<std::size_t>(8, signature.size() - 8));
  }
  if (key.empty()) key.lo = 1;  // the empty-slot marker (one chance in 2^128)
  // The low bits pick the slot inside a shard; other bits pick the shard.
  Shard& shard = shards_[(key.lo >> 48) % kShards];
  std::lock_guard lock(shard.mu);
  if (shard.rotated_at.time_since_epoch().count() == 0) shard.rotated_at = now;
  if (now - shard.rotated_at >= period_) {
    // Two periods without traffic leave nothing worth keeping.
    shard.previous = now - shard.rotated_at >= 2 * period_ ? Table{} : std::move(shard.current);
    shard.current = Table{};
    shard.rotated_at = now;
  }
  if (shard.previous.Contains(key)) return false;
  return shard.current.Insert(key);
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
