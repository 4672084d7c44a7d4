#include "storage/postgres/postgres_database.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "storage/postgres/connection.h"

namespace tenantd::storage {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using postgres::Connection;
using postgres::ConnectionSettings;

// The connections to one server: idle ones, a count of all open ones
// (idle, leased or being opened) kept at or under the cap, and the line of
// callers waiting for one.
class Pool {
 public:
  explicit Pool(const PostgresOptions& options) : max_connections_(options.max_connections) {
    auto settings = std::make_shared<ConnectionSettings>();
    settings->conninfo = options.url.conninfo.Reveal();
    settings->masked = options.url.Masked();
    settings->connect_timeout = options.connect_timeout;
    settings->statement_timeout = options.statement_timeout;
    settings->unavailable_code = options.unavailable_code;
    settings->run_blocking = [this](std::function<void()> fn) {
      asio::post(workers_, std::move(fn));
    };
    settings_ = std::move(settings);
  }
  ~Pool() {
    idle_.clear();
    workers_.join();  // cancels already asked for still go out
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A usable connection with no transaction open, within the statement
  // timeout; kUnavailable when none could be had.
  awaitable<base::Result<std::unique_ptr<Connection>>> Acquire();
  // Takes a connection back: kept when idle and clean, else closed.
  void Release(std::unique_ptr<Connection> conn);

  const std::string& unavailable_code() const { return settings_->unavailable_code; }

 private:
  // A caller in line. A releaser hands it a connection, or the right to
  // open one, and wakes it on its own event loop.
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
    asio::any_io_executor executor;
    asio::steady_timer timer;
    std::unique_ptr<Connection> conn;  // guarded by Pool::mu_
    bool may_open = false;             // guarded by Pool::mu_
  };

  // One connection fewer: the first in line may open one instead.
  void FreeSlot();
  static void Wake(const std::shared_ptr<Waiter>& w) {
    asio::post(w->executor, [w] { w->timer.cancel(); });
  }

  asio::thread_pool workers_{1};  // first member: destroyed last
  const std::size_t max_connections_;
  std::shared_ptr<const ConnectionSettings> settings_;
  std::mutex mu_;
  std::size_t open_ = 0;                           // guarded by mu_
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  std::deque<std::shared_ptr<Waiter>> waiters_;    // guarded by mu_
};

awaitable<base::Result<std::unique_ptr<Connection>>> Pool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + settings_->statement_timeout;
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    std::unique_ptr<Connection> reuse;
    bool may_open = false;
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        reuse = std::move(idle_.back());
        idle_.pop_back();
      } else if (open_ < max_connections_) {
        ++open_;
        may_open = true;
      } else {
        waiter = std::make_shared<Waiter>(ex);
        waiters_.push_back(waiter);
      }
    }
    if (waiter) {
      // The releaser's wake runs on this thread, so it cannot come before
      // this wait starts.
      waiter->timer.expires_at(deadline);
      co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      std::lock_guard lock(mu_);
      reuse = std::move(waiter->conn);
      may_open = waiter->may_open;
      if (!reuse && !may_open) {
        std::erase(waiters_, waiter);
        co_return Unavailable(settings_->unavailable_code,
                              "postgres " + settings_->masked + ": all " +
                                  std::to_string(max_connections_) +
                                  " connections stayed busy for the statement timeout");
      }
    }
    if (reuse) {
      // An idle connection the server closed (a restart) is noticed here,
      // without waiting, and replaced.
      if (reuse->StillOpen()) co_return std::move(reuse);
      reuse.reset();
      FreeSlot();
      continue;
    }
    auto opened = co_await Connection::Open(settings_);
    if (!opened) FreeSlot();
    co_return opened;
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  if (!conn->idle()) {
    conn.reset();  // closes it
    FreeSlot();
    return;
  }
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      idle_.push_back(std::move(conn));
      return;
    }
    next = std::move(waiters_.front());
    waiters_.pop_front();
    next->conn = std::move(conn);
  }
  Wake(next);
}

void Pool::FreeSlot() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      --open_;
      return;
    }
    // The slot passes straight to the first in line.
    next = std::move(waiters_.front());
    waiters_.pop_front();
    next->may_open = true;
  }
  Wake(next);
}

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn)
      : pool_(std::move(pool)), conn_(std::move(conn)) {}
  // A destructor cannot wait for a ROLLBACK, nor count on an event loop
  // still running: the connection is closed instead, and the server rolls
  // the transaction back as it sees it go. Uncommitted transactions are
  // the error paths, so the reconnect this costs is rare.
  ~PostgresTransaction() override {
    if (conn_) pool_->Release(std::move(conn_));
  }

  Engine engine() const override { return Engine::kPostgres; }

  awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) override {
    if (!conn_) co_return Finished();
    co_return co_await conn_->Query(sql, params);
  }

  awaitable<base::Status> ExecScript(std::string_view sql) override {
    if (!conn_) co_return Finished();
    co_return co_await conn_->ExecScript(sql);
  }

  awaitable<base::Status> Commit() override {
    if (!conn_) co_return Finished();
    auto committed = co_await conn_->ExecScript("COMMIT");
    // COMMIT of a transaction an earlier statement failed in answers
    // ROLLBACK, without an error.
    const bool rolled_back = committed && conn_->last_command() != "COMMIT";
    pool_->Release(std::move(conn_));
    if (!committed) co_return std::move(committed).error();
    if (rolled_back) {
      co_return base::Internal(
          "postgres: COMMIT rolled back: a statement of the transaction failed");
    }
    co_return storage::Ok();
  }

 private:
  static base::Error Finished() { return base::Internal("postgres: the transaction has ended"); }

  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> conn_;  // null once committed
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(const PostgresOptions& options)
      : pool_(std::make_shared<Pool>(options)) {}

  Engine engine() const override { return Engine::kPostgres; }

  awaitable<base::Result<std::unique_ptr<Transaction>>> Begin() override {
    // Twice at most: a pooled connection can turn out closed only once BEGIN
    // meets it; BEGIN is safe to send again on a fresh one.
    for (int attempt = 0;; ++attempt) {
      auto conn = co_await pool_->Acquire();
      if (!conn) co_return std::move(conn).error();
      auto begun = co_await (*conn)->ExecScript("BEGIN");
      if (begun) {
        co_return std::unique_ptr<Transaction>(
            std::make_unique<PostgresTransaction>(pool_, std::move(*conn)));
      }
      pool_->Release(std::move(*conn));
      if (attempt > 0 || begun.error().code != base::ErrorCode::kUnavailable) {
        co_return std::move(begun).error();
      }
    }
  }

  awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) override {
    auto conn = co_await pool_->Acquire();
    if (!conn) co_return std::move(conn).error();
    auto rows = co_await (*conn)->Query(sql, params);
    pool_->Release(std::move(*conn));
    co_return rows;
  }

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace

std::unique_ptr<Database> OpenPostgresDatabase(PostgresOptions options) {
  return std::make_unique<PostgresDatabase>(options);
}

}  // namespace tenantd::storage
