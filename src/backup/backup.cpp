#include "backup/backup.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "backup/internal/archive.h"
#include "base/crash_point.h"
#include "base/ids.h"
#include "base/version.h"
#include "files/blob_store.h"
#include "storage/sqlite/connection.h"
#include "tenant_db/tenant_databases.h"

extern char** environ;

namespace tenantd::backup {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Runs one step of a blob store's coroutine on `io`, a private event loop
// of this (worker) thread, and waits for it: a backup may block.
template <class T>
T RunHere(boost::asio::io_context& io, boost::asio::awaitable<T> step) {
  auto result = boost::asio::co_spawn(io, std::move(step), boost::asio::use_future);
  io.restart();
  io.run();
  return result.get();
}

// Adds the bytes of a file from a blob store as entry `name`; nullopt when
// they are gone (deleted since the snapshot).
base::Result<std::optional<ManifestEntry>> AddBlob(internal::ArchiveWriter& writer,
                                                   files::BlobStore& blobs,
                                                   std::string_view tenant_id, std::string_view key,
                                                   const std::string& name) {
  boost::asio::io_context io;
  auto blob = RunHere(io, blobs.Open(tenant_id, key, 0, 0));
  if (!blob && blob.error().code == base::ErrorCode::kNotFound) {
    return std::optional<ManifestEntry>();
  }
  if (!blob) return blob.error();
  const uint64_t size = blob->size;
  base::Result<std::string> sha = base::Internal("backup: no blob");
  if (blob->fd.valid()) {
    sha = writer.AddFile(name, blob->fd.get(), size);
  } else {
    files::BlobStream& stream = *blob->stream;
    sha = writer.AddStream(name, size,
                           [&](std::span<char> out) { return RunHere(io, stream.Read(out)); });
  }
  if (!sha) return sha.error();
  return std::optional<ManifestEntry>(ManifestEntry{name, size, std::move(*sha)});
}
using internal::FileError;

constexpr std::string_view kArchiveSuffix = ".tar.gz";
constexpr std::string_view kPartialSuffix = ".partial";
constexpr std::string_view kRecordSuffix = ".json";
constexpr std::string_view kWorkPrefix = ".tmp-";
// The manifest is JSON written by us; anything bigger is not ours.
constexpr uint64_t kMaxManifestBytes = 64 << 20;

// "20261123T110501123Z": basic ISO 8601 with milliseconds (no ':', which
// some file systems and tools mishandle).
std::string FileStamp(base::TimePoint t) {
  const std::string rfc = base::FormatRfc3339(t);  // 2026-11-23T11:05:01.123Z
  std::string out;
  for (char c : rfc) {
    if (c != '-' && c != ':' && c != '.') out += c;
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsSafeComponent(std::string_view c) {
  if (c.empty() || c == "." || c == "..") return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
  });
}

json::object RecordJson(const BackupInfo& b) {
  return json::object{{"id", b.id},
                      {"tenant_id", b.tenant_id},
                      {"created_at", base::FormatRfc3339(b.created_at)},
                      {"size", b.size},
                      {"sha256", b.sha256},
                      {"file", b.path.filename().string()}};
}

std::optional<BackupInfo> ParseRecord(const fs::path& dir, std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  try {
    BackupInfo b;
    b.id = json::value_to<std::string>(o.at("id"));
    b.tenant_id = json::value_to<std::string>(o.at("tenant_id"));
    auto created = base::ParseRfc3339(json::value_to<std::string>(o.at("created_at")));
    if (!created) return std::nullopt;
    b.created_at = *created;
    b.size = o.at("size").to_number<uint64_t>();
    b.sha256 = json::value_to<std::string>(o.at("sha256"));
    const std::string file = json::value_to<std::string>(o.at("file"));
    if (!IsSafeComponent(file)) return std::nullopt;
    b.path = dir / file;
    return b;
  } catch (const std::exception&) {
    // Boost.JSON throws on a wrong type: a damaged record lists nothing.
    return std::nullopt;
  }
}

std::string ReadSmallFile(const fs::path& path) {
  std::string out;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// Removes what an interrupted backup left (the tenant's lock is held).
void RemoveLeftovers(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(kWorkPrefix) || EndsWith(name, kPartialSuffix) ||
        EndsWith(name, std::string(kRecordSuffix) + ".tmp")) {
      doomed.push_back(e.path());
    } else if (EndsWith(name, kRecordSuffix)) {
      // A record whose archive never got its final name.
      fs::path archive = e.path();
      archive.replace_extension();  // drop ".json"
      archive += kArchiveSuffix;
      if (!fs::exists(archive, ec)) doomed.push_back(e.path());
    }
  }
  for (const fs::path& p : doomed) fs::remove_all(p, ec);
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs the dump hook with stdout into `out_path`.
base::Status RunDumpHook(const std::string& command_template, const control::Tenant& tenant,
                         const fs::path& data_dir, const fs::path& out_path) {
  std::string command = ReplaceAll(command_template, "{tenant_id}", tenant.id);
  command = ReplaceAll(command, "{slug}", tenant.slug);
  command = ReplaceAll(command, "{data}", ShellQuote(data_dir.string()));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.push_back("TENANTD_TENANT_ID=" + tenant.id);
  env_storage.push_back("TENANTD_TENANT_SLUG=" + tenant.slug);
  std::vector<char*> envp;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c";
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};
  pid_t pid = 0;
  // posix_spawn, not fork: the server has many threads and a large
  // address space; the child only execs.
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return FileError("cannot start the dump hook", "/bin/sh", rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return FileError("cannot wait for the dump hook", "/bin/sh", errno);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return base::MakeError(base::ErrorCode::kInternal, "dump_failed",
                           "The external database dump failed.",
                           "dump hook for " + tenant.id + " exited with status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  return {};
}

// Adds the file at `path` to the archive as `name`.
base::Result<ManifestEntry> AddPath(internal::ArchiveWriter& writer, std::string_view name,
                                    const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return FileError("cannot stat", path, err);
  }
  auto sha = writer.AddFile(name, fd, static_cast<uint64_t>(st.st_size));
  ::close(fd);
  if (!sha) return std::move(sha).error();
  return ManifestEntry{std::string(name), static_cast<uint64_t>(st.st_size), *sha};
}

}  // namespace

bool IsSafeRelativePath(std::string_view key) {
  if (key.empty()) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = key.find('/', start);
    const std::string_view part =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsSafeComponent(part)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

fs::path BackupDir(const fs::path& data_dir, std::string_view tenant_id) {
  return data_dir / "backups" / std::string(tenant_id);
}

fs::path UploadsDir(const fs::path& data_dir, std::string_view tenant_id) {
  return data_dir / "storage" / "uploads" / std::string(tenant_id);
}

json::object ManifestToJson(const Manifest& m) {
  json::array entries;
  for (const ManifestEntry& e : m.entries) {
    entries.push_back(json::object{{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}});
  }
  json::array notes;
  for (const std::string& n : m.notes) notes.push_back(json::string(n));
  return json::object{
      {"format_version", m.format_version},
      {"tenant", json::object{{"id", m.tenant_id},
                              {"slug", m.tenant_slug},
                              {"name", m.tenant_name},
                              {"plan", m.tenant_plan}}},
      {"created_at", m.created_at},
      {"tenantd_version", m.tenantd_version},
      {"schema_version", m.schema_version},
      {"entries", std::move(entries)},
      {"notes", std::move(notes)},
  };
}

json::object BackupToJson(const BackupInfo& b, const fs::path& data_dir) {
  return json::object{{"id", b.id},
                      {"created_at", base::FormatRfc3339(b.created_at)},
                      {"size", b.size},
                      {"sha256", b.sha256},
                      {"path", fs::relative(b.path, data_dir).generic_string()}};
}

Backups::Backups(const tenant_db::TenantDatabases& databases, BackupOptions options)
    : databases_(databases), options_(std::move(options)) {}

const fs::path& Backups::data_dir() const { return databases_.data_dir(); }

base::Result<BackupInfo> Backups::Create(const control::Tenant& tenant) const {
  TENANTD_TRY(internal::TenantLock lock, internal::TenantLock::TryAcquire(data_dir(), tenant.id));
  const fs::path dir = BackupDir(data_dir(), tenant.id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FileError("cannot create", dir, ec.value());
  RemoveLeftovers(dir);

  BackupInfo info;
  info.id = base::NewId("bkp");
  info.tenant_id = tenant.id;
  info.created_at = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::string stamp = FileStamp(info.created_at);
  // Two backups of a tenant in one millisecond (the lock serialises them):
  // the later one waits for the next millisecond rather than overwrite.
  while (fs::exists(dir / (stamp + std::string(kArchiveSuffix)), ec)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    info.created_at =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    stamp = FileStamp(info.created_at);
  }
  info.path = dir / (stamp + std::string(kArchiveSuffix));
  const fs::path work = dir / (std::string(kWorkPrefix) + info.id);
  fs::path partial = info.path;
  partial += kPartialSuffix;
  const fs::path record = dir / (stamp + std::string(kRecordSuffix));
  fs::create_directories(work, ec);
  if (ec) return FileError("cannot create", work, ec.value());
  // Whatever happens below, the work directory goes; the partial archive
  // goes unless it was renamed into place.
  struct Cleanup {
    fs::path work, partial;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(work, ignored);
      fs::remove(partial, ignored);
    }
  } cleanup{work, partial};

  Manifest manifest;
  manifest.tenant_id = tenant.id;
  manifest.tenant_slug = tenant.slug;
  manifest.tenant_name = tenant.name;
  manifest.tenant_plan = tenant.plan;
  manifest.created_at = base::FormatRfc3339(info.created_at);
  manifest.tenantd_version = base::kVersion;

  // 1. The snapshot: one read transaction on the live database, so it is
  // one committed state; writers go on (WAL).
  const fs::path snapshot_path = work / "tenant.db";
  {
    TENANTD_TRY(auto live, databases_.Open(tenant.id));
    TENANTD_TRY(auto snapshot, storage::sqlite::Connection::Open(snapshot_path));
    TENANTD_RETURN_IF_ERROR(storage::sqlite::CopyDatabase(*live, *snapshot));
  }
  base::CrashPoint("backup.after_snapshot");

  TENANTD_TRY(auto writer, internal::ArchiveWriter::Create(partial));
  {
    TENANTD_TRY(auto snapshot, storage::sqlite::Connection::Open(snapshot_path));
    TENANTD_TRY(manifest.schema_version, storage::sqlite::SchemaVersion(*snapshot));
    // 2. The files the snapshot lists (none before the files migration).
    std::vector<std::pair<std::string, std::string>> files;  // id, storage_key
    {
      TENANTD_TRY(storage::sqlite::Statement has,
                  snapshot->Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                    " AND name = 'files'"));
      TENANTD_TRY(bool row, has.Step());
      if (row && has.ColumnInt64(0) > 0) {
        TENANTD_TRY(storage::sqlite::Statement st,
                    snapshot->Prepare("SELECT id, storage_key FROM files ORDER BY id"));
        for (;;) {
          TENANTD_TRY(bool more, st.Step());
          if (!more) break;
          files.emplace_back(st.ColumnText(0), st.ColumnText(1));
        }
      }
    }
    const fs::path uploads = UploadsDir(data_dir(), tenant.id);
    std::vector<std::string> gone;
    for (const auto& [id, key] : files) {
      if (!IsSafeRelativePath(key)) {
        return base::Internal("backup: file " + id + " of " + tenant.id +
                              " has an unsafe storage_key");
      }
      const std::string name = "uploads/" + key;
      if (options_.blobs != nullptr) {
        TENANTD_TRY(std::optional<ManifestEntry> entry,
                    AddBlob(*writer, *options_.blobs, tenant.id, key, name));
        if (!entry) {
          gone.push_back(id);
          continue;
        }
        manifest.entries.push_back(std::move(*entry));
        continue;
      }
      const fs::path path = uploads / key;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) {
        gone.push_back(id);
        continue;
      }
      if (fd < 0) return FileError("cannot open", path, errno);
      // The size comes from the open descriptor: a tar header states it
      // first, and upload files are never modified once in place.
      struct stat st {};
      if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return FileError("cannot stat", path, err);
      }
      auto sha = writer->AddFile(name, fd, static_cast<uint64_t>(st.st_size));
      ::close(fd);
      if (!sha) return std::move(sha).error();
      manifest.entries.push_back({name, static_cast<uint64_t>(st.st_size), *sha});
    }
    // Deleted after the snapshot: as if deleted just before it.
    if (!gone.empty()) {
      TENANTD_TRY(storage::sqlite::Transaction tx, snapshot->Begin());
      TENANTD_TRY(storage::sqlite::Statement del,
                  snapshot->Prepare("DELETE FROM files WHERE id = ?"));
      for (const std::string& id : gone) {
        del.Bind(1, id);
        TENANTD_RETURN_IF_ERROR(del.Step());
        del.Reset();
        manifest.notes.push_back("file " + id +
                                 " was deleted while the backup ran; left out of the archive"
                                 " and its database");
      }
      TENANTD_RETURN_IF_ERROR(tx.Commit());
    }
    // Closing the only connection folds the WAL into the file.
  }
  TENANTD_TRY(ManifestEntry db_entry, AddPath(*writer, kDatabaseEntry, snapshot_path));
  manifest.entries.push_back(std::move(db_entry));

  if (!options_.dump_command.empty()) {
    const fs::path dump = work / "dump.out";
    TENANTD_RETURN_IF_ERROR(RunDumpHook(options_.dump_command, tenant, data_dir(), dump));
    TENANTD_TRY(ManifestEntry dump_entry, AddPath(*writer, kDumpEntry, dump));
    manifest.entries.push_back(std::move(dump_entry));
  }

  TENANTD_TRY(std::string manifest_sha,
              writer->AddBytes(kManifestEntry, json::serialize(ManifestToJson(manifest))));
  (void)manifest_sha;
  TENANTD_TRY(auto finished, writer->Finish());
  info.sha256 = finished.first;
  info.size = finished.second;
  base::CrashPoint("backup.before_rename");

  // The record first: an archive under its final name always has one.
  TENANTD_RETURN_IF_ERROR(internal::WriteFileAtomically(record, json::serialize(RecordJson(info))));
  if (::rename(partial.c_str(), info.path.c_str()) != 0) {
    const int err = errno;
    fs::remove(record, ec);
    return FileError("cannot rename into place", info.path, err);
  }
  TENANTD_RETURN_IF_ERROR(internal::Fsync(dir, /*directory=*/true));
  return info;
}

base::Result<std::vector<BackupInfo>> Backups::List(std::string_view tenant_id) const {
  std::vector<BackupInfo> out;
  const fs::path dir = BackupDir(data_dir(), tenant_id);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".") || !EndsWith(name, kRecordSuffix)) continue;
    auto info = ParseRecord(dir, ReadSmallFile(e.path()));
    if (!info || info->tenant_id != tenant_id || !fs::exists(info->path, ec)) continue;
    out.push_back(std::move(*info));
  }
  if (ec) return FileError("cannot list", dir, ec.value());
  std::sort(out.begin(), out.end(),
            [](const BackupInfo& a, const BackupInfo& b) { return a.id < b.id; });
  return out;
}

base::Result<std::optional<BackupInfo>> Backups::Find(std::string_view tenant_id,
                                                      std::string_view backup_id) const {
  TENANTD_TRY(std::vector<BackupInfo> all, List(tenant_id));
  for (BackupInfo& b : all) {
    if (b.id == backup_id) return std::optional<BackupInfo>(std::move(b));
  }
  return std::optional<BackupInfo>();
}

base::Result<std::vector<BackupInfo>> Backups::Prune(std::string_view tenant_id,
                                                     std::size_t keep) const {
  TENANTD_TRY(std::vector<BackupInfo> all, List(tenant_id));
  std::vector<BackupInfo> removed;
  if (keep == 0 || all.size() <= keep) return removed;
  const fs::path dir = BackupDir(data_dir(), tenant_id);
  for (std::size_t i = 0; i + keep < all.size(); ++i) {
    std::error_code ec;
    // The archive first: a record without its archive is not listed (and
    // is cleaned up by the next backup).
    fs::remove(all[i].path, ec);
    if (ec) return FileError("cannot remove", all[i].path, ec.value());
    fs::path record = all[i].path;
    record.replace_extension();  // .tar.gz -> .tar
    record.replace_extension(kRecordSuffix);
    fs::remove(record, ec);
    removed.push_back(std::move(all[i]));
  }
  TENANTD_RETURN_IF_ERROR(internal::Fsync(dir, /*directory=*/true));
  return removed;
}

base::Result<VerifiedArchive> ReadArchive(
    const fs::path& archive,
    const std::function<base::Result<EntrySink>(std::string_view, uint64_t)>& sink,
    std::function<void(uint64_t read, uint64_t size)> on_read) {
  TENANTD_TRY(auto reader, internal::ArchiveReader::Open(archive, std::move(on_read)));
  // What the archive holds, as read: name -> (size, sha256).
  std::map<std::string, std::pair<uint64_t, std::string>> seen;
  std::optional<std::string> manifest_text;
  VerifiedArchive out;
  for (;;) {
    TENANTD_TRY(auto entry, reader->Next());
    if (!entry) break;
    const std::string& name = entry->name;
    if (!entry->is_regular) return internal::Corrupt("entry " + name + " is not a regular file");
    if (seen.contains(name) || (name == kManifestEntry && manifest_text)) {
      return internal::Corrupt("entry " + name + " appears twice");
    }
    if (name == kManifestEntry) {
      if (entry->size > kMaxManifestBytes) return internal::Corrupt("manifest too large");
      std::string text;
      TENANTD_TRY(auto read, reader->ReadData([&text](const char* p, std::size_t n) {
        text.append(p, n);
        return base::Status();
      }));
      (void)read;
      manifest_text = std::move(text);
      continue;
    }
    const bool known = name == kDatabaseEntry || name == kDumpEntry ||
                       (name.starts_with("uploads/") && IsSafeRelativePath(name.substr(8)));
    if (!known) return internal::Corrupt("unexpected entry " + name);
    EntrySink target;
    if (sink) {
      TENANTD_TRY(target, sink(name, entry->size));
    }
    TENANTD_TRY(auto read, reader->ReadData(target.write));
    if (read.second != entry->size) return internal::Corrupt("entry " + name + " is truncated");
    if (target.finish) TENANTD_RETURN_IF_ERROR(target.finish());
    seen.emplace(name, std::make_pair(read.second, std::move(read.first)));
    ++out.entries;
    out.bytes += read.second;
  }
  if (!manifest_text) return internal::Corrupt("no manifest.json");
  out.sha256 = reader->FileSha256();
  {
    fs::path record = archive;
    record.replace_extension();  // .gz
    record.replace_extension(kRecordSuffix);
    std::error_code exists_ec;
    if (fs::exists(record, exists_ec)) {
      auto info = ParseRecord(archive.parent_path(), ReadSmallFile(record));
      if (info && info->path.filename() == archive.filename() && info->sha256 != out.sha256) {
        return internal::Corrupt("the archive does not match the SHA-256 recorded in " +
                                 record.filename().string());
      }
    }
  }

  boost::system::error_code ec;
  json::value v = json::parse(*manifest_text, ec);
  if (ec || !v.is_object()) return internal::Corrupt("manifest.json does not parse");
  Manifest& m = out.manifest;
  try {
    const json::object& o = v.as_object();
    m.format_version = o.at("format_version").to_number<int>();
    if (m.format_version > kFormatVersion) {
      return base::MakeError(base::ErrorCode::kFailedPrecondition, "backup_format_unsupported",
                             "The backup was written by a newer tenantd.",
                             "format_version " + std::to_string(m.format_version));
    }
    const json::object& t = o.at("tenant").as_object();
    m.tenant_id = json::value_to<std::string>(t.at("id"));
    m.tenant_slug = json::value_to<std::string>(t.at("slug"));
    m.tenant_name = json::value_to<std::string>(t.at("name"));
    m.tenant_plan = json::value_to<std::string>(t.at("plan"));
    m.created_at = json::value_to<std::string>(o.at("created_at"));
    m.tenantd_version = json::value_to<std::string>(o.at("tenantd_version"));
    m.schema_version = o.at("schema_version").to_number<int>();
    for (const json::value& e : o.at("entries").as_array()) {
      const json::object& eo = e.as_object();
      m.entries.push_back({json::value_to<std::string>(eo.at("path")),
                           eo.at("size").to_number<uint64_t>(),
                           json::value_to<std::string>(eo.at("sha256"))});
    }
    if (auto it = o.find("notes"); it != o.end()) {
      for (const json::value& n : it->value().as_array()) {
        m.notes.push_back(json::value_to<std::string>(n));
      }
    }
  } catch (const std::exception& e) {
    return internal::Corrupt(std::string("manifest.json: ") + e.what());
  }
  std::set<std::string> listed;
  for (const ManifestEntry& e : m.entries) {
    auto it = seen.find(e.path);
    if (it == seen.end()) return internal::Corrupt("entry " + e.path + " is missing");
    if (!listed.insert(e.path).second)
      return internal::Corrupt("manifest lists " + e.path + " twice");
    if (it->second.first != e.size || it->second.second != e.sha256) {
      return internal::Corrupt("entry " + e.path + " does not match its checksum");
    }
  }
  if (listed.size() != seen.size())
    return internal::Corrupt("archive holds entries the manifest does not list");
  if (!listed.contains(std::string(kDatabaseEntry)))
    return internal::Corrupt("no database in the archive");
  return out;
}

}  // namespace tenantd::backup
