#include "backup/internal/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

namespace tenantd::backup::internal {
namespace fs = std::filesystem;

base::Error Corrupt(std::string log_detail) {
  return base::MakeError(base::ErrorCode::kFailedPrecondition, "backup_corrupt",
                         "The backup archive is damaged or incomplete.", std::move(log_detail));
}

base::Error FileError(std::string_view what, const fs::path& path, int err) {
  return base::Internal("backup: " + std::string(what) + " " + path.string() + ": " +
                        std::strerror(err));
}

// ---- Sha256Stream ----

struct Sha256Stream::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) {
  // Failing here means OpenSSL itself is broken: not a recoverable state.
  if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(const void* data, std::size_t size) {
  if (size > 0) EVP_DigestUpdate(state_->ctx, data, size);
}

std::string Sha256Stream::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// ---- files ----

base::Status WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::Internal(std::string("backup: write failed: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

base::Status Fsync(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return FileError("cannot open", path, errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return FileError("cannot fsync", path, saved);
  return {};
}

base::Status WriteFileAtomically(const fs::path& path, std::string_view content) {
  fs::path temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return FileError("cannot create", temporary, errno);
  base::Status written = WriteAll(fd, content.data(), content.size());
  if (written && ::fsync(fd) != 0) written = FileError("cannot fsync", temporary, errno);
  ::close(fd);
  if (written && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = FileError("cannot rename into place", path, errno);
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  return Fsync(path.parent_path(), /*directory=*/true);
}

// ---- ArchiveWriter ----

struct ArchiveWriter::State {
  struct archive* a = nullptr;
  int fd = -1;
  fs::path path;
  Sha256Stream hash;
  uint64_t size = 0;
  int write_errno = 0;
  std::vector<char> buffer = std::vector<char>(kChunkBytes);
  ~State() {
    if (a != nullptr) archive_write_free(a);
    if (fd >= 0) ::close(fd);
  }
};

base::Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(const fs::path& path) {
  std::unique_ptr<ArchiveWriter> w(new ArchiveWriter());
  w->state_ = std::make_unique<State>();
  State& st = *w->state_;
  st.path = path;
  st.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (st.fd < 0) return FileError("cannot create", path, errno);
  st.a = archive_write_new();
  if (st.a == nullptr) return base::Internal("backup: archive_write_new failed");
  // pax: no limit on names or sizes (ustar stops at 8 GiB and 100-byte names).
  // gzip level 1: uploads are mostly compressed already, and SQLite pages
  // still shrink well at the fastest level; backup time matters more.
  if (archive_write_set_format_pax_restricted(st.a) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(st.a) != ARCHIVE_OK ||
      archive_write_set_filter_option(st.a, "gzip", "compression-level", "1") != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(st.a, 1) != ARCHIVE_OK) {
    return base::Internal(std::string("backup: cannot set up the archive: ") +
                          archive_error_string(st.a));
  }
  auto write = [](struct archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
    auto* s = static_cast<State*>(client);
    if (auto ok = WriteAll(s->fd, static_cast<const char*>(buffer), length); !ok) {
      s->write_errno = errno ? errno : EIO;
      return -1;
    }
    s->hash.Update(buffer, length);
    s->size += length;
    return static_cast<la_ssize_t>(length);
  };
  if (archive_write_open(st.a, &st, nullptr, write, nullptr) != ARCHIVE_OK) {
    return base::Internal(std::string("backup: cannot open the archive: ") +
                          archive_error_string(st.a));
  }
  return w;
}

ArchiveWriter::~ArchiveWriter() = default;

namespace {

base::Status WriteHeader(struct archive* a, std::string_view name, uint64_t size) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, std::string(name).c_str());
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0600);
  archive_entry_set_mtime(entry, ::time(nullptr), 0);
  const int rc = archive_write_header(a, entry);
  archive_entry_free(entry);
  if (rc != ARCHIVE_OK) {
    return base::Internal("backup: cannot add " + std::string(name) + ": " +
                          archive_error_string(a));
  }
  return {};
}

base::Status WriteData(struct archive* a, const char* data, std::size_t size) {
  while (size > 0) {
    const la_ssize_t n = archive_write_data(a, data, size);
    if (n <= 0)
      return base::Internal(std::string("backup: write failed: ") + archive_error_string(a));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

base::Result<std::string> ArchiveWriter::AddFile(std::string_view name, int fd, uint64_t size) {
  return AddStream(name, size, [&](std::span<char> out) -> base::Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::read(fd, out.data(), out.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return base::Internal("backup: cannot read " + std::string(name) + ": " +
                              std::strerror(errno));
      }
      return static_cast<std::size_t>(n);
    }
  });
}

base::Result<std::string> ArchiveWriter::AddStream(std::string_view name, uint64_t size,
                                                   const Reader& read) {
  State& st = *state_;
  TENANTD_RETURN_IF_ERROR(WriteHeader(st.a, name, size));
  Sha256Stream hash;
  uint64_t left = size;
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(left, kChunkBytes));
    TENANTD_TRY(const std::size_t n, read(std::span<char>(st.buffer.data(), want)));
    // A file that shrank while being read: the header already promised
    // `size` bytes, so the entry cannot be completed.
    if (n == 0) return base::Internal("backup: " + std::string(name) + " shrank while being read");
    hash.Update(st.buffer.data(), n);
    TENANTD_RETURN_IF_ERROR(WriteData(st.a, st.buffer.data(), n));
    left -= n;
  }
  return hash.FinishHex();
}

base::Result<std::string> ArchiveWriter::AddBytes(std::string_view name, std::string_view bytes) {
  State& st = *state_;
  TENANTD_RETURN_IF_ERROR(WriteHeader(st.a, name, bytes.size()));
  TENANTD_RETURN_IF_ERROR(WriteData(st.a, bytes.data(), bytes.size()));
  Sha256Stream hash;
  hash.Update(bytes.data(), bytes.size());
  return hash.FinishHex();
}

base::Result<std::pair<std::string, uint64_t>> ArchiveWriter::Finish() {
  State& st = *state_;
  if (archive_write_close(st.a) != ARCHIVE_OK) {
    return base::Internal(std::string("backup: cannot finish the archive: ") +
                          archive_error_string(st.a));
  }
  if (::fsync(st.fd) != 0) return FileError("cannot fsync", st.path, errno);
  ::close(st.fd);
  st.fd = -1;
  return std::make_pair(st.hash.FinishHex(), st.size);
}

// ---- ArchiveReader ----

// The gzip layer is zlib's, not libarchive's: zlib checks the stream's
// CRC-32 and length at its end, so a flipped bit anywhere in the file (the
// tar padding after the end marker and the gzip trailer included, which a
// tar reader never looks at) is an error. libarchive reads the tar from it.
struct ArchiveReader::State {
  struct archive* a = nullptr;
  int fd = -1;
  fs::path path;
  z_stream z{};
  bool z_ready = false;
  Sha256Stream file_hash;  // of the compressed bytes, as read
  bool stream_end = false;
  uint64_t file_size = 0;  // at open
  uint64_t file_read = 0;  // bytes of the file read so far
  std::function<void(uint64_t read, uint64_t size)> on_read;
  std::string error;  // what went wrong below libarchive
  std::vector<unsigned char> in = std::vector<unsigned char>(kChunkBytes);
  std::vector<unsigned char> out = std::vector<unsigned char>(kChunkBytes);
  std::vector<char> buffer = std::vector<char>(kChunkBytes);
  ~State() {
    if (a != nullptr) archive_read_free(a);
    if (z_ready) inflateEnd(&z);
    if (fd >= 0) ::close(fd);
  }

  // Inflates up to out.size() bytes into `out`; 0 at the end of the
  // stream, -1 on error (`error` says which).
  ssize_t Inflate() {
    if (stream_end) return 0;
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    while (z.avail_out == out.size() && !stream_end) {
      if (z.avail_in == 0) {
        const ssize_t n = ::read(fd, in.data(), in.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          error = std::string("read failed: ") + std::strerror(errno);
          return -1;
        }
        if (n == 0) {
          error = "the file ends before the gzip stream does (truncated)";
          return -1;
        }
        file_hash.Update(in.data(), static_cast<std::size_t>(n));
        file_read += static_cast<uint64_t>(n);
        if (on_read) on_read(file_read, std::max(file_size, file_read));
        z.next_in = in.data();
        z.avail_in = static_cast<uInt>(n);
      }
      const int rc = inflate(&z, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        stream_end = true;
      } else if (rc != Z_OK) {
        error = std::string("gzip: ") + (z.msg != nullptr ? z.msg : "inflate failed");
        return -1;
      }
    }
    return static_cast<ssize_t>(out.size() - z.avail_out);
  }

  // After the tar end: the rest of the gzip stream must decode and check
  // out, and nothing may follow it.
  bool Drain() {
    for (;;) {
      const ssize_t n = Inflate();
      if (n < 0) return false;
      if (n == 0) break;
    }
    unsigned char extra;
    if (z.avail_in > 0 || ::read(fd, &extra, 1) > 0) {
      error = "data after the end of the gzip stream";
      return false;
    }
    return true;
  }
};

base::Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(
    const fs::path& path, std::function<void(uint64_t read, uint64_t size)> on_read) {
  std::unique_ptr<ArchiveReader> r(new ArchiveReader());
  r->state_ = std::make_unique<State>();
  State& st = *r->state_;
  st.path = path;
  // Set before anything is read: opening reads the first chunk already.
  st.on_read = std::move(on_read);
  st.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (st.fd < 0) {
    if (errno == ENOENT) {
      return base::MakeError(base::ErrorCode::kNotFound, "not_found", "No such backup archive.",
                             "no file " + path.string());
    }
    return FileError("cannot open", path, errno);
  }
  struct stat info {};
  if (::fstat(st.fd, &info) == 0) st.file_size = static_cast<uint64_t>(info.st_size);
  // 15 + 16: a gzip wrapper only (no raw deflate, no zlib header).
  if (inflateInit2(&st.z, 15 + 16) != Z_OK) return base::Internal("backup: inflateInit2 failed");
  st.z_ready = true;
  st.a = archive_read_new();
  if (st.a == nullptr) return base::Internal("backup: archive_read_new failed");
  // Exactly the format Create writes: anything else is not one of ours.
  archive_read_support_format_tar(st.a);
  auto read = [](struct archive* a, void* client, const void** buffer) -> la_ssize_t {
    auto* s = static_cast<State*>(client);
    const ssize_t n = s->Inflate();
    if (n < 0) {
      archive_set_error(a, EIO, "%s", s->error.c_str());
      return ARCHIVE_FATAL;
    }
    *buffer = s->out.data();
    return n;
  };
  if (archive_read_open(st.a, &st, nullptr, read, nullptr) != ARCHIVE_OK) {
    return Corrupt("cannot open " + path.string() + ": " + archive_error_string(st.a));
  }
  return r;
}

ArchiveReader::~ArchiveReader() = default;

base::Result<std::optional<ArchiveReader::Entry>> ArchiveReader::Next() {
  State& st = *state_;
  struct archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(st.a, &entry);
  if (rc == ARCHIVE_EOF) {
    if (!st.Drain()) return Corrupt(st.path.string() + ": " + st.error);
    return std::optional<Entry>();
  }
  if (rc != ARCHIVE_OK) {
    return Corrupt(st.path.string() + ": " + archive_error_string(st.a));
  }
  Entry e;
  const char* name = archive_entry_pathname(entry);
  e.name = name != nullptr ? name : "";
  e.size = archive_entry_size_is_set(entry) ? static_cast<uint64_t>(archive_entry_size(entry)) : 0;
  e.is_regular = archive_entry_filetype(entry) == AE_IFREG;
  return std::optional<Entry>(std::move(e));
}

base::Result<std::pair<std::string, uint64_t>> ArchiveReader::ReadData(
    const std::function<base::Status(const char*, std::size_t)>& sink) {
  State& st = *state_;
  Sha256Stream hash;
  uint64_t total = 0;
  for (;;) {
    const la_ssize_t n = archive_read_data(st.a, st.buffer.data(), st.buffer.size());
    if (n == 0) break;
    if (n < 0) return Corrupt(st.path.string() + ": " + archive_error_string(st.a));
    hash.Update(st.buffer.data(), static_cast<std::size_t>(n));
    total += static_cast<uint64_t>(n);
    if (sink) TENANTD_RETURN_IF_ERROR(sink(st.buffer.data(), static_cast<std::size_t>(n)));
  }
  return std::make_pair(hash.FinishHex(), total);
}

std::string ArchiveReader::FileSha256() { return state_->file_hash.FinishHex(); }

// ---- TenantLock ----

base::Result<TenantLock> TenantLock::TryAcquire(const fs::path& data_dir,
                                                std::string_view tenant_id) {
  const fs::path dir = data_dir / "restore";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return base::Internal("backup: cannot create " + dir.string() + ": " + ec.message());
  const fs::path path = dir / (std::string(tenant_id) + ".lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FileError("cannot open", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return base::MakeError(base::ErrorCode::kFailedPrecondition, "tenant_busy",
                             "A backup or restore of this tenant is already running.",
                             "lock held: " + path.string());
    }
    return FileError("cannot lock", path, err);
  }
  return TenantLock(fd);
}

TenantLock::TenantLock(TenantLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

TenantLock::~TenantLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace tenantd::backup::internal
