// The storage seam: one awaitable interface over the engines tenantd keeps
// its data in, so each store is written once and runs on either.
//
//   Database     a handle on one database: SQLite file (storage/sqlite/) or
//                PostgreSQL server (storage/postgres/), pooled connections.
//   Transaction  RAII: rolls back unless Commit() succeeded.
//   Rows / Row   a statement's result, read by column number.
//   Params       values bound to the $1..$n placeholders of the SQL.
//
// SQL is written once with $1..$n placeholders ($n may repeat) in the
// subset both engines accept (RETURNING, ON CONFLICT, CTEs; timestamps as
// RFC 3339 text). Where the engines differ (DDL, a few functions), the
// caller asks engine() and picks the text: that is the whole dialect hook.
//
// Errors are base::Error values: a UNIQUE or PRIMARY KEY violation is
// kAlreadyExists "unique_violation" (IsUniqueViolation); a server that
// cannot be reached, a pool with no free connection in time or a statement
// past its timeout is kUnavailable with the problem code the database was
// opened with (e.g. "control_store_unavailable"); anything else kInternal.
// Engine messages and SQL go to log_detail only, never to a client.
//
// Awaiting: co_await each call at once; the arguments are read before the
// call first suspends. SQLite calls complete without suspending, so code
// holding a SQLite Transaction must not suspend on anything else (another
// coroutine of the same thread could then wait for the file's write lock).
// A Database is thread-safe; a Transaction belongs to one coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/error.h"
#include "storage/errors.h"
#include "storage/value.h"

namespace tenantd::storage {

enum class Engine { kSqlite, kPostgres };

// True for a single Params argument (which binds as it is).
template <class... Args>
inline constexpr bool IsParams = sizeof...(Args) == 1 &&
                                 (std::is_same_v<std::decay_t<Args>, Params> && ...);

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back unless committed
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  virtual Engine engine() const = 0;
  // One statement, with its parameters: Query(sql, params) or, listing
  // them, Query("... WHERE id = $1 AND n > $2", id, 5).
  virtual boost::asio::awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) = 0;
  template <class... Args>
  requires(!IsParams<Args...>) boost::asio::awaitable<base::Result<Rows>> Query(
      std::string_view sql, Args&&... args) {
    return Query(sql, MakeParams(std::forward<Args>(args)...));
  }
  // The same for statements whose rows are not needed.
  boost::asio::awaitable<base::Status> Exec(std::string_view sql, Params params);
  template <class... Args>
  requires(!IsParams<Args...>) boost::asio::awaitable<base::Status> Exec(std::string_view sql,
                                                                         Args&&... args) {
    return Exec(sql, MakeParams(std::forward<Args>(args)...));
  }
  // Several ';'-separated statements without parameters (DDL, migrations).
  virtual boost::asio::awaitable<base::Status> ExecScript(std::string_view sql) = 0;
  // On failure the transaction is rolled back.
  virtual boost::asio::awaitable<base::Status> Commit() = 0;

 protected:
  Transaction() = default;
};

class Database {
 public:
  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Engine engine() const = 0;

  // Starts a read-write transaction. SQLite: BEGIN IMMEDIATE, so the write
  // lock is taken now and a read-then-write inside cannot fail halfway.
  // PostgreSQL: BEGIN (read committed) on a pooled connection.
  virtual boost::asio::awaitable<base::Result<std::unique_ptr<Transaction>>> Begin() = 0;
  // One statement in a transaction of its own (autocommit); parameters
  // as for Transaction::Query.
  virtual boost::asio::awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) = 0;
  template <class... Args>
  requires(!IsParams<Args...>) boost::asio::awaitable<base::Result<Rows>> Query(
      std::string_view sql, Args&&... args) {
    return Query(sql, MakeParams(std::forward<Args>(args)...));
  }
  boost::asio::awaitable<base::Status> Exec(std::string_view sql, Params params);
  template <class... Args>
  requires(!IsParams<Args...>) boost::asio::awaitable<base::Status> Exec(std::string_view sql,
                                                                         Args&&... args) {
    return Exec(sql, MakeParams(std::forward<Args>(args)...));
  }

 protected:
  Database() = default;
};

}  // namespace tenantd::storage
