// Per-tenant backups (api.md §3 and §9; docs/operations.md "Backups").
//
// A backup is one file, <data>/backups/<tenant_id>/<UTC timestamp>.tar.gz
// (gzip'd pax tar), holding:
//   database/tenant.db   a consistent snapshot of the tenant database, taken
//                        with SQLite's online backup API while the server
//                        keeps serving writes;
//   uploads/<key>        every file the snapshot's `files` table lists, by
//                        storage_key (relative to the tenant's upload dir);
//   dumps/database.dump  the output of the external dump hook, if configured;
//   manifest.json        format version, tenant, created_at, tenantd and
//                        schema version, and each entry's size and SHA-256.
// Beside it, <timestamp>.json records the backup's id ("bkp_…"), size and
// SHA-256 for listing without opening archives.
//
// A file deleted between the snapshot and its copy is treated as deleted
// at the snapshot: its row is dropped from the archived database (file
// totals follow by trigger) and the manifest notes it, so an archive never
// lists bytes it does not hold.
//
// Durability: the archive is written as <timestamp>.tar.gz.partial, fsynced,
// its listing record written, then renamed into place and the directory
// fsynced. Leftovers of an interrupted backup are removed by the next
// backup of the tenant. Memory stays flat: contents stream in 1 MiB chunks.
//
// Thread-safe (no mutable state); one backup or restore per tenant at a
// time, across processes (an advisory lock; the second gets
// kFailedPrecondition "tenant_busy"). Blocking: call off the event loop.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "control/control_store.h"

namespace tenantd::tenant_db {
class TenantDatabases;
}
namespace tenantd::files {
class BlobStore;
}

namespace tenantd::backup {

// Archives of a newer format are refused (restore and verify).
inline constexpr int kFormatVersion = 1;
inline constexpr std::string_view kDatabaseEntry = "database/tenant.db";
inline constexpr std::string_view kManifestEntry = "manifest.json";
inline constexpr std::string_view kDumpEntry = "dumps/database.dump";

struct ManifestEntry {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
};

struct Manifest {
  int format_version = kFormatVersion;
  std::string tenant_id, tenant_slug, tenant_name, tenant_plan;
  std::string created_at;  // RFC 3339
  std::string tenantd_version;
  int schema_version = 0;
  std::vector<ManifestEntry> entries;  // every entry but the manifest itself
  std::vector<std::string> notes;      // e.g. files skipped as deleted meanwhile
};

boost::json::object ManifestToJson(const Manifest& m);

struct BackupInfo {
  std::string id;  // "bkp_" + ULID
  std::string tenant_id;
  base::TimePoint created_at;
  uint64_t size = 0;   // archive bytes
  std::string sha256;  // of the whole archive file
  std::filesystem::path path;
};

// {"id","created_at","size","sha256","path"} (path relative to the data dir).
boost::json::object BackupToJson(const BackupInfo& b, const std::filesystem::path& data_dir);

struct BackupOptions {
  // The external dump hook (docs/configuration.md, TENANTD_BACKUP_DUMP_COMMAND):
  // run by /bin/sh per tenant with {tenant_id}, {slug} and {data} replaced
  // (and TENANTD_TENANT_ID / TENANTD_TENANT_SLUG in its environment); its
  // stdout becomes dumps/database.dump. Empty = no hook. A non-zero exit
  // fails the backup.
  std::string dump_command;
  // Where the tenants' file bytes are read from: null = the local layout
  // (UploadsDir); else that store (S3), read on the calling thread through
  // a private event loop.
  files::BlobStore* blobs = nullptr;
};

// <data>/backups/<tenant_id>
std::filesystem::path BackupDir(const std::filesystem::path& data_dir, std::string_view tenant_id);
// <data>/storage/uploads/<tenant_id>: the files feature's layout.
std::filesystem::path UploadsDir(const std::filesystem::path& data_dir, std::string_view tenant_id);

class Backups {
 public:
  // `databases` must outlive this object.
  Backups(const tenant_db::TenantDatabases& databases, BackupOptions options = {});

  // Takes a backup of the tenant now (see the file comment).
  base::Result<BackupInfo> Create(const control::Tenant& tenant) const;

  // The tenant's complete backups, oldest first (ids sort by time).
  base::Result<std::vector<BackupInfo>> List(std::string_view tenant_id) const;
  base::Result<std::optional<BackupInfo>> Find(std::string_view tenant_id,
                                               std::string_view backup_id) const;
  // Deletes all but the newest `keep` (>= 1) backups; returns the deleted.
  base::Result<std::vector<BackupInfo>> Prune(std::string_view tenant_id, std::size_t keep) const;

  const std::filesystem::path& data_dir() const;

 private:
  const tenant_db::TenantDatabases& databases_;
  BackupOptions options_;
};

// What reading an archive found.
struct VerifiedArchive {
  Manifest manifest;
  std::string sha256;    // of the archive file
  uint64_t entries = 0;  // data entries (not counting the manifest)
  uint64_t bytes = 0;    // their uncompressed bytes
};

// Where an entry's bytes go while an archive is read (see ReadArchive).
struct EntrySink {
  std::function<base::Status(const char*, std::size_t)> write;  // empty = discard
  std::function<base::Status()> finish;                         // after the last byte
};

// Reads the whole archive, checking every entry's name, size and SHA-256
// against the manifest, that each manifest entry is present exactly once,
// that the database is there, and that the format is one this binary
// knows; and when the archive's listing record (<timestamp>.json) is beside
// it, that the file's SHA-256 is the recorded one (gzip's own CRC cannot
// see every change: a flipped bit in a back-reference into a run of zeros
// decodes to the same bytes). `sink` (optional) is asked where each data entry's bytes go, so a
// restore extracts and verifies in one pass. Errors: kNotFound for a
// missing file, kFailedPrecondition "backup_corrupt" for anything wrong
// with the archive, "backup_format_unsupported" for a newer format; a
// sink's own error as it is.
// `on_read` (optional) follows the read: bytes of the archive file read so
// far and its size.
base::Result<VerifiedArchive> ReadArchive(
    const std::filesystem::path& archive,
    const std::function<base::Result<EntrySink>(std::string_view name, uint64_t size)>& sink = {},
    std::function<void(uint64_t read, uint64_t size)> on_read = {});

// `tenantd backup verify`: ReadArchive without writing anything.
inline base::Result<VerifiedArchive> VerifyArchive(const std::filesystem::path& archive) {
  return ReadArchive(archive);
}

// True for a storage_key the backup will archive and a restore will
// extract: relative, '/'-separated, components of [A-Za-z0-9._-] that are
// neither "." nor "..". Keeps a damaged database or a crafted archive from
// reading or writing outside the tenant's upload directory.
bool IsSafeRelativePath(std::string_view key);

}  // namespace tenantd::backup
