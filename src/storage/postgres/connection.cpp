#include "storage/postgres/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <optional>
#include <vector>

#include "storage/errors.h"

namespace tenantd::storage::postgres {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxContextBytes = 200;

std::string Shorten(std::string_view sql) {
  if (sql.size() <= kMaxContextBytes) return std::string(sql);
  return std::string(sql.substr(0, kMaxContextBytes)) + "...";
}

// libpq's message on one line: start-up errors and log lines stay one line.
std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// libpq's socket, watched by the event loop of the calling coroutine for
// the length of one operation. The descriptor stays libpq's: released, not
// closed, when the watch ends.
class SocketWatch {
 public:
  SocketWatch(const asio::any_io_executor& ex, int fd) : socket_(ex, fd), timer_(ex) {}
  ~SocketWatch() { (void)socket_.release(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  void ExpireAt(Clock::time_point deadline) { timer_.expires_at(deadline); }

  // libpq may move to another socket while connecting (another address).
  void Follow(int fd) {
    if (socket_.native_handle() == fd) return;
    (void)socket_.release();
    socket_.assign(fd);
  }

  // False when the deadline passed first.
  awaitable<bool> Wait(asio::posix::descriptor_base::wait_type what) {
    auto which = co_await (socket_.async_wait(what, asio::as_tuple(asio::use_awaitable)) ||
                           timer_.async_wait(asio::as_tuple(asio::use_awaitable)));
    co_return which.index() == 0;
  }

 private:
  asio::posix::stream_descriptor socket_;
  asio::steady_timer timer_;
};

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

// Maps a failed result to the error vocabulary of storage/errors.h by its
// SQLSTATE; the server's message goes to log_detail only.
base::Error ResultError(const PGresult* res, std::string_view sql,
                        const std::string& unavailable_code, bool* connection_lost) {
  const char* raw_state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const std::string state = raw_state != nullptr ? raw_state : "";
  std::string detail = "postgres: " + Shorten(sql) + ": " + Trimmed(PQresultErrorMessage(res)) +
                       " (SQLSTATE " + state + ")";
  if (state == "23505") {
    return base::MakeError(base::ErrorCode::kAlreadyExists, std::string(kUniqueViolation),
                           "The resource already exists.", std::move(detail));
  }
  // Connection exceptions, the server shutting down or out of connections:
  // retrying later (on another connection) can succeed.
  if (state.starts_with("08") || state.starts_with("57P") || state == "53300") {
    *connection_lost = state.starts_with("08") || state.starts_with("57P");
    return Unavailable(unavailable_code, std::move(detail));
  }
  // Cancelled (statement timeout), serialization failure, deadlock.
  if (state == "57014" || state == "40001" || state == "40P01" || state == "55P03") {
    return Unavailable(unavailable_code, std::move(detail));
  }
  // Data exceptions (invalid UTF-8, out-of-range numbers): the value sent.
  if (state.starts_with("22")) {
    return base::MakeError(base::ErrorCode::kInvalidArgument, "invalid_value",
                           "A value in the request is not valid.", std::move(detail));
  }
  return base::Internal(std::move(detail));
}

std::string FormatParam(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
  }
  return {};
}

}  // namespace

Connection::Connection(PGconn* conn, std::shared_ptr<const ConnectionSettings> settings)
    : conn_(conn), settings_(std::move(settings)) {}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::usable() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::idle() const { return usable() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

bool Connection::StillOpen() {
  if (!usable()) return false;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return true;  // nothing arrived: still open
  // An idle connection is sent nothing but notices and a shutdown's FATAL.
  if (PQconsumeInput(conn_) == 0) broken_ = true;
  while (!broken_ && PQisBusy(conn_) == 0) {
    ResultPtr res(PQgetResult(conn_));
    if (!res) break;
  }
  return usable();
}

base::Error Connection::Broken(std::string what) {
  broken_ = true;
  return Unavailable(settings_->unavailable_code, "postgres " + settings_->masked + ": " +
                                                      std::move(what) + ": " +
                                                      Trimmed(PQerrorMessage(conn_)));
}

void Connection::Cancel() {
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr) return;
  settings_->run_blocking([cancel] {
    char error[256];
    PQcancel(cancel, error, sizeof error);
    PQfreeCancel(cancel);
  });
}

awaitable<base::Result<std::unique_ptr<Connection>>> Connection::Open(
    std::shared_ptr<const ConnectionSettings> settings) {
  const std::string options =
      "-c statement_timeout=" + std::to_string(settings->statement_timeout.count());
  const char* keywords[] = {"dbname", "fallback_application_name", "options", nullptr};
  const char* values[] = {settings->conninfo.c_str(), settings->application_name.c_str(),
                          options.c_str(), nullptr};
  PGconn* raw = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) co_return base::Internal("postgres: out of memory");
  std::unique_ptr<Connection> conn(new Connection(raw, settings));
  if (PQstatus(raw) == CONNECTION_BAD) co_return conn->Broken("cannot connect");
  // Notices (CREATE … IF NOT EXISTS skipping, a shutdown's goodbye) would
  // go to stderr; errors come back as results anyway.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);

  auto ex = co_await asio::this_coro::executor;
  SocketWatch watch(ex, PQsocket(raw));
  watch.ExpireAt(Clock::now() + settings->connect_timeout);
  // As if PQconnectPoll had last answered "writing" (libpq's manual).
  PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
  for (;;) {
    if (polled == PGRES_POLLING_OK) break;
    if (polled == PGRES_POLLING_FAILED) co_return conn->Broken("cannot connect");
    watch.Follow(PQsocket(raw));
    const bool ready = co_await watch.Wait(polled == PGRES_POLLING_READING
                                               ? asio::posix::descriptor_base::wait_read
                                               : asio::posix::descriptor_base::wait_write);
    if (!ready) {
      conn->broken_ = true;
      co_return Unavailable(settings->unavailable_code,
                            "postgres " + settings->masked + ": no connection within " +
                                std::to_string(settings->connect_timeout.count()) + " ms");
    }
    polled = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0) co_return conn->Broken("cannot enter non-blocking mode");
  co_return conn;
}

awaitable<base::Result<Rows>> Connection::Query(std::string_view sql, const Params& params) {
  return Run(sql, &params);
}

awaitable<base::Status> Connection::ExecScript(std::string_view sql) {
  auto rows = co_await Run(sql, nullptr);
  if (!rows) co_return std::move(rows).error();
  co_return storage::Ok();
}

awaitable<base::Result<int>> Connection::WaitForNotifications(std::chrono::milliseconds max_wait) {
  if (!usable()) co_return Unavailable(settings_->unavailable_code, "postgres: connection lost");
  auto drain = [this] {
    int count = 0;
    while (PGnotify* n = PQnotifies(conn_)) {
      PQfreemem(n);
      ++count;
    }
    return count;
  };
  // Notifications that arrived with an earlier result are queued already.
  if (const int queued = drain(); queued > 0) co_return queued;
  auto ex = co_await asio::this_coro::executor;
  SocketWatch watch(ex, PQsocket(conn_));
  watch.ExpireAt(Clock::now() + max_wait);
  if (!co_await watch.Wait(asio::posix::descriptor_base::wait_read)) co_return 0;
  // A server that goes away sends an error (or just closes): either way
  // the connection is done.
  if (PQconsumeInput(conn_) == 0) co_return Broken("lost the LISTEN connection");
  while (PQisBusy(conn_) == 0) {
    ResultPtr res(PQgetResult(conn_));
    if (!res) break;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) co_return Broken("lost the LISTEN connection");
  co_return drain();
}

// Sends the statement, flushes it, and reads every result, waiting on the
// socket (never blocking) until the statement timeout: then the server is
// asked to cancel it and the connection is given up.
awaitable<base::Result<Rows>> Connection::Run(std::string_view sql, const Params* params) {
  if (!usable()) co_return Unavailable(settings_->unavailable_code, "postgres: connection lost");
  const std::string text(sql);
  int sent = 0;
  if (params != nullptr) {
    std::vector<std::string> formatted;
    std::vector<const char*> values;
    formatted.reserve(params->size());
    values.reserve(params->size());
    for (const Value& v : *params) {
      formatted.push_back(FormatParam(v));
      const bool null = std::holds_alternative<std::monostate>(v);
      // Text parameters end at the first NUL: refuse rather than truncate.
      if (!null && formatted.back().find('\0') != std::string::npos) {
        co_return base::MakeError(base::ErrorCode::kInvalidArgument, "invalid_value",
                                  "A value in the request is not valid.",
                                  "postgres: a text parameter holds a NUL byte");
      }
      values.push_back(null ? nullptr : formatted.back().c_str());
    }
    sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, /*resultFormat=*/0);
  } else {
    sent = PQsendQuery(conn_, text.c_str());
  }
  if (sent == 0) co_return Broken("cannot send " + Shorten(sql));

  auto ex = co_await asio::this_coro::executor;
  SocketWatch watch(ex, PQsocket(conn_));
  watch.ExpireAt(Clock::now() + settings_->statement_timeout);
  auto timed_out = [&]() -> base::Error {
    Cancel();
    broken_ = true;  // its state is unknown until the cancel lands: not reused
    return Unavailable(settings_->unavailable_code,
                       "postgres " + settings_->masked + ": no answer within " +
                           std::to_string(settings_->statement_timeout.count()) +
                           " ms to: " + Shorten(sql));
  };
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) co_return Broken("cannot send " + Shorten(sql));
    if (!co_await watch.Wait(asio::posix::descriptor_base::wait_write)) co_return timed_out();
  }

  Rows out;
  std::optional<base::Error> failure;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      if (!co_await watch.Wait(asio::posix::descriptor_base::wait_read)) co_return timed_out();
      if (PQconsumeInput(conn_) == 0)
        co_return Broken("lost the connection during " + Shorten(sql));
    }
    ResultPtr res(PQgetResult(conn_));
    if (!res) break;
    switch (PQresultStatus(res.get())) {
      case PGRES_TUPLES_OK: {
        out.rows.clear();
        const int rows = PQntuples(res.get());
        const int columns = PQnfields(res.get());
        out.rows.reserve(static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r) {
          std::vector<Value> values;
          values.reserve(static_cast<std::size_t>(columns));
          for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(res.get(), r, c)) {
              values.emplace_back(std::monostate{});
            } else {
              values.emplace_back(
                  std::string(PQgetvalue(res.get(), r, c),
                              static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
            }
          }
          out.rows.emplace_back(std::move(values));
        }
        [[fallthrough]];
      }
      case PGRES_COMMAND_OK: {
        // PQcmdTuples counts the rows a SELECT returned too: only rows
        // changed count as affected, as on SQLite.
        last_command_ = PQcmdStatus(res.get());
        const std::string_view tuples = PQcmdTuples(res.get());
        out.affected = 0;
        if (!last_command_.starts_with("SELECT")) {
          std::from_chars(tuples.data(), tuples.data() + tuples.size(), out.affected);
        }
        break;
      }
      case PGRES_EMPTY_QUERY:
        break;
      default: {
        // Keep reading: libpq wants every result consumed before the next
        // statement. The first failure is the one reported.
        bool lost = false;
        if (!failure) failure = ResultError(res.get(), sql, settings_->unavailable_code, &lost);
        if (lost) broken_ = true;
        break;
      }
    }
  }
  if (PQstatus(conn_) == CONNECTION_BAD) broken_ = true;
  if (failure) co_return std::move(*failure);
  co_return out;
}

}  // namespace tenantd::storage::postgres
