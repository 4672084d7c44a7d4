#include "files/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "base/ids.h"
#include "base/off_loop.h"

namespace tenantd::files {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTenantPrefix = "ten";
constexpr std::string_view kFilePrefix = "fil";
constexpr std::string_view kPartSuffix = ".part";
// Writeback of an upload is started every this many bytes, so the disk
// works while the network does and the fsync at the end has little left.
constexpr uint64_t kWritebackWindow = 8 * 1024 * 1024;

base::Error IoError(std::string_view what, const fs::path& path, int error) {
  return base::Internal(std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

// The temporary name encodes everything recovery needs: whose upload it
// was and where its final name would be. '/' of the day becomes '-'.
std::string PartName(std::string_view tenant_id, std::string_view storage_key) {
  std::string day(storage_key.substr(0, 10));
  for (char& c : day) c = c == '/' ? '-' : c;
  std::string name(tenant_id);
  name += '.';
  name += day;
  name += '.';
  name += storage_key.substr(11);
  name += kPartSuffix;
  return name;
}

struct PartNameFields {
  std::string tenant_id;
  std::string storage_key;
  std::string file_id;
};

std::optional<PartNameFields> ParsePartName(std::string_view name) {
  if (!name.ends_with(kPartSuffix)) return std::nullopt;
  name.remove_suffix(kPartSuffix.size());
  const std::size_t a = name.find('.');
  const std::size_t b = a == std::string_view::npos ? a : name.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  PartNameFields f;
  f.tenant_id = std::string(name.substr(0, a));
  std::string day(name.substr(a + 1, b - a - 1));
  for (char& c : day) c = c == '-' ? '/' : c;
  f.file_id = std::string(name.substr(b + 1));
  f.storage_key = day + "/" + f.file_id;
  if (!base::IsWellFormedId(f.tenant_id, kTenantPrefix) || !IsStorageKey(f.storage_key)) {
    return std::nullopt;
  }
  return f;
}

// mkdir -p that makes each directory it creates durable in its parent.
base::Status MakeDirectories(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  TENANTD_RETURN_IF_ERROR(MakeDirectories(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("mkdir", dir, errno);
  if (!base::SyncDirectory(dir.parent_path())) return IoError("fsync", dir.parent_path(), errno);
  return {};
}

class LocalUpload final : public BlobUpload {
 public:
  LocalUpload(std::string storage_key, base::UniqueFd fd, fs::path temp, fs::path final_path,
              boost::asio::thread_pool* blocking)
      : BlobUpload(std::move(storage_key)),
        fd_(std::move(fd)),
        temp_(std::move(temp)),
        final_(std::move(final_path)),
        blocking_(blocking) {}

  ~LocalUpload() override {
    if (committed_) return;
    // Undo: the final name first, so no crash in between leaves it without
    // the temporary name that tells recovery to remove it.
    if (published_) ::unlink(final_.c_str());
    ::unlink(temp_.c_str());
  }

  // Writes into the page cache: cheap enough for an event-loop thread.
  boost::asio::awaitable<base::Status> Append(std::string_view data) override {
    co_return AppendNow(data);
  }

  boost::asio::awaitable<base::Status> Publish() override {
    // Named before the co_await: GCC 12 copies temporaries of a co_await
    // expression bitwise.
    std::function<base::Status()> publish = [this] { return PublishNow(); };
    co_return co_await base::OffLoop(blocking_, std::move(publish));
  }

  base::Status AppendNow(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write", temp_, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    if (written_ - flushed_ >= kWritebackWindow) {
      // Asynchronous: queues the dirty pages for writing and returns.
      ::sync_file_range(fd_.get(), static_cast<off_t>(flushed_),
                        static_cast<off_t>(written_ - flushed_), SYNC_FILE_RANGE_WRITE);
      flushed_ = written_;
    }
    return {};
  }

  base::Status PublishNow() {
    if (::fsync(fd_.get()) != 0) return IoError("fsync", temp_, errno);
    if (!fd_.Close()) return IoError("close", temp_, errno);
    TENANTD_RETURN_IF_ERROR(MakeDirectories(final_.parent_path()));
    if (::link(temp_.c_str(), final_.c_str()) != 0) return IoError("link", final_, errno);
    published_ = true;
    if (!base::SyncDirectory(final_.parent_path())) {
      return IoError("fsync", final_.parent_path(), errno);
    }
    return {};
  }

  void Commit() override {
    committed_ = true;
    // A crash before this unlink is harmless: recovery finds the metadata
    // row and removes only the temporary name.
    ::unlink(temp_.c_str());
  }

 private:
  base::UniqueFd fd_;
  fs::path temp_;
  fs::path final_;
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;  // writeback started up to here
  boost::asio::thread_pool* blocking_;
  bool published_ = false;
  bool committed_ = false;
};

}  // namespace

namespace {

// ".<W>x<H>.<png|webp|jpeg>", the shape of a variant's name: digits and one
// 'x', then a known format. No '/', no "..": safe inside a path.
bool IsVariantSuffix(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != '.') return false;
  s.remove_prefix(1);
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view size = s.substr(0, dot);
  const std::string_view format = s.substr(dot + 1);
  const std::size_t x = size.find('x');
  if (x == 0 || x == std::string_view::npos || x + 1 == size.size() || size.size() > 9) {
    return false;
  }
  for (std::size_t i = 0; i < size.size(); ++i) {
    if (i != x && (size[i] < '0' || size[i] > '9')) return false;
  }
  return format == "png" || format == "webp" || format == "jpeg";
}

}  // namespace

base::Result<std::unique_ptr<BlobUpload>> BlobStore::BeginUpload(std::string_view tenant_id,
                                                                 std::string_view file_id,
                                                                 base::TimePoint created) {
  if (!base::IsWellFormedId(file_id, kFilePrefix)) {
    return base::Internal("BeginUpload: malformed file id");
  }
  return BeginUploadAt(tenant_id, StorageKeyFor(file_id, created));
}

bool IsStorageKey(std::string_view key) {
  // yyyy/mm/dd/fil_…[.WxH.format]
  if (key.size() < 12) return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (key[i] < '0' || key[i] > '9') return false;
  }
  const std::string_view name = key.substr(11);
  const std::size_t dot = std::min(name.find('.'), name.size());
  return key[4] == '/' && key[7] == '/' && key[10] == '/' &&
         base::IsWellFormedId(name.substr(0, dot), kFilePrefix) &&
         IsVariantSuffix(name.substr(dot));
}

std::string StorageKeyFor(std::string_view file_id, base::TimePoint created) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(created);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y/%m/%d/", &tm);
  return buf + std::string(file_id);
}

LocalBlobStore::LocalBlobStore(fs::path data_dir, boost::asio::thread_pool* blocking)
    : uploads_(data_dir / "storage" / "uploads"),
      tmp_(data_dir / "storage" / "tmp"),
      blocking_(blocking) {}

fs::path LocalBlobStore::TenantDir(const fs::path& data_dir, std::string_view tenant_id) {
  return data_dir / "storage" / "uploads" / std::string(tenant_id);
}

base::Result<std::unique_ptr<BlobUpload>> LocalBlobStore::BeginUploadAt(std::string_view tenant_id,
                                                                        std::string key) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix) || !IsStorageKey(key)) {
    return base::Internal("BeginUpload: malformed tenant id or storage key");
  }
  TENANTD_RETURN_IF_ERROR(MakeDirectories(tmp_));
  fs::path temp = tmp_ / PartName(tenant_id, key);
  base::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return IoError("open", temp, errno);
  fs::path final_path = uploads_ / std::string(tenant_id) / key;
  return std::unique_ptr<BlobUpload>(new LocalUpload(std::move(key), std::move(fd), std::move(temp),
                                                     std::move(final_path), blocking_));
}

boost::asio::awaitable<base::Result<OpenBlob>> LocalBlobStore::Open(std::string_view tenant_id,
                                                                    std::string_view storage_key,
                                                                    uint64_t, uint64_t) {
  // Opening and fstat are metadata calls served from the kernel's caches.
  co_return OpenNow(tenant_id, storage_key);
}

boost::asio::awaitable<base::Result<uint64_t>> LocalBlobStore::Size(std::string_view tenant_id,
                                                                    std::string_view storage_key) {
  auto blob = OpenNow(tenant_id, storage_key);
  if (!blob) co_return blob.error();
  co_return blob->size;
}

base::Result<OpenBlob> LocalBlobStore::OpenNow(std::string_view tenant_id,
                                               std::string_view storage_key) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix) || !IsStorageKey(storage_key)) {
    return base::Internal("Open: malformed tenant id or storage key");
  }
  const fs::path path = uploads_ / std::string(tenant_id) / std::string(storage_key);
  OpenBlob blob;
  blob.fd = base::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!blob.fd.valid()) {
    if (errno == ENOENT) return base::NotFound("No such file.");
    return IoError("open", path, errno);
  }
  struct stat st {};
  if (::fstat(blob.fd.get(), &st) != 0) return IoError("fstat", path, errno);
  blob.size = static_cast<uint64_t>(st.st_size);
  return blob;
}

boost::asio::awaitable<base::Status> LocalBlobStore::Remove(std::string_view tenant_id,
                                                            std::string_view storage_key) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix) || !IsStorageKey(storage_key)) {
    co_return base::Internal("Remove: malformed tenant id or storage key");
  }
  const fs::path path = uploads_ / std::string(tenant_id) / std::string(storage_key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) co_return IoError("unlink", path, errno);
  co_return base::Status();
}

boost::asio::awaitable<base::Status> LocalBlobStore::RemoveTenant(std::string_view tenant_id) {
  // Named before the co_await: GCC 12 copies temporaries of a co_await
  // expression bitwise.
  std::function<base::Status()> remove = [this, id = std::string(tenant_id)] {
    return RemoveTenantNow(id);
  };
  co_return co_await base::OffLoop(blocking_, std::move(remove));
}

base::Status LocalBlobStore::RemoveTenantNow(std::string_view tenant_id) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix)) {
    return base::Internal("RemoveTenant: malformed tenant id");
  }
  std::error_code ec;
  fs::remove_all(uploads_ / std::string(tenant_id), ec);
  if (ec)
    return base::Internal("remove " + (uploads_ / std::string(tenant_id)).string() + ": " +
                          ec.message());
  return {};
}

base::Result<LocalBlobStore::Recovered> LocalBlobStore::Recover(const HasMetadata& has_metadata) {
  Recovered recovered;
  std::error_code ec;
  if (!fs::is_directory(tmp_, ec)) return recovered;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(tmp_, ec)) entries.push_back(entry.path());
  if (ec) return base::Internal("list " + tmp_.string() + ": " + ec.message());
  for (const fs::path& temp : entries) {
    // Anything in tmp/ is an unfinished upload of ours, or debris: neither
    // is kept. A parsable name may have a published twin to judge.
    if (const auto fields = ParsePartName(temp.filename().string())) {
      const fs::path final_path = uploads_ / fields->tenant_id / fields->storage_key;
      if (fs::exists(final_path, ec)) {
        TENANTD_TRY(const bool claimed, has_metadata(fields->tenant_id, fields->file_id));
        if (!claimed) {
          fs::remove(final_path, ec);
          ++recovered.published;
        }
      }
    }
    fs::remove_all(temp, ec);
    ++recovered.temporaries;
  }
  if (recovered.temporaries > 0) base::SyncDirectory(tmp_);
  return recovered;
}

}  // namespace tenantd::files
