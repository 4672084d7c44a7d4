// The storage seam (storage/database.h) on a PostgreSQL server, through
// libpq's non-blocking API on the event loop of the calling coroutine: no
// thread ever waits for the server (the one blocking libpq call, the cancel
// of a statement past its timeout, runs on a worker thread).
//
// Connections are pooled per server with a hard cap: a caller finding every
// connection leased waits in line, up to the statement timeout, for one to
// come back. A connection that failed, timed out or that the server closed
// (a restart) is dropped, and the next caller connects afresh: the pool
// recovers by itself when the server returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/error.h"
#include "storage/database.h"
#include "storage/postgres/postgres_url.h"

namespace tenantd::storage {

struct PostgresOptions {
  PostgresUrl url;
  // Hard cap on the connections open to the server at once.
  std::size_t max_connections = 10;
  std::chrono::milliseconds connect_timeout{2000};
  // Per statement, and for a place in the pool's line. Set on the server
  // too (statement_timeout), which stops a statement even if the cancel
  // request is lost.
  std::chrono::milliseconds statement_timeout{5000};
  // Problem code of kUnavailable errors, e.g. "control_store_unavailable".
  std::string unavailable_code = "service_unavailable";
};

// A pooled handle on the server; no connection is opened until first use.
std::unique_ptr<Database> OpenPostgresDatabase(PostgresOptions options);

}  // namespace tenantd::storage
