// The one way to a tenant's own data: TenantData::Begin(tenant) hands out a
// storage::Transaction already bound to that tenant, so stores (products,
// idempotency keys, …) are written once against the seam and handlers never
// see where, or on which engine, the tenant lives.
//
// Today every tenant lives in its SQLite file (<data>/tenants/<id>.db),
// leased from the TenantDbPool: an open handle is taken inline, a closed
// database is opened on the pool's threads (never on the event loop), and
// the calls of the transaction complete inline on the caller's thread and
// keep the connection's prepared-statement cache. The tenant
// modes of PostgreSQL (a database, a schema, shared tables under RLS) are
// further locations behind this same call.
//
// Errors of Begin: kUnavailable "tenant_migrating" / "tenant_restoring" (see
// TenantDbPool::Acquire), kUnavailable when the file stays locked past the
// busy timeout, kInternal otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "storage/database.h"

namespace tenantd::tenant_db {

class TenantDbPool;

// What a transaction may do. A read takes no write lock (SQLite: a deferred
// BEGIN, so concurrent readers of one tenant never queue behind each other);
// a write takes it at once (BEGIN IMMEDIATE), so a read-then-write inside
// cannot fail halfway.
enum class Access { kRead, kWrite };

class TenantData {
 public:
  // Called with the tenant's id after each write transaction commits.
  using OnWrite = std::function<void(std::string_view tenant_id)>;

  // `pool` must outlive this object. Thread-safe.
  explicit TenantData(TenantDbPool& pool, OnWrite on_write = {})
      : pool_(pool), on_write_(std::move(on_write)) {}

  // A transaction on the tenant's data; rolls back unless committed (a read
  // needs no Commit). The caller holds it only across calls of the
  // transaction itself (see storage/database.h on awaiting).
  boost::asio::awaitable<base::Result<std::unique_ptr<storage::Transaction>>> Begin(
      std::string_view tenant_id, Access access);

 private:
  TenantDbPool& pool_;
  OnWrite on_write_;
};

}  // namespace tenantd::tenant_db
