// The backup module's own plumbing (not its interface): streaming SHA-256,
// a gzip'd tar writer and reader over libarchive, file helpers with the
// fsync discipline of tenant_db/tenant_databases.cpp, and a per-tenant
// advisory lock. libarchive and OpenSSL types stay in archive.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tenantd::backup::internal {

// Bytes moved per read or write: memory stays flat whatever the file size.
inline constexpr std::size_t kChunkBytes = 1 << 20;

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(const void* data, std::size_t size);
  // Lowercase hex; the stream cannot be updated afterwards.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A .tar.gz being written to a file descriptor the writer owns; also hashes
// every byte it writes, so the archive's SHA-256 costs no second read.
class ArchiveWriter {
 public:
  // Creates `path` (O_EXCL, mode 0600).
  static base::Result<std::unique_ptr<ArchiveWriter>> Create(const std::filesystem::path& path);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Adds a regular file entry named `name` with the contents of the open
  // file `fd` (read from its current offset, exactly `size` bytes, in
  // chunks); returns the SHA-256 hex of those bytes.
  base::Result<std::string> AddFile(std::string_view name, int fd, uint64_t size);
  // The same with the bytes pulled from `read` (which fills up to the
  // span's size and returns the count, 0 only at the end).
  using Reader = std::function<base::Result<std::size_t>(std::span<char>)>;
  base::Result<std::string> AddStream(std::string_view name, uint64_t size, const Reader& read);
  base::Result<std::string> AddBytes(std::string_view name, std::string_view bytes);
  // Ends the archive, flushes it to disk; returns its SHA-256 hex and size.
  base::Result<std::pair<std::string, uint64_t>> Finish();

 private:
  ArchiveWriter() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// Reads a .tar.gz entry by entry. Every read error (truncation, a flipped
// byte caught by the gzip CRC or a tar header checksum) is kFailedPrecondition
// "backup_corrupt".
class ArchiveReader {
 public:
  // `on_read` (optional) is called as the file is read: bytes read so far,
  // and the file's size (for a progress line).
  static base::Result<std::unique_ptr<ArchiveReader>> Open(
      const std::filesystem::path& path,
      std::function<void(uint64_t read, uint64_t size)> on_read = {});
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  struct Entry {
    std::string name;
    uint64_t size = 0;
    bool is_regular = false;
  };
  // The next entry's header, or nullopt at the end of the archive.
  base::Result<std::optional<Entry>> Next();
  // Streams the current entry's data to `sink` chunk by chunk; returns its
  // SHA-256 hex and byte count. A sink error stops the read.
  base::Result<std::pair<std::string, uint64_t>> ReadData(
      const std::function<base::Status(const char*, std::size_t)>& sink);
  // SHA-256 hex of the archive file's bytes, once Next() returned nullopt
  // (the whole file has then been read).
  std::string FileSha256();

 private:
  ArchiveReader() = default;
  struct State;
  std::unique_ptr<State> state_;
};

base::Error Corrupt(std::string log_detail);
base::Error FileError(std::string_view what, const std::filesystem::path& path, int err);

// fsync of a file or directory.
base::Status Fsync(const std::filesystem::path& path, bool directory);
// Writes `content` to `path` through a temporary in the same directory,
// fsyncs it, renames it into place and fsyncs the directory.
base::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content);
// write(2) until every byte is written (EINTR retried).
base::Status WriteAll(int fd, const char* data, std::size_t size);

// An exclusive advisory lock (flock) on <data>/restore/<tenant_id>.lock,
// held by a backup or a restore of that tenant for its whole run. The
// kernel drops it when the process dies, which is how a sweep tells an
// interrupted restore (lock free) from one in progress (lock held).
class TenantLock {
 public:
  // kFailedPrecondition "tenant_busy" when another backup or restore of the
  // tenant holds it (in this process or another).
  static base::Result<TenantLock> TryAcquire(const std::filesystem::path& data_dir,
                                             std::string_view tenant_id);
  TenantLock(TenantLock&& other) noexcept;
  TenantLock& operator=(TenantLock&&) = delete;
  TenantLock(const TenantLock&) = delete;
  ~TenantLock();

 private:
  explicit TenantLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tenantd::backup::internal
