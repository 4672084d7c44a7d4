// One libpq connection driven by the Asio event loop of whichever coroutine
// uses it: libpq in non-blocking mode, its socket watched through a
// stream_descriptor that borrows the descriptor for the length of one
// operation (libpq owns it). Internal to storage/postgres.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "storage/value.h"

struct pg_conn;

namespace tenantd::storage::postgres {

struct ConnectionSettings {
  std::string conninfo;  // a postgres:// URL (holds the password)
  std::string masked;    // the same without the password, for messages
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds statement_timeout{5000};
  std::string unavailable_code;
  // What pg_stat_activity shows (unless the URL sets application_name).
  std::string application_name = "tenantd";
  // Sends a cancel request for a statement past its timeout; blocking, so
  // it runs on a worker thread (PostgreSQL 15's libpq has no async cancel).
  std::function<void(std::function<void()>)> run_blocking;
};

class Connection {
 public:
  // Connects within connect_timeout; kUnavailable when the server cannot be
  // reached or refuses the login (the message says why, never the password).
  static boost::asio::awaitable<base::Result<std::unique_ptr<Connection>>> Open(
      std::shared_ptr<const ConnectionSettings> settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters (text format); the rows of its result.
  boost::asio::awaitable<base::Result<Rows>> Query(std::string_view sql, const Params& params);
  // Several statements without parameters (simple query protocol).
  boost::asio::awaitable<base::Status> ExecScript(std::string_view sql);

  // False once the connection failed, timed out, or was closed by the
  // server: it must not be reused.
  bool usable() const;
  // Usable, with no transaction open (the state a pooled connection is kept in).
  bool idle() const;
  // Whether a pooled idle connection is still open: reads, without
  // waiting, what the server sent meanwhile (a restart's goodbye).
  bool StillOpen();
  // Waits, up to `max_wait`, for the notifications of the channels this
  // connection LISTENs on; their count (0 when none came in time). An error
  // once the connection is lost (the server closed it, a restart).
  boost::asio::awaitable<base::Result<int>> WaitForNotifications(
      std::chrono::milliseconds max_wait);
  // The command tag of the last statement ("COMMIT", "ROLLBACK", …).
  const std::string& last_command() const { return last_command_; }

 private:
  Connection(pg_conn* conn, std::shared_ptr<const ConnectionSettings> settings);
  boost::asio::awaitable<base::Result<Rows>> Run(std::string_view sql, const Params* params);
  void Cancel();
  base::Error Broken(std::string what);

  pg_conn* conn_;
  std::shared_ptr<const ConnectionSettings> settings_;
  bool broken_ = false;
  std::string last_command_;
};

}  // namespace tenantd::storage::postgres
