#include "tenant_db/tenant_databases.h"

#include <fcntl.h>
#include <unistd.h>

#include <system_error>
#include <utility>

#include "base/crash_point.h"

namespace tenantd::tenant_db {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDbSuffix = ".db";
constexpr std::string_view kProvisioningSuffix = ".provisioning";
// SQLite's companion files of a WAL database.
constexpr std::string_view kCompanionSuffixes[] = {"-wal", "-shm", "-journal"};

base::Error FileError(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return base::Internal("tenant database: " + std::string(what) + " " + path.string() + ": " +
                        ec.message());
}

// Flushes a file's (or a directory's) contents to disk.
base::Status Fsync(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return FileError("cannot open", path, {errno, std::generic_category()});
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return FileError("cannot fsync", path, {saved, std::generic_category()});
  return {};
}

// Removes a database file and its companions; OK when absent.
base::Status RemoveDatabaseFiles(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return FileError("cannot remove", path, ec);
  for (std::string_view suffix : kCompanionSuffixes) {
    fs::path companion = path;
    companion += suffix;
    fs::remove(companion, ec);
    if (ec) return FileError("cannot remove", companion, ec);
  }
  return {};
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "ten_…" of "ten_….db", "ten_….db-wal" etc.; empty for other names.
std::string_view TenantIdOfFile(std::string_view name) {
  for (std::string_view suffix : kCompanionSuffixes) {
    if (EndsWith(name, suffix)) {
      name.remove_suffix(suffix.size());
      break;
    }
  }
  if (!EndsWith(name, kDbSuffix) || !name.starts_with("ten_")) return {};
  name.remove_suffix(kDbSuffix.size());
  return name;
}

}  // namespace

TenantDatabases::TenantDatabases(fs::path data_dir, std::vector<storage::Migration> migrations)
    : data_dir_(std::move(data_dir)),
      tenants_dir_(data_dir_ / "tenants"),
      migrations_(std::move(migrations)) {}

int TenantDatabases::LatestVersion() const {
  return migrations_.empty() ? 0 : migrations_.back().version;
}

std::string TenantDatabases::RelativePath(std::string_view tenant_id) {
  return "tenants/" + std::string(tenant_id) + std::string(kDbSuffix);
}

fs::path TenantDatabases::PathOf(std::string_view tenant_id) const {
  return tenants_dir_ / (std::string(tenant_id) + std::string(kDbSuffix));
}

base::Result<std::unique_ptr<storage::sqlite::Connection>> TenantDatabases::Open(
    std::string_view tenant_id) const {
  return Open(tenant_id, {});
}

base::Result<std::unique_ptr<storage::sqlite::Connection>> TenantDatabases::OpenPooled(
    std::string_view tenant_id) const {
  // The pool checkpoints off the event loop (TenantDbPool::Return).
  return Open(tenant_id, {.manual_checkpoints = true});
}

base::Result<std::unique_ptr<storage::sqlite::Connection>> TenantDatabases::Open(
    std::string_view tenant_id, const storage::sqlite::OpenOptions& base) const {
  storage::sqlite::OpenOptions options = base;
  options.create_if_missing = false;
  options.cache_size_kib = kTenantCacheSizeKib;
  // The pool opens and closes tenant databases all day: keep their WAL
  // and shared-memory files instead of creating and deleting two files
  // per open (see OpenOptions::persist_wal).
  options.persist_wal = true;
  auto db = storage::sqlite::Connection::Open(PathOf(tenant_id), options);
  if (!db) {
    if (db.error().code == base::ErrorCode::kNotFound) {
      return base::MakeError(base::ErrorCode::kNotFound, "tenant_database_missing",
                             "The tenant's database does not exist.",
                             "no database at " + PathOf(tenant_id).string());
    }
    return std::move(db).error();
  }
  return std::move(*db);
}

base::Status TenantDatabases::Provision(std::string_view tenant_id) const {
  base::PausePoint("tenant_create.provisioning");
  std::error_code ec;
  fs::create_directories(tenants_dir_, ec);
  if (ec) return FileError("cannot create", tenants_dir_, ec);
  const fs::path final_path = PathOf(tenant_id);
  if (fs::exists(final_path, ec)) {
    return base::MakeError(base::ErrorCode::kAlreadyExists, "tenant_database_exists",
                           "The tenant's database already exists.",
                           "refusing to overwrite " + final_path.string());
  }
  fs::path temporary = final_path;
  temporary += kProvisioningSuffix;
  TENANTD_RETURN_IF_ERROR(RemoveDatabaseFiles(temporary));

  base::Status built = [&]() -> base::Status {
    TENANTD_TRY(std::unique_ptr<storage::sqlite::Connection> db,
                storage::sqlite::Connection::Open(temporary));
    // Nobody reads the file before it is renamed into place, and it is
    // flushed once below: no fsync per migration.
    TENANTD_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = OFF"));
    TENANTD_RETURN_IF_ERROR(storage::sqlite::ApplyMigrations(*db, migrations_));
    return {};
    // Closing the only connection checkpoints the WAL into the file and
    // deletes the -wal file.
  }();
  if (built) {
    fs::path wal = temporary;
    wal += "-wal";
    if (fs::exists(wal, ec))
      built = base::Internal("tenant database: WAL left after close: " + wal.string());
  }
  if (built) built = Fsync(temporary, /*directory=*/false);
  if (built) {
    fs::rename(temporary, final_path, ec);
    if (ec) built = FileError("cannot rename into place", final_path, ec);
  }
  if (!built) {
    (void)RemoveDatabaseFiles(temporary);
    return built;
  }
  return Fsync(tenants_dir_, /*directory=*/true);
}

base::Status TenantDatabases::Remove(std::string_view tenant_id) const {
  TENANTD_RETURN_IF_ERROR(RemoveDatabaseFiles(PathOf(tenant_id)));
  std::error_code ec;
  if (fs::exists(tenants_dir_, ec)) return Fsync(tenants_dir_, /*directory=*/true);
  return {};
}

base::Result<MigrateOutcome> TenantDatabases::Migrate(std::string_view tenant_id) const {
  MigrateOutcome outcome;
  auto opened = Open(tenant_id);
  if (!opened && opened.error().problem_code == "tenant_database_missing") {
    TENANTD_RETURN_IF_ERROR(Provision(tenant_id));
    outcome.created = true;
    outcome.to = LatestVersion();
    return outcome;
  }
  if (!opened) return std::move(opened).error();
  std::unique_ptr<storage::sqlite::Connection> db = std::move(*opened);
  TENANTD_TRY(outcome.from, storage::sqlite::SchemaVersion(*db));
  TENANTD_RETURN_IF_ERROR(storage::sqlite::ApplyMigrations(*db, migrations_));
  TENANTD_TRY(outcome.to, storage::sqlite::SchemaVersion(*db));
  return outcome;
}

base::Result<int> TenantDatabases::Version(std::string_view tenant_id) const {
  TENANTD_TRY(std::unique_ptr<storage::sqlite::Connection> db, Open(tenant_id));
  return storage::sqlite::SchemaVersion(*db);
}

base::Result<std::vector<std::string>> TenantDatabases::RemoveOrphans(
    const std::function<bool(std::string_view)>& is_known) const {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::exists(tenants_dir_, ec)) return removed;
  std::vector<fs::path> doomed;
  for (const fs::directory_entry& entry : fs::directory_iterator(tenants_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    bool orphan = name.find(kProvisioningSuffix) != std::string::npos;
    if (!orphan) {
      const std::string_view id = TenantIdOfFile(name);
      orphan = !id.empty() && !is_known(id);
    }
    if (orphan) doomed.push_back(entry.path());
  }
  if (ec) return FileError("cannot list", tenants_dir_, ec);
  for (const fs::path& path : doomed) {
    fs::remove(path, ec);
    if (ec) return FileError("cannot remove", path, ec);
    removed.push_back(path.filename().string());
  }
  if (!removed.empty()) TENANTD_RETURN_IF_ERROR(Fsync(tenants_dir_, /*directory=*/true));
  return removed;
}

}  // namespace tenantd::tenant_db
