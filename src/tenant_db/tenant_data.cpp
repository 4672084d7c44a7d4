#include "tenant_db/tenant_data.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "base/off_loop.h"
#include "storage/sqlite/sqlite_database.h"
#include "tenant_db/pool.h"

namespace tenantd::tenant_db {
namespace {

using boost::asio::awaitable;

// Runs one of the transaction-control statements; they are prepared once
// per connection and then come from its statement cache.
base::Status Step(storage::sqlite::Connection& db, std::string_view sql) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(sql));
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

// A transaction on a tenant's SQLite file, holding the pooled connection
// until it ends.
class SqliteTenantTransaction final : public storage::Transaction {
 public:
  SqliteTenantTransaction(TenantDbPool::Lease lease, const TenantData::OnWrite* on_write)
      : lease_(std::move(lease)), on_write_(on_write) {}
  ~SqliteTenantTransaction() override {
    if (open_) (void)Step(lease_.db(), "ROLLBACK");
  }

  storage::Engine engine() const override { return storage::Engine::kSqlite; }

  awaitable<base::Result<storage::Rows>> Query(std::string_view sql,
                                               storage::Params params) override {
    co_return storage::sqlite::RunQuery(lease_.db(), sql, params);
  }

  awaitable<base::Status> ExecScript(std::string_view sql) override {
    co_return lease_.db().Exec(sql);
  }

  awaitable<base::Status> Commit() override {
    if (!open_) co_return base::Internal("tenant transaction: committed twice");
    auto committed = Step(lease_.db(), "COMMIT");
    if (!committed) co_return std::move(committed).error();  // the destructor rolls back
    open_ = false;
    if (writes_ && on_write_ && *on_write_) (*on_write_)(lease_.tenant_id());
    co_return storage::Ok();
  }

  base::Status Start(Access access) {
    TENANTD_RETURN_IF_ERROR(
        Step(lease_.db(), access == Access::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
    open_ = true;
    writes_ = access == Access::kWrite;
    return {};
  }

 private:
  TenantDbPool::Lease lease_;
  const TenantData::OnWrite* on_write_;  // null or empty: nobody to tell
  bool open_ = false;
  bool writes_ = false;
};

}  // namespace

awaitable<base::Result<std::unique_ptr<storage::Transaction>>> TenantData::Begin(
    std::string_view tenant_id, Access access) {
  std::optional<base::Result<TenantDbPool::Lease>> idle = pool_.AcquireIdle(tenant_id);
  if (!idle) {
    // A miss opens the database on the pool's threads: the event loop
    // serves warm tenants meanwhile.
    std::function<base::Result<TenantDbPool::Lease>()> open =
        [pool = &pool_, id = std::string(tenant_id)] { return pool->Open(id); };
    auto opened = co_await base::OffLoop(pool_.openers(), std::move(open));
    idle.emplace(std::move(opened));
  }
  base::Result<TenantDbPool::Lease>& lease = *idle;
  if (!lease) co_return std::move(lease).error();
  auto tx = std::make_unique<SqliteTenantTransaction>(std::move(*lease), &on_write_);
  if (auto started = tx->Start(access); !started) co_return std::move(started).error();
  co_return std::unique_ptr<storage::Transaction>(std::move(tx));
}

}  // namespace tenantd::tenant_db
