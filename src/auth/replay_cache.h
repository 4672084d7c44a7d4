// Signatures accepted inside the skew window (api.md §4 "Mode B"): a second
// request with the same signature is a replay. Keyed by the first 16 bytes
// of the HMAC (uniformly random, so collisions are negligible), kept in two
// generations that rotate every 2 × skew + 1 s: an entry lives at least as
// long as its signature could still pass the date check, memory stays
// bounded by the traffic of two windows, and forgetting is O(1). Each
// generation is a flat open-addressing table (16-32 bytes an entry, no
// allocation per insert).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace tenantd::auth {

class ReplayCache {
 public:
  explicit ReplayCache(std::chrono::seconds skew) : period_(2 * skew + std::chrono::seconds(1)) {}

  // Records `signature` (raw bytes, at least 16) as seen at `now`; false
  // when it was already seen (a replay). Thread-safe.
  bool Insert(std::string_view signature, std::chrono::steady_clock::time_point now);

  std::size_t size() const;

 private:
  struct Key {
    uint64_t hi = 0, lo = 0;  // all zero = empty slot
    bool empty() const { return hi == 0 && lo == 0; }
    bool operator==(const Key&) const = default;
  };
  // Linear probing, at most half full.
  class Table {
   public:
    bool Contains(const Key& k) const;
    bool Insert(const Key& k);  // false when present
    std::size_t size() const { return size_; }

   private:
    void Grow();
    std::vector<Key> slots_;
    std::size_t size_ = 0;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    Table current, previous;
    std::chrono::steady_clock::time_point rotated_at{};
  };

  const std::chrono::steady_clock::duration period_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tenantd::auth
