#include "redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <cstdio>

namespace tenantd::redis {
namespace {

base::Error Unavailable(std::string why) {
  return base::MakeError(base::ErrorCode::kUnavailable, "redis_unavailable",
                         "Redis is unavailable.", std::move(why));
}

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
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
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
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

RedisClient::RedisClient(RedisClientOptions options) : options_(std::move(options)) {}

RedisClient::~RedisClient() = default;

base::Result<std::unique_ptr<RedisClient::Connection>> RedisClient::Connect() {
  auto conn = std::make_unique<Connection>();
  conn->context = redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port,
                                          ToTimeval(options_.timeout));
  if (!conn->context || conn->context->err) {
    return Unavailable("cannot connect to " + options_.url.Masked() + ": " +
                       (conn->context ? conn->context->errstr : "out of memory"));
  }
  redisSetTimeout(conn->context, ToTimeval(options_.timeout));
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
    if (failed) return Unavailable(argv[0] + " refused by " + options_.url.Masked() + ": " + error);
    return {};
  };
  if (!options_.url.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options_.url.user.empty()) auth.push_back(options_.url.user);
    auth.push_back(options_.url.password.Reveal());
    TENANTD_RETURN_IF_ERROR(setup(std::move(auth)));
  }
  if (options_.url.db != 0) {
    TENANTD_RETURN_IF_ERROR(setup({"SELECT", std::to_string(options_.url.db)}));
  }
  return conn;
}

void RedisClient::MarkDown(std::string why) {
  {
    std::lock_guard lock(mu_);
    last_error_ = std::move(why);
    idle_.clear();  // every pooled connection went to the same server
  }
  down_.store(true, std::memory_order_release);
}

base::Result<Reply> RedisClient::Run(const std::vector<std::string>& argv, bool even_if_down) {
  if (!even_if_down && !is_up()) {
    std::lock_guard lock(mu_);
    return Unavailable(last_error_);
  }
  std::unique_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!conn) {
    auto fresh = Connect();
    if (!fresh) {
      MarkDown(fresh.error().log_detail);
      return fresh.error();
    }
    conn = std::move(*fresh);
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(conn->context, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (!reply) {
    // An I/O error or timeout: the connection's state is unknown, drop it.
    const std::string why = std::string("redis ") + options_.url.Masked() + ": " +
                            (conn->context->errstr[0] ? conn->context->errstr : "no reply");
    MarkDown(why);
    return Unavailable(why);
  }
  base::Result<Reply> out = Convert(*reply);
  if (reply->type == REDIS_REPLY_ERROR) {
    out = base::MakeError(base::ErrorCode::kInternal, "internal_error",
                          "The server could not complete the request.",
                          std::string(reply->str, reply->len));
  }
  freeReplyObject(reply);
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  return out;
}

base::Result<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  return Run(argv, /*even_if_down=*/false);
}

base::Result<Reply> RedisClient::Eval(const Script& script, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", script.sha1(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = Command(argv);
  if (!reply && reply.error().code == base::ErrorCode::kInternal &&
      reply.error().log_detail.starts_with("NOSCRIPT")) {
    // The server does not know the script (first use, or it restarted):
    // EVAL sends it once and caches it there for the EVALSHAs after.
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = Command(argv);
  }
  return reply;
}

void RedisClient::Reconnect() {
  if (is_up()) return;
  auto pong = Run({"PING"}, /*even_if_down=*/true);
  if (pong) down_.store(false, std::memory_order_release);
}

std::string RedisClient::Health() {
  if (!is_up()) {
    std::lock_guard lock(mu_);
    return last_error_.empty() ? "unavailable" : last_error_;
  }
  auto pong = Run({"PING"}, /*even_if_down=*/false);
  return pong ? "" : pong.error().log_detail;
}

}  // namespace tenantd::redis
