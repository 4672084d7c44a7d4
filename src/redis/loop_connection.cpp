#include "redis/loop_connection.h"

#include <hiredis/hiredis.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "redis/client_state.h"

namespace tenantd::redis {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

// RESP: an array of bulk strings, as every client sends commands.
template <class Strings>
void AppendCommand(std::string& out, const Strings& argv) {
  out += '*';
  out += std::to_string(argv.size());
  out += "\r\n";
  for (const std::string_view a : argv) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

// A command sent (or about to be) and its reply. The waiting coroutine
// sleeps on `wake` until the reply arrives (the reader cancels the timer)
// or the deadline passes (the timer expires); `result` tells which.
struct Pending {
  explicit Pending(asio::io_context& loop) : wake(loop) {}
  asio::steady_timer wake;
  std::optional<base::Result<Reply>> result;
  bool handshake = false;  // AUTH or SELECT: nobody waits; an error fails the connection
};

class LoopConnection : public std::enable_shared_from_this<LoopConnection> {
 public:
  LoopConnection(asio::io_context& loop, std::shared_ptr<ClientState> state)
      : loop_(loop), state_(std::move(state)), socket_(loop), reader_(redisReaderCreate()) {}
  ~LoopConnection() { redisReaderFree(reader_); }
  LoopConnection(const LoopConnection&) = delete;
  LoopConnection& operator=(const LoopConnection&) = delete;

  awaitable<base::Result<Reply>> Run(std::span<const std::string_view> argv);
  // The loop is shutting down: nothing will run on it any more.
  void Close() {
    ++generation_;
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  enum class Phase { kClosed, kConnecting, kOpen };

  void Start();
  void Flush();
  // Fails every command in flight and closes the connection; the next
  // command (once the client is up again) connects afresh.
  void Fail(const std::string& why);
  // The same without marking the client down.
  void Drop(const std::string& why);
  void Deliver(redisReply& reply);

  // Coroutines take their connection as a parameter, which keeps it alive
  // while they run (and GCC 12 copies a lambda coroutine's captures badly).
  static awaitable<void> Connect(std::shared_ptr<LoopConnection> self, uint64_t generation);
  static awaitable<void> WriteLoop(std::shared_ptr<LoopConnection> self, uint64_t generation);
  static awaitable<void> ReadLoop(std::shared_ptr<LoopConnection> self, uint64_t generation);

  asio::io_context& loop_;
  std::shared_ptr<ClientState> state_;
  tcp::socket socket_;
  redisReader* reader_;
  Phase phase_ = Phase::kClosed;
  // Bumped by Fail and Close: a coroutine of an older connection that
  // wakes up finds a different number and leaves without touching anything.
  uint64_t generation_ = 0;
  std::string out_;                               // commands not yet handed to a write
  std::string batch_;                             // the commands of the write in flight
  bool writing_ = false;                          // a WriteLoop runs
  std::deque<std::shared_ptr<Pending>> pending_;  // sent or queued, in order
};

awaitable<base::Result<Reply>> LoopConnection::Run(std::span<const std::string_view> argv) {
  if (!state_->is_up()) co_return Unavailable(state_->LastError());
  auto pending = std::make_shared<Pending>(loop_);
  pending->wake.expires_after(state_->options.timeout);
  AppendCommand(out_, argv);
  pending_.push_back(pending);
  if (phase_ == Phase::kClosed) {
    Start();
  } else if (phase_ == Phase::kOpen) {
    Flush();
  }
  error_code ignored;
  state_->waiting.fetch_add(1, std::memory_order_relaxed);
  co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  state_->waiting.fetch_sub(1, std::memory_order_relaxed);
  if (!pending->result) {
    Fail("no answer from " + state_->options.url.Masked() + " within " +
         std::to_string(state_->options.timeout.count()) + " ms");
  }
  co_return std::move(*pending->result);
}

void LoopConnection::Start() {
  phase_ = Phase::kConnecting;
  // AUTH and SELECT go first, ahead of the commands already queued.
  const RedisUrl& url = state_->options.url;
  std::vector<std::vector<std::string>> handshake;
  if (!url.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password.Reveal());
    handshake.push_back(std::move(auth));
  }
  if (url.db != 0) handshake.push_back({"SELECT", std::to_string(url.db)});
  std::string first;
  for (auto it = handshake.rbegin(); it != handshake.rend(); ++it) {
    auto entry = std::make_shared<Pending>(loop_);
    entry->handshake = true;
    pending_.push_front(std::move(entry));
  }
  for (const auto& command : handshake) AppendCommand(first, command);
  out_.insert(0, first);
  asio::co_spawn(loop_, Connect(shared_from_this(), generation_), asio::detached);
}

void LoopConnection::Flush() {
  if (writing_ || out_.empty()) return;
  writing_ = true;
  asio::co_spawn(loop_, WriteLoop(shared_from_this(), generation_), asio::detached);
}

void LoopConnection::Fail(const std::string& why) {
  Drop(why);
  state_->MarkDown(why);
}

void LoopConnection::Drop(const std::string& why) {
  ++generation_;
  phase_ = Phase::kClosed;
  writing_ = false;
  out_.clear();
  error_code ignored;
  socket_.close(ignored);
  redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  const std::deque<std::shared_ptr<Pending>> failed = std::move(pending_);
  pending_.clear();
  for (const auto& p : failed) {
    if (!p->result) p->result = Unavailable(why);
    p->wake.cancel();
  }
}

void LoopConnection::Deliver(redisReply& reply) {
  std::shared_ptr<Pending> p = std::move(pending_.front());
  pending_.pop_front();
  if (reply.type == REDIS_REPLY_ERROR) {
    std::string message(reply.str, reply.len);
    if (p->handshake) {
      // Never the AUTH arguments in a message: they hold the password.
      Fail("the handshake was refused by " + state_->options.url.Masked() + ": " + message);
      return;
    }
    p->result = ErrorReply(std::move(message));
  } else {
    p->result = Convert(reply);
  }
  p->wake.cancel();
}

awaitable<void> LoopConnection::Connect(std::shared_ptr<LoopConnection> self, uint64_t generation) {
  const RedisUrl& url = self->state_->options.url;
  error_code ec;
  if (const auto address = asio::ip::make_address(url.host, ec); !ec) {
    co_await self->socket_.async_connect(tcp::endpoint(address, url.port),
                                         asio::redirect_error(asio::use_awaitable, ec));
  } else {
    tcp::resolver resolver(self->loop_);
    const tcp::resolver::results_type endpoints = co_await resolver.async_resolve(
        url.host, std::to_string(url.port), asio::redirect_error(asio::use_awaitable, ec));
    if (generation != self->generation_) co_return;
    if (ec) {
      self->Fail("cannot resolve " + url.Masked() + ": " + ec.message());
      co_return;
    }
    co_await asio::async_connect(self->socket_, endpoints,
                                 asio::redirect_error(asio::use_awaitable, ec));
  }
  if (generation != self->generation_) co_return;
  if (ec) {
    self->Fail("cannot connect to " + url.Masked() + ": " + ec.message());
    co_return;
  }
  self->socket_.set_option(tcp::no_delay(true), ec);
  self->phase_ = Phase::kOpen;
  asio::co_spawn(self->loop_, ReadLoop(self, generation), asio::detached);
  self->Flush();
}

awaitable<void> LoopConnection::WriteLoop(std::shared_ptr<LoopConnection> self,
                                          uint64_t generation) {
  std::string& batch = self->batch_;
  while (!self->out_.empty()) {
    batch.clear();
    batch.swap(self->out_);  // both keep their capacity from batch to batch
    error_code ec;
    co_await asio::async_write(self->socket_, asio::buffer(batch),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (generation != self->generation_) co_return;  // failed meanwhile: not ours any more
    if (ec) {
      self->Fail("cannot write to " + self->state_->options.url.Masked() + ": " + ec.message());
      co_return;
    }
  }
  self->writing_ = false;
}

awaitable<void> LoopConnection::ReadLoop(std::shared_ptr<LoopConnection> self,
                                         uint64_t generation) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    error_code ec;
    const std::size_t n = co_await self->socket_.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (generation != self->generation_) co_return;
    const std::string& where = self->state_->options.url.Masked();
    if (ec && self->pending_.empty()) {
      // Nothing was lost: an idle connection the server closed (its
      // `timeout` setting, CLIENT KILL). The next command connects afresh,
      // and only if that fails is Redis down.
      self->Drop("idle connection closed");
      co_return;
    }
    if (ec) {
      self->Fail(ec == asio::error::eof ? where + " closed the connection"
                                        : "cannot read from " + where + ": " + ec.message());
      co_return;
    }
    if (redisReaderFeed(self->reader_, buffer.data(), n) != REDIS_OK) {
      self->Fail("cannot parse the replies of " + where);
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(self->reader_, &raw) != REDIS_OK) {
        self->Fail("cannot parse the replies of " + where + ": " + self->reader_->errstr);
        co_return;
      }
      if (raw == nullptr) break;  // the rest of a reply is still on its way
      std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                         freeReplyObject);
      if (self->pending_.empty()) {
        self->Fail(where + " sent a reply to no command");
        co_return;
      }
      self->Deliver(*reply);
      if (generation != self->generation_) co_return;  // a refused handshake
    }
  }
}

// Each io_context's connections, one per client, closed with the loop.
class LoopConnections : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;
  explicit LoopConnections(asio::execution_context& context) : service(context) {}

  std::shared_ptr<LoopConnection> For(asio::io_context& loop,
                                      const std::shared_ptr<ClientState>& state) {
    std::lock_guard lock(mu_);
    std::shared_ptr<LoopConnection>& c = by_client_[state->id];
    if (!c) c = std::make_shared<LoopConnection>(loop, state);
    return c;
  }

 private:
  void shutdown() override {
    std::lock_guard lock(mu_);
    for (auto& [client, connection] : by_client_) connection->Close();
    by_client_.clear();
  }

  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<LoopConnection>> by_client_;  // guarded by mu_
};

asio::execution_context::id LoopConnections::id;

}  // namespace

awaitable<base::Result<Reply>> RunOnLoop(asio::io_context& loop, std::shared_ptr<ClientState> state,
                                         std::span<const std::string_view> argv) {
  std::shared_ptr<LoopConnection> connection =
      asio::use_service<LoopConnections>(loop).For(loop, state);
  co_return co_await connection->Run(argv);
}

}  // namespace tenantd::redis
