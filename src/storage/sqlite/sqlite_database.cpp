#include "storage/sqlite/sqlite_database.h"

#include <charconv>
#include <mutex>
#include <utility>
#include <vector>

namespace tenantd::storage {
namespace {

using boost::asio::awaitable;

// The parameter number of a "$n" placeholder; 0 for any other name.
std::size_t PlaceholderNumber(std::string_view name) {
  if (name.size() < 2 || name[0] != '$') return 0;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), n);
  return ec == std::errc() && end == name.data() + name.size() ? n : 0;
}

void Bind(sqlite::Statement& st, int index, const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    st.Bind(index, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    st.Bind(index, *d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    st.Bind(index, std::string_view(*s));
  } else {
    st.Bind(index, std::nullopt);
  }
}

class SqliteDatabase;

// A connection borrowed from the pool, returned when the lease goes.
class Lease {
 public:
  Lease(SqliteDatabase* owner, std::unique_ptr<sqlite::Connection> db)
      : owner_(owner), db_(std::move(db)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  sqlite::Connection& operator*() const { return *db_; }

 private:
  SqliteDatabase* owner_;
  std::unique_ptr<sqlite::Connection> db_;
};

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(Lease lease, sqlite::Transaction tx, std::string unavailable_code)
      : lease_(std::move(lease)),
        tx_(std::move(tx)),
        unavailable_code_(std::move(unavailable_code)) {}

  Engine engine() const override { return Engine::kSqlite; }
  awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) override;
  awaitable<base::Status> ExecScript(std::string_view sql) override;
  awaitable<base::Status> Commit() override;

 private:
  // Declared first: destroyed after tx_ rolled back.
  Lease lease_;
  sqlite::Transaction tx_;
  std::string unavailable_code_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::filesystem::path path, SqliteDatabaseOptions options,
                 std::unique_ptr<sqlite::Connection> first)
      : path_(std::move(path)), options_(std::move(options)) {
    idle_.push_back(std::move(first));
  }

  Engine engine() const override { return Engine::kSqlite; }
  awaitable<base::Result<std::unique_ptr<Transaction>>> Begin() override;
  awaitable<base::Result<Rows>> Query(std::string_view sql, Params params) override;

  void Return(std::unique_ptr<sqlite::Connection> db) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(db));
  }

 private:
  base::Result<Lease> Acquire();

  const std::filesystem::path path_;
  const SqliteDatabaseOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;  // guarded by mu_
};

Lease::~Lease() {
  if (db_) owner_->Return(std::move(db_));
}

// A busy file answers with the database's own unavailable code.
base::Error Relabel(base::Error e, const std::string& unavailable_code) {
  if (e.code == base::ErrorCode::kUnavailable) e.problem_code = unavailable_code;
  return e;
}

template <class T>
base::Result<T> Relabel(base::Result<T> r, const std::string& unavailable_code) {
  if (!r) return Relabel(std::move(r).error(), unavailable_code);
  return r;
}

base::Result<Lease> SqliteDatabase::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      Lease lease(this, std::move(idle_.back()));
      idle_.pop_back();
      return lease;
    }
  }
  if (path_ == ":memory:") {
    return Unavailable(options_.unavailable_code,
                       "sqlite: the one connection of an in-memory database is in use");
  }
  TENANTD_TRY(std::unique_ptr<sqlite::Connection> db,
              sqlite::Connection::Open(path_, options_.connection));
  return Lease(this, std::move(db));
}

awaitable<base::Result<std::unique_ptr<Transaction>>> SqliteDatabase::Begin() {
  auto lease = Acquire();
  if (!lease) co_return Relabel(std::move(lease).error(), options_.unavailable_code);
  auto tx = (**lease).Begin();
  if (!tx) co_return Relabel(std::move(tx).error(), options_.unavailable_code);
  co_return std::make_unique<SqliteTransaction>(std::move(*lease), std::move(*tx),
                                                options_.unavailable_code);
}

awaitable<base::Result<Rows>> SqliteDatabase::Query(std::string_view sql, Params params) {
  auto lease = Acquire();
  if (!lease) co_return Relabel(std::move(lease).error(), options_.unavailable_code);
  co_return Relabel(sqlite::RunQuery(**lease, sql, params), options_.unavailable_code);
}

awaitable<base::Result<Rows>> SqliteTransaction::Query(std::string_view sql, Params params) {
  co_return Relabel(sqlite::RunQuery(*lease_, sql, params), unavailable_code_);
}

awaitable<base::Status> SqliteTransaction::ExecScript(std::string_view sql) {
  co_return Relabel((*lease_).Exec(sql), unavailable_code_);
}

awaitable<base::Status> SqliteTransaction::Commit() {
  auto committed = tx_.Commit();
  if (!committed) {
    (void)tx_.Rollback();
    co_return Relabel(std::move(committed).error(), unavailable_code_);
  }
  co_return storage::Ok();
}

}  // namespace

namespace sqlite {

// Binds $n to params[n-1] (SQLite
// numbers named parameters by first appearance, not by their digits),
// steps it to the end and copies the rows out.
base::Result<Rows> RunQuery(Connection& db, std::string_view sql, const Params& params) {
  TENANTD_TRY(Statement st, db.Prepare(sql));
  const int count = st.ParameterCount();
  for (int i = 1; i <= count; ++i) {
    const std::size_t n = PlaceholderNumber(st.ParameterName(i));
    if (n == 0 || n > params.size()) {
      return base::Internal("sqlite: parameter '" + std::string(st.ParameterName(i)) +
                            "' has no value (write $1..$" + std::to_string(params.size()) +
                            "): " + std::string(sql));
    }
    Bind(st, i, params[n - 1]);
  }
  Rows out;
  for (;;) {
    TENANTD_TRY(bool more, st.Step());
    if (!more) break;
    std::vector<Value> values;
    const int columns = st.ColumnCount();
    values.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) values.push_back(st.ColumnValue(c));
    out.rows.emplace_back(std::move(values));
  }
  if (!st.IsReadOnly()) out.affected = db.Changes();
  return out;
}

}  // namespace sqlite

base::Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::filesystem::path& path,
                                                           SqliteDatabaseOptions options) {
  TENANTD_TRY(std::unique_ptr<sqlite::Connection> first,
              sqlite::Connection::Open(path, options.connection));
  if (path == ":memory:") options.max_idle_connections = 1;
  return std::unique_ptr<Database>(
      std::make_unique<SqliteDatabase>(path, std::move(options), std::move(first)));
}

}  // namespace tenantd::storage
