// What a RedisClient shares with its per-event-loop connections (internal
// to this module). Shared ownership: a loop's connection may outlive the
// client until that loop's io_context is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "base/error.h"
#include "redis/redis_client.h"

struct redisReply;

namespace tenantd::redis {

struct ClientState {
  explicit ClientState(RedisClientOptions o);

  // Every later command fails at once (no connection attempt) until a
  // background Reconnect() has seen the server answer.
  void MarkDown(std::string why);
  bool is_up() const { return !down.load(std::memory_order_acquire); }
  std::string LastError();

  const RedisClientOptions options;
  const uint64_t id;  // unique per client: keys its connection on each loop
  std::atomic<bool> down{false};
  // Asynchronous commands sent or queued and not yet answered, all loops.
  std::atomic<int64_t> waiting{0};
  std::mutex mu;
  std::string last_error;  // guarded by mu
};

// kUnavailable "redis_unavailable" with `why` for the log.
base::Error Unavailable(std::string why);
// An error reply of the server (kInternal, its message in log_detail).
base::Error ErrorReply(std::string message);
Reply Convert(const redisReply& r);

}  // namespace tenantd::redis
