// Opening the control store, change detection, settings and health; the
// domains live beside it (tenants.cpp, app_credentials.cpp, api_keys.cpp,
// usage.cpp) and the schema in migrations.cpp.
#include "control/control_store.h"

#include <chrono>
#include <system_error>
#include <utility>

#include "control/control_store_impl.h"
#include "control/migrations.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "storage/errors.h"
#include "storage/migrate.h"
#include "storage/postgres/postgres_database.h"
#include "storage/postgres/postgres_url.h"
#include "storage/sqlite/sqlite_database.h"

namespace tenantd::control {
namespace {

using boost::asio::awaitable;

constexpr std::chrono::milliseconds kSqlitePollInterval{1};
constexpr std::chrono::milliseconds kPostgresPollInterval{50};

int64_t SteadyNowNs(const base::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Steady().time_since_epoch())
      .count();
}

int64_t Nanoseconds(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

base::Result<std::unique_ptr<storage::Database>> OpenControlDatabase(
    const std::filesystem::path& data_dir, const std::string& database_url) {
  if (!database_url.empty()) {
    TENANTD_TRY(storage::PostgresUrl url, storage::ParsePostgresUrl(database_url));
    storage::PostgresOptions options;
    options.url = std::move(url);
    options.unavailable_code = "control_store_unavailable";
    return storage::OpenPostgresDatabase(std::move(options));
  }
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    if (!std::filesystem::create_directories(data_dir, ec) && ec) {
      return base::Internal("control store: cannot create " + data_dir.string() + ": " +
                            ec.message());
    }
    // The directory will hold the master key, sealed secrets and every
    // tenant's data: owner only. Permissions of an existing directory are
    // the operator's choice and left alone.
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  storage::SqliteDatabaseOptions options;
  options.unavailable_code = "control_store_unavailable";
  return storage::OpenSqliteDatabase(data_dir / "control.db", std::move(options));
}

ControlStore::ControlStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlStore::~ControlStore() = default;

storage::Database& ControlStore::database() { return *impl_->db; }

Async<std::unique_ptr<ControlStore>> ControlStore::Open(std::unique_ptr<storage::Database> db,
                                                        const crypto::SecretBox& box,
                                                        ControlStoreOptions options) {
  auto applied = co_await storage::ApplyMigrations(*db, ControlMigrations());
  if (!applied) co_return std::move(applied).error();
  auto impl = std::make_unique<Impl>();
  if (options.change_poll_interval.count() == 0) {
    options.change_poll_interval =
        db->engine() == storage::Engine::kPostgres ? kPostgresPollInterval : kSqlitePollInterval;
  }
  impl->db = std::move(db);
  impl->box = &box;
  impl->options = std::move(options);
  impl->last_confirmed_ns = SteadyNowNs(*impl->options.clock);  // migrations just read it
  impl->api_key_pepper =
      std::make_unique<crypto::HmacSha256Key>(box.DeriveKey("api-key-pepper").Reveal());
  co_return std::unique_ptr<ControlStore>(new ControlStore(std::move(impl)));
}

uint64_t ControlStore::Generation() const {
  return impl_->generation.load(std::memory_order_acquire);
}

AsyncStatus ControlStore::RefreshGeneration() {
  // Another process's change shows only in the database: read the counter
  // its transaction bumped, at most once per interval and by one caller at
  // a time (the others go on with the generation they have).
  const base::Clock& clock = *impl_->options.clock;
  const int64_t now = SteadyNowNs(clock);
  int64_t last = impl_->last_epoch_poll_ns.load(std::memory_order_relaxed);
  if (now - last >= Nanoseconds(impl_->options.change_poll_interval) &&
      impl_->last_epoch_poll_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    auto rows = co_await impl_->db->Query("SELECT value FROM cache_epoch WHERE id = 1");
    if (rows && !rows->empty()) {
      const int64_t epoch = rows->front().Int64(0);
      if (impl_->last_epoch.exchange(epoch) != epoch) impl_->Changed();
      impl_->last_confirmed_ns.store(SteadyNowNs(clock), std::memory_order_relaxed);
      co_return storage::Ok();
    }
  }
  // Not read now (another caller is reading it, or it cannot be reached):
  // the caches stay as they are while they are recent enough.
  const int64_t bound = Nanoseconds(impl_->options.max_staleness);
  const int64_t confirmed = impl_->last_confirmed_ns.load(std::memory_order_relaxed);
  if (bound > 0 && SteadyNowNs(clock) - confirmed > bound) {
    co_return base::MakeError(
        base::ErrorCode::kUnavailable, "control_store_unavailable",
        "The server cannot reach its control store to confirm that credentials are still valid; "
        "try again shortly.",
        "cached credentials unconfirmed for more than " +
            std::to_string(impl_->options.max_staleness.count()) + " ms");
  }
  co_return storage::Ok();
}

base::Result<std::optional<base::TimePoint>> ColumnOptionalTime(const storage::Row& row,
                                                                int column) {
  if (row.IsNull(column)) return std::optional<base::TimePoint>();
  const std::optional<base::TimePoint> t = base::ParseRfc3339(row.Text(column));
  if (!t) return base::Internal("control store: unparseable timestamp");
  return std::optional<base::TimePoint>(*t);
}

Async<std::optional<std::string>> ControlStore::GetSetting(std::string_view key) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query("SELECT value FROM settings WHERE key = $1", key));
  if (rows.empty()) co_return std::optional<std::string>();
  co_return std::optional<std::string>(rows.front().Text(0));
}

AsyncStatus ControlStore::PutSetting(std::string_view key, std::string_view value) {
  co_return co_await impl_->db->Exec(
      "INSERT INTO settings (key, value) VALUES ($1, $2)"
      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key, value);
}

AsyncStatus ControlStore::Ping() { co_return co_await impl_->db->Exec("SELECT 1"); }

Async<int> ControlStore::SchemaVersion() { co_return co_await storage::SchemaVersion(*impl_->db); }

}  // namespace tenantd::control
