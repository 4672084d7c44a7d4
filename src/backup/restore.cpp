#include "backup/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <memory>
#include <set>
#include <system_error>
#include <thread>

#include "backup/internal/archive.h"
#include "base/crash_point.h"
#include "storage/sqlite/connection.h"
#include "tenant_db/restore_marks.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::backup {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using internal::FileError;

constexpr std::string_view kJournal = "journal.json";
constexpr std::string_view kStagedDb = "tenant.db";
constexpr std::string_view kStagedUploads = "uploads";
constexpr std::string_view kPreviousUploads = "previous-uploads";

fs::path StagingDir(const fs::path& data_dir, std::string_view tenant_id) {
  return data_dir / "restore" / std::string(tenant_id);
}

struct Journal {
  std::string state;         // "prepared" | "committing"
  bool had_uploads = false;  // the tenant had an upload tree before
  bool has_uploads = false;  // the archive brings one
};

base::Status WriteJournal(const fs::path& stage, const Journal& j) {
  return internal::WriteFileAtomically(
      stage / kJournal,
      json::serialize(json::object{
          {"state", j.state}, {"had_uploads", j.had_uploads}, {"has_uploads", j.has_uploads}}));
}

std::optional<Journal> ReadJournal(const fs::path& stage) {
  std::string text;
  if (std::FILE* f = std::fopen((stage / kJournal).c_str(), "rb")) {
    char buf[1024];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  } else {
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  Journal j;
  if (auto* s = o.if_contains("state"); s && s->is_string()) j.state = s->as_string().c_str();
  if (auto* b = o.if_contains("had_uploads"); b && b->is_bool()) j.had_uploads = b->as_bool();
  if (auto* b = o.if_contains("has_uploads"); b && b->is_bool()) j.has_uploads = b->as_bool();
  return j;
}

base::Status Rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return FileError("cannot rename to " + to.string(), from, errno);
  return {};
}

base::Status RemoveAll(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return FileError("cannot remove", path, ec.value());
  return {};
}

// Step 5: the staged tree into place, then the staged database over the
// live one. Idempotent, so a crash anywhere in it is finished by running
// it again.
base::Status RollForward(const tenant_db::TenantDatabases& databases, std::string_view tenant_id,
                         const fs::path& stage, const Journal& j) {
  const fs::path live = UploadsDir(databases.data_dir(), tenant_id);
  const fs::path staged = stage / kStagedUploads;
  std::error_code ec;
  if (j.has_uploads) {
    if (fs::exists(staged, ec)) {
      // Whatever is at the live path now is no tenant state (the previous
      // tree was moved aside before the commit point).
      TENANTD_RETURN_IF_ERROR(RemoveAll(live));
      fs::create_directories(live.parent_path(), ec);
      if (ec) return FileError("cannot create", live.parent_path(), ec.value());
      TENANTD_RETURN_IF_ERROR(Rename(staged, live));
      TENANTD_RETURN_IF_ERROR(internal::Fsync(live.parent_path(), /*directory=*/true));
    }  // else: renamed before a crash
  } else {
    TENANTD_RETURN_IF_ERROR(RemoveAll(live));
  }
  base::CrashPoint("restore.files_swapped");
  {
    // Never create: an empty staged database copied over the live one
    // would be the worst possible restore.
    storage::sqlite::OpenOptions existing;
    existing.create_if_missing = false;
    TENANTD_TRY(auto source, storage::sqlite::Connection::Open(stage / kStagedDb, existing));
    TENANTD_TRY(auto destination, databases.Open(tenant_id));
    TENANTD_RETURN_IF_ERROR(storage::sqlite::CopyDatabase(*source, *destination));
  }
  base::CrashPoint("restore.database_copied");
  return {};
}

// Undoes steps 3 and 5's tree swap: the live tree becomes what it was.
// The database needs nothing: it is replaced only by one atomic copy.
base::Status RollBack(const fs::path& data_dir, std::string_view tenant_id, const fs::path& stage,
                      const Journal& j) {
  const fs::path live = UploadsDir(data_dir, tenant_id);
  const fs::path previous = stage / kPreviousUploads;
  std::error_code ec;
  if (j.had_uploads) {
    if (fs::exists(previous, ec)) {
      TENANTD_RETURN_IF_ERROR(RemoveAll(live));
      TENANTD_RETURN_IF_ERROR(Rename(previous, live));
      TENANTD_RETURN_IF_ERROR(internal::Fsync(live.parent_path(), /*directory=*/true));
    }  // else: never moved aside, the live tree is the previous one
  } else {
    TENANTD_RETURN_IF_ERROR(RemoveAll(live));
  }
  return {};
}

// Recovers the staging directory of a restore whose process is gone (the
// caller holds the tenant's lock). Returns what it did, for the log.
base::Result<std::string> Recover(const tenant_db::TenantDatabases& databases,
                                  std::string_view tenant_id, const fs::path& stage) {
  const std::optional<Journal> j = ReadJournal(stage);
  std::error_code ec;
  const std::string who = "restore of tenant " + std::string(tenant_id);
  if (!j || (j->state != "prepared" && j->state != "committing")) {
    TENANTD_RETURN_IF_ERROR(RemoveAll(stage));
    return who + ": discarded an unfinished staging directory (nothing had been touched)";
  }
  if (!fs::exists(databases.PathOf(tenant_id), ec)) {
    // Purged meanwhile: nothing to restore into.
    TENANTD_RETURN_IF_ERROR(RemoveAll(stage));
    return who + ": the tenant is gone; discarded";
  }
  if (j->state == "prepared") {
    TENANTD_RETURN_IF_ERROR(RollBack(databases.data_dir(), tenant_id, stage, *j));
    TENANTD_RETURN_IF_ERROR(RemoveAll(stage));
    return who + ": interrupted before its commit point; rolled back";
  }
  TENANTD_RETURN_IF_ERROR(RollForward(databases, tenant_id, stage, *j));
  TENANTD_RETURN_IF_ERROR(RemoveAll(stage));
  return who + ": interrupted after its commit point; finished";
}

// A file being extracted; closed when the last reference goes.
struct OutFile {
  int fd = -1;
  fs::path path;
  ~OutFile() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Restorer::Restorer(const tenant_db::TenantDatabases& databases, tenant_db::RestoreMarks* marks,
                   RestoreOptions options)
    : databases_(databases), marks_(marks), options_(options) {}

base::Result<RestoreOutcome> Restorer::Restore(std::string_view tenant_id, const fs::path& archive,
                                               std::string_view source_tenant_id) const {
  const fs::path& data_dir = databases_.data_dir();
  TENANTD_TRY(internal::TenantLock lock, internal::TenantLock::TryAcquire(data_dir, tenant_id));
  std::error_code ec;
  if (!fs::exists(databases_.PathOf(tenant_id), ec)) {
    return base::MakeError(base::ErrorCode::kNotFound, "not_found",
                           "The tenant has no database to restore into.",
                           "no database for " + std::string(tenant_id));
  }
  const fs::path stage = StagingDir(data_dir, tenant_id);
  // A leftover of a restore that died (we hold the lock, so it is dead).
  if (fs::exists(stage, ec)) {
    TENANTD_TRY(std::string recovered, Recover(databases_, tenant_id, stage));
    (void)recovered;
  }
  fs::create_directories(stage, ec);
  if (ec) return FileError("cannot create", stage, ec.value());
  // Until the journal exists, failing means deleting the staging directory.
  struct Discard {
    fs::path stage;
    bool armed = true;
    ~Discard() {
      if (!armed) return;
      std::error_code ignored;
      fs::remove_all(stage, ignored);
    }
  } discard{stage};

  // 1. Stage and verify in one pass.
  std::set<fs::path> dirs{stage};
  auto sink = [&](std::string_view name, uint64_t) -> base::Result<EntrySink> {
    fs::path path;
    if (name == kDatabaseEntry) {
      path = stage / kStagedDb;
    } else if (name.starts_with("uploads/")) {
      path = stage / kStagedUploads / std::string(name.substr(8));
    } else {
      return EntrySink{};  // dumps are for the operator (docs/operations.md)
    }
    std::error_code mk;
    for (fs::path d = path.parent_path(); d != stage && dirs.insert(d).second;
         d = d.parent_path()) {
    }
    fs::create_directories(path.parent_path(), mk);
    if (mk) return FileError("cannot create", path.parent_path(), mk.value());
    auto out = std::make_shared<OutFile>();
    out->path = path;
    out->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out->fd < 0) return FileError("cannot create", path, errno);
    EntrySink s;
    s.write = [out](const char* p, std::size_t n) { return internal::WriteAll(out->fd, p, n); };
    s.finish = [out]() -> base::Status {
      if (::fsync(out->fd) != 0) return FileError("cannot fsync", out->path, errno);
      ::close(out->fd);
      out->fd = -1;
      return {};
    };
    return s;
  };
  TENANTD_TRY(VerifiedArchive verified, ReadArchive(archive, sink, options_.on_read));
  if (!source_tenant_id.empty() && verified.manifest.tenant_id != source_tenant_id) {
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "backup_tenant_mismatch",
                           "The backup belongs to another tenant.",
                           "archive of " + verified.manifest.tenant_id + ", restoring " +
                               std::string(source_tenant_id));
  }
  RestoreOutcome outcome;
  outcome.manifest = verified.manifest;
  outcome.bytes = verified.bytes;
  for (const ManifestEntry& e : verified.manifest.entries) {
    if (e.path.starts_with("uploads/")) ++outcome.files;
  }
  const int latest = databases_.LatestVersion();
  {
    storage::sqlite::OpenOptions existing;
    existing.create_if_missing = false;
    TENANTD_TRY(auto staged, storage::sqlite::Connection::Open(stage / kStagedDb, existing));
    TENANTD_TRY(int version, storage::sqlite::SchemaVersion(*staged));
    if (version > latest || verified.manifest.schema_version > latest) {
      return base::MakeError(
          base::ErrorCode::kFailedPrecondition, "schema_too_new",
          "The backup has a newer schema than this tenantd; upgrade first.",
          "archive schema " + std::to_string(version) + ", binary " + std::to_string(latest));
    }
    // An older backup is brought to this binary's schema before it
    // replaces anything, so the tenant never serves an old schema.
    TENANTD_RETURN_IF_ERROR(storage::sqlite::ApplyMigrations(*staged, databases_.migrations()));
  }
  TENANTD_RETURN_IF_ERROR(internal::Fsync(stage / kStagedDb, /*directory=*/false));
  for (const fs::path& d : dirs) TENANTD_RETURN_IF_ERROR(internal::Fsync(d, /*directory=*/true));
  base::CrashPoint("restore.staged");

  // 2. Mark.
  Journal journal;
  journal.state = "prepared";
  journal.had_uploads = fs::exists(UploadsDir(data_dir, tenant_id), ec);
  journal.has_uploads = fs::exists(stage / kStagedUploads, ec);
  if (marks_) marks_->Mark(tenant_id);
  struct Unmark {
    tenant_db::RestoreMarks* marks;
    std::string tenant_id;
    ~Unmark() {
      if (marks) marks->Unmark(tenant_id);
    }
  } unmark{marks_, std::string(tenant_id)};
  TENANTD_RETURN_IF_ERROR(WriteJournal(stage, journal));
  discard.armed = false;
  auto roll_back_now = [&]() {
    (void)RollBack(data_dir, tenant_id, stage, journal);
    std::error_code ignored;
    fs::remove_all(stage, ignored);
  };
  if (options_.settle.count() > 0) std::this_thread::sleep_for(options_.settle);

  // 3. The previous tree aside.
  if (journal.had_uploads) {
    const fs::path live = UploadsDir(data_dir, tenant_id);
    if (auto moved = Rename(live, stage / kPreviousUploads); !moved) {
      roll_back_now();
      return std::move(moved).error();
    }
    if (auto synced = internal::Fsync(live.parent_path(), /*directory=*/true); !synced) {
      roll_back_now();
      return std::move(synced).error();
    }
  }
  base::CrashPoint("restore.moved_previous");

  // 4. Commit point.
  journal.state = "committing";
  if (auto committed = WriteJournal(stage, journal); !committed) {
    journal.state = "prepared";
    roll_back_now();
    return std::move(committed).error();
  }
  base::CrashPoint("restore.committed");

  // 5. Roll forward; a failure (not a crash) rolls back on the spot.
  if (auto forward = RollForward(databases_, tenant_id, stage, journal); !forward) {
    roll_back_now();
    return std::move(forward).error();
  }
  // 6. Done.
  TENANTD_RETURN_IF_ERROR(RemoveAll(stage));
  return outcome;
}

base::Result<std::vector<std::string>> Restorer::Sweep() const {
  std::vector<std::string> lines;
  std::set<std::string, std::less<>> in_progress;
  if (marks_) marks_->BeginSweep();
  const fs::path root = databases_.data_dir() / "restore";
  std::error_code ec;
  if (fs::exists(root, ec)) {
    std::vector<std::string> tenants;
    for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
      if (e.is_directory(ec)) tenants.push_back(e.path().filename().string());
    }
    for (const std::string& tenant_id : tenants) {
      const fs::path stage = root / tenant_id;
      auto lock = internal::TenantLock::TryAcquire(databases_.data_dir(), tenant_id);
      if (!lock) {
        // Running (here or in another process): marked once it has a journal.
        if (lock.error().problem_code == "tenant_busy" && fs::exists(stage / kJournal, ec)) {
          in_progress.insert(tenant_id);
        }
        continue;
      }
      // Finished (and removed) between the listing and the lock.
      if (!fs::exists(stage, ec)) continue;
      auto done = Recover(databases_, tenant_id, stage);
      if (!done) {
        // Left for the next sweep; the tenant stays marked meanwhile.
        in_progress.insert(tenant_id);
        lines.push_back("restore of tenant " + tenant_id +
                        ": recovery failed: " + done.error().log_detail);
        continue;
      }
      lines.push_back(std::move(*done));
    }
  }
  if (marks_) marks_->SetSwept(std::move(in_progress));
  return lines;
}

}  // namespace tenantd::backup
