// Opening the control store, change detection, settings and health; the
// domains live beside it (tenants.cpp, app_credentials.cpp, api_keys.cpp,
// usage.cpp) and the schema in migrations.cpp.
#include "control/control_store.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
// While a LISTEN connection announces every change, the log is still read
// this often: a notification can be lost (sent while the listener
// reconnects, or a connection that died without a word).
constexpr std::chrono::milliseconds kListeningPollInterval{1000};
// The longest a request waits for another's read of the change log when
// the caches are past their staleness bound (then it answers 503).
constexpr std::chrono::seconds kReadWaitLimit{2};
// Changes read at once; a node further behind drops all its caches.
constexpr int kMaxChangesPerRead = 1000;
// Changes kept in the log (pruned by housekeeping).
constexpr int kChangeLogKept = 10'000;

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

uint64_t ControlStore::Generation() const { return impl_->journal.Latest(); }

ChangeJournal::Since ControlStore::ChangesSince(uint64_t generation) const {
  return impl_->journal.ChangesSince(generation);
}

void ControlStore::ChangesAnnounced() {
  impl_->last_epoch_poll_ns.store(0, std::memory_order_relaxed);
}

void ControlStore::SetListening(bool listening) {
  impl_->listening.store(listening, std::memory_order_relaxed);
}

// Reads the changes committed since the last read (cache_changes between
// the last epoch seen and the current one) into the journal: the tenants
// named when the log holds every one of them, else everything.
AsyncStatus ControlStore::ReadChanges() {
  const int64_t last = impl_->last_epoch.load(std::memory_order_relaxed);
  if (last < 0) {
    // The first read: nothing is cached that predates it.
    TENANTD_CO_TRY(storage::Rows rows,
                   co_await impl_->db->Query("SELECT value FROM cache_epoch WHERE id = 1"));
    if (rows.empty()) co_return base::Internal("control store: cache_epoch has no row");
    impl_->last_epoch.store(rows.front().Int64(0), std::memory_order_relaxed);
    impl_->journal.AddEverything();
    co_return storage::Ok();
  }
  TENANTD_CO_TRY(
      storage::Rows rows,
      co_await impl_->db->Query("SELECT e.value, c.epoch, c.tenant_id FROM cache_epoch e"
                                " LEFT JOIN cache_changes c ON c.epoch > $1 AND c.epoch <= e.value"
                                " WHERE e.id = 1 ORDER BY c.epoch LIMIT $2",
                                last, static_cast<int64_t>(kMaxChangesPerRead + 1)));
  if (rows.empty()) co_return base::Internal("control store: cache_epoch has no row");
  const int64_t epoch = rows.front().Int64(0);
  if (epoch != last) {
    std::vector<std::string> tenants;
    int64_t expected = last + 1;
    bool complete = epoch > last;
    for (const storage::Row& row : rows.rows) {
      if (!complete || row.IsNull(1)) break;
      complete = row.Int64(1) == expected++;
      tenants.push_back(row.Text(2));
    }
    if (complete && expected == epoch + 1) {
      impl_->journal.Add(tenants);
    } else {
      // Pruned, too many, or the database was replaced: drop everything.
      impl_->journal.AddEverything();
    }
    impl_->last_epoch.store(epoch, std::memory_order_relaxed);
  }
  co_return storage::Ok();
}

AsyncStatus ControlStore::RefreshGeneration() {
  // Another process's change shows only in the database: read the log its
  // transaction wrote, at most once per interval (longer while a LISTEN
  // connection announces changes) and by one caller at a time (the others
  // go on with the caches they have).
  const base::Clock& clock = *impl_->options.clock;
  const int64_t now = SteadyNowNs(clock);
  int64_t last = impl_->last_epoch_poll_ns.load(std::memory_order_relaxed);
  const auto interval = impl_->listening.load(std::memory_order_relaxed)
                            ? kListeningPollInterval
                            : impl_->options.change_poll_interval;
  if (now - last >= Nanoseconds(interval) &&
      impl_->last_epoch_poll_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    impl_->reads_in_flight.fetch_add(1, std::memory_order_acq_rel);
    const base::Status read = co_await ReadChanges();
    if (read) impl_->last_confirmed_ns.store(SteadyNowNs(clock), std::memory_order_relaxed);
    impl_->reads_in_flight.fetch_sub(1, std::memory_order_acq_rel);
    if (read) co_return storage::Ok();
  }
  // Not read now (another caller is reading it, or it cannot be reached):
  // the caches stay as they are while they are recent enough.
  const int64_t bound = Nanoseconds(impl_->options.max_staleness);
  auto stale = [&] {
    const int64_t confirmed = impl_->last_confirmed_ns.load(std::memory_order_relaxed);
    return bound > 0 && SteadyNowNs(clock) - confirmed > bound;
  };
  // After an idle spell longer than the bound, the first request of a burst
  // reads the log and the others would find the caches stale meanwhile:
  // they wait for that read (a few milliseconds) instead of answering 503.
  // Real time here, not options.clock: this waits for I/O.
  if (stale() && impl_->reads_in_flight.load(std::memory_order_acquire) > 0) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + kReadWaitLimit;
    while (impl_->reads_in_flight.load(std::memory_order_acquire) > 0 &&
           std::chrono::steady_clock::now() < give_up) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
  }
  if (stale()) {
    co_return base::MakeError(
        base::ErrorCode::kUnavailable, "control_store_unavailable",
        "The server cannot reach its control store to confirm that credentials are still valid; "
        "try again shortly.",
        "cached credentials unconfirmed for more than " +
            std::to_string(impl_->options.max_staleness.count()) + " ms");
  }
  co_return storage::Ok();
}

AsyncStatus ControlStore::PruneChangeLog() {
  co_return co_await impl_->db->Exec(
      "DELETE FROM cache_changes WHERE epoch <= (SELECT value FROM cache_epoch WHERE id = 1) - $1",
      static_cast<int64_t>(kChangeLogKept));
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
