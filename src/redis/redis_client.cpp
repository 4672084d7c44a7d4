#include "redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <cerrno>
#include <cstdio>

#include "redis/client_state.h"
#include "redis/loop_connection.h"

namespace tenantd::redis {

base::Error Unavailable(std::string why) {
  return base::MakeError(base::ErrorCode::kUnavailable, "redis_unavailable",
                         "Redis is unavailable.", std::move(why));
}

base::Error ErrorReply(std::string message) {
  return base::MakeError(base::ErrorCode::kInternal, "internal_error",
                         "The server could not complete the request.", std::move(message));
}

Reply Convert(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

ClientState::ClientState(RedisClientOptions o)
    : options(std::move(o)), id([] {
        static std::atomic<uint64_t> next{1};
        return next.fetch_add(1, std::memory_order_relaxed);
      }()) {}

void ClientState::MarkDown(std::string why) {
  {
    std::lock_guard lock(mu);
    last_error = std::move(why);
  }
  down.store(true, std::memory_order_release);
}

std::string ClientState::LastError() {
  std::lock_guard lock(mu);
  return last_error.empty() ? "unavailable" : last_error;
}

namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha1(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

struct RedisClient::Connection {
  redisContext* context = nullptr;
  ~Connection() {
    if (context) redisFree(context);
  }
};

RedisClient::RedisClient(RedisClientOptions options)
    : state_(std::make_shared<ClientState>(std::move(options))) {}

RedisClient::~RedisClient() = default;

base::Result<std::unique_ptr<RedisClient::Connection>> RedisClient::Connect() {
  auto conn = std::make_unique<Connection>();
  conn->context =
      redisConnectWithTimeout(state_->options.url.host.c_str(), state_->options.url.port,
                              ToTimeval(state_->options.timeout));
  if (!conn->context || conn->context->err) {
    return Unavailable("cannot connect to " + state_->options.url.Masked() + ": " +
                       (conn->context ? conn->context->errstr : "out of memory"));
  }
  redisSetTimeout(conn->context, ToTimeval(state_->options.timeout));
  auto setup = [&](std::vector<std::string> argv) -> base::Status {
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        conn->context, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (!reply) return Unavailable(std::string("redis: ") + conn->context->errstr);
    const bool failed = reply->type == REDIS_REPLY_ERROR;
    // Never the AUTH arguments in a message: they hold the password.
    std::string error = failed ? std::string(reply->str, reply->len) : "";
    freeReplyObject(reply);
    if (failed)
      return Unavailable(argv[0] + " refused by " + state_->options.url.Masked() + ": " + error);
    return {};
  };
  if (!state_->options.url.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!state_->options.url.user.empty()) auth.push_back(state_->options.url.user);
    auth.push_back(state_->options.url.password.Reveal());
    TENANTD_RETURN_IF_ERROR(setup(std::move(auth)));
  }
  if (state_->options.url.db != 0) {
    TENANTD_RETURN_IF_ERROR(setup({"SELECT", std::to_string(state_->options.url.db)}));
  }
  return conn;
}

void RedisClient::MarkDown(std::string why) {
  {
    std::lock_guard lock(mu_);
    idle_.clear();  // every pooled connection went to the same server
  }
  state_->MarkDown(std::move(why));
}

bool RedisClient::is_up() const { return state_->is_up(); }

int64_t RedisClient::waiting() const { return state_->waiting.load(std::memory_order_relaxed); }

const RedisUrl& RedisClient::url() const { return state_->options.url; }

base::Result<Reply> RedisClient::Run(const std::vector<std::string>& argv, bool even_if_down) {
  if (!even_if_down && !is_up()) return Unavailable(state_->LastError());
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      auto fresh = Connect();
      if (!fresh) {
        MarkDown(fresh.error().log_detail);
        return fresh.error();
      }
      conn = std::move(*fresh);
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        conn->context, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (!reply) {
      const int saved_errno = errno;
      // A pooled connection the server closed while it sat idle (Redis's
      // `timeout`, CLIENT KILL): the command never ran. Try a fresh one.
      if (reused && (conn->context->err == REDIS_ERR_EOF ||
                     (conn->context->err == REDIS_ERR_IO &&
                      (saved_errno == ECONNRESET || saved_errno == EPIPE)))) {
        continue;
      }
      // An I/O error or timeout: the connection's state is unknown, drop it.
      const std::string why = std::string("redis ") + state_->options.url.Masked() + ": " +
                              (conn->context->errstr[0] ? conn->context->errstr : "no reply");
      MarkDown(why);
      return Unavailable(why);
    }
    base::Result<Reply> out =
        reply->type == REDIS_REPLY_ERROR
            ? base::Result<Reply>(ErrorReply(std::string(reply->str, reply->len)))
            : base::Result<Reply>(Convert(*reply));
    freeReplyObject(reply);
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
    return out;
  }
}

base::Result<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  return Run(argv, /*even_if_down=*/false);
}

namespace {

std::vector<std::string> EvalShaArgv(const Script& script, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool IsNoScript(const base::Result<Reply>& reply) {
  return !reply && reply.error().code == base::ErrorCode::kInternal &&
         reply.error().log_detail.starts_with("NOSCRIPT");
}

}  // namespace

base::Result<Reply> RedisClient::Eval(const Script& script, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args) {
  std::vector<std::string> argv = EvalShaArgv(script, keys, args);
  auto reply = Command(argv);
  if (IsNoScript(reply)) {
    // The server does not know the script (first use, or it restarted):
    // EVAL sends it once and caches it there for the EVALSHAs after.
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = Command(argv);
  }
  return reply;
}

namespace {

// The io_context of a coroutine's executor, or null when it runs elsewhere.
boost::asio::io_context* LoopOf(const boost::asio::any_io_executor& executor) {
  const auto* target = executor.target<boost::asio::io_context::executor_type>();
  return target ? &target->context() : nullptr;
}

}  // namespace

boost::asio::awaitable<base::Result<Reply>> RedisClient::CommandAsync(
    const std::vector<std::string>& argv) {
  const boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  boost::asio::io_context* loop = LoopOf(executor);
  if (loop == nullptr) co_return Command(argv);
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  co_return co_await RunOnLoop(*loop, state_, views);
}

boost::asio::awaitable<base::Result<Reply>> RedisClient::EvalAsync(
    const Script& script, const std::vector<std::string>& keys,
    const std::vector<std::string>& args) {
  const boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  boost::asio::io_context* loop = LoopOf(executor);
  if (loop == nullptr) co_return Eval(script, keys, args);
  // Views of the caller's strings: no copy of them on the hot path.
  const std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> argv = {"EVALSHA", script.sha1(), key_count};
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  base::Result<Reply> reply = co_await RunOnLoop(*loop, state_, argv);
  if (IsNoScript(reply)) {
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = co_await RunOnLoop(*loop, state_, argv);
  }
  co_return reply;
}

void RedisClient::Reconnect() {
  if (is_up()) return;
  {
    // Pooled connections may predate a restart of the server: start afresh.
    std::lock_guard lock(mu_);
    idle_.clear();
  }
  auto pong = Run({"PING"}, /*even_if_down=*/true);
  if (pong) state_->down.store(false, std::memory_order_release);
}

std::string RedisClient::Health() {
  if (!is_up()) return state_->LastError();
  auto pong = Run({"PING"}, /*even_if_down=*/false);
  return pong ? "" : pong.error().log_detail;
}

boost::asio::awaitable<std::string> RedisClient::HealthAsync() {
  if (!is_up()) co_return state_->LastError();
  static const std::vector<std::string> kPing = {"PING"};
  const base::Result<Reply> pong = co_await CommandAsync(kPing);
  co_return pong ? "" : pong.error().log_detail;
}

}  // namespace tenantd::redis
