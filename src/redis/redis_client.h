// A small Redis client (hiredis underneath) for sessions and rate limits:
// short timeouts, and fast failure while the server is known to be down, so
// no request waits on a dead Redis for more than one timeout, and then not
// again until a background Reconnect() has seen the server answer.
//
// Two ways to run a command: CommandAsync/EvalAsync from a coroutine on an
// event loop, which pipeline every request's commands over one connection
// per loop and never block it (the hot path: rate limits); Command/Eval,
// which block the calling thread on a pooled connection (background work,
// and callers that are not coroutines).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "redis/redis_url.h"

namespace tenantd::redis {

// A reply, reduced to what tenantd's commands return.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;  // kString, kStatus
  std::vector<Reply> elements;
};

// A Lua script, run with EVALSHA and sent whole (EVAL) only when the server
// does not know it yet (first use, or after a restart).
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // lower-case hex

 private:
  std::string source_;
  std::string sha1_;
};

struct RedisClientOptions {
  RedisUrl url;
  // Connect and each command; loopback Redis answers in well under 1 ms.
  std::chrono::milliseconds timeout{200};
};

struct ClientState;

// Thread-safe: each blocking call borrows a pooled connection (one per
// concurrent caller); each asynchronous one uses its loop's connection.
class RedisClient {
 public:
  explicit RedisClient(RedisClientOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. kUnavailable (problem code "redis_unavailable") when
  // the server cannot be reached, times out, or is marked down by an
  // earlier failure (then without trying); a Redis error reply is
  // kInternal with the server's message in log_detail.
  base::Result<Reply> Command(const std::vector<std::string>& argv);
  // EVALSHA, falling back to EVAL on NOSCRIPT.
  base::Result<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args);
  // The same from a coroutine: on a boost::asio::io_context run by one
  // thread, pipelined over that loop's connection; on any other executor,
  // the blocking call above. The arguments are read before the first
  // suspension (co_await the call at once).
  boost::asio::awaitable<base::Result<Reply>> CommandAsync(const std::vector<std::string>& argv);
  boost::asio::awaitable<base::Result<Reply>> EvalAsync(const Script& script,
                                                        const std::vector<std::string>& keys,
                                                        const std::vector<std::string>& args);

  // While down, tries a fresh connection with PING and marks the server up
  // again when it answers. For a background thread; cheap when up.
  void Reconnect();
  // "" when the server is up and answers PING now; else why not.
  std::string Health();
  // The same from a coroutine (/readyz), as CommandAsync: never blocks the loop.
  boost::asio::awaitable<std::string> HealthAsync();
  bool is_up() const;
  // Asynchronous commands waiting for their reply now (a /metrics gauge).
  int64_t waiting() const;
  const RedisUrl& url() const;

 private:
  struct Connection;
  base::Result<std::unique_ptr<Connection>> Connect();
  base::Result<Reply> Run(const std::vector<std::string>& argv, bool even_if_down);
  void MarkDown(std::string why);

  std::shared_ptr<ClientState> state_;  // shared with the loops' connections
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace tenantd::redis
