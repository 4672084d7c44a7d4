#include "files/upload_staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <cstring>
#include <functional>

#include "base/ids.h"
#include "base/off_loop.h"
#include "files/pending_store.h"

namespace tenantd::files {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFolder = "tus";

base::Error IoError(std::string_view what, const fs::path& path, int error) {
  return base::Internal(std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

base::Error UploadLost() {
  return base::MakeError(base::ErrorCode::kNotFound, "upload_lost",
                         "The bytes of this upload are no longer on this server; start a new "
                         "upload.");
}

}  // namespace

UploadStaging::UploadStaging(fs::path data_dir, boost::asio::thread_pool* blocking)
    : uploads_(data_dir / "storage" / "uploads"), blocking_(blocking) {}

fs::path UploadStaging::PathOf(std::string_view tenant_id, std::string_view upload_id) const {
  return uploads_ / std::string(tenant_id) / kFolder / std::string(upload_id);
}

base::Status UploadStaging::Create(std::string_view tenant_id, std::string_view upload_id) const {
  // Ids come from our own tables, but they become a path: checked anyway.
  if (!base::IsWellFormedId(tenant_id, "ten") ||
      !base::IsWellFormedId(upload_id, kUploadIdPrefix)) {
    return base::Internal("staging: malformed id");
  }
  const fs::path path = PathOf(tenant_id, upload_id);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return base::Internal("mkdir " + path.parent_path().string() + ": " + ec.message());
  ::chmod(path.parent_path().c_str(), 0700);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", path, errno);
  ::close(fd);
  return {};
}

base::Result<base::UniqueFd> UploadStaging::OpenAt(std::string_view tenant_id,
                                                   std::string_view upload_id,
                                                   uint64_t offset) const {
  if (!base::IsWellFormedId(tenant_id, "ten") ||
      !base::IsWellFormedId(upload_id, kUploadIdPrefix)) {
    return UploadLost();
  }
  const fs::path path = PathOf(tenant_id, upload_id);
  base::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return UploadLost();
    return IoError("open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoError("stat", path, errno);
  if (static_cast<uint64_t>(st.st_size) < offset) return UploadLost();
  const auto at = static_cast<off_t>(offset);
  if (static_cast<uint64_t>(st.st_size) > offset && ::ftruncate(fd.get(), at) != 0) {
    return IoError("truncate", path, errno);
  }
  if (::lseek(fd.get(), at, SEEK_SET) != at) return IoError("seek", path, errno);
  return fd;
}

base::Result<base::UniqueFd> UploadStaging::OpenRead(std::string_view tenant_id,
                                                     std::string_view upload_id) const {
  const fs::path path = PathOf(tenant_id, upload_id);
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return UploadLost();
    return IoError("open", path, errno);
  }
  return fd;
}

base::Status UploadStaging::Write(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::Internal(std::string("write to a staging file: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

boost::asio::awaitable<base::Status> UploadStaging::Sync(int fd) const {
  std::function<base::Status()> sync = [fd]() -> base::Status {
    if (::fdatasync(fd) != 0) {
      return base::Internal(std::string("fsync of a staging file: ") + std::strerror(errno));
    }
    return {};
  };
  co_return co_await base::OffLoop(blocking_, std::move(sync));
}

void UploadStaging::Remove(std::string_view tenant_id, std::string_view upload_id) const {
  if (!base::IsWellFormedId(tenant_id, "ten") ||
      !base::IsWellFormedId(upload_id, kUploadIdPrefix)) {
    return;
  }
  ::unlink(PathOf(tenant_id, upload_id).c_str());
}

std::vector<std::string> UploadStaging::Tenants() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(uploads_, ec)) {
    const std::string name = entry.path().filename().string();
    if (base::IsWellFormedId(name, "ten") && fs::is_directory(entry.path() / kFolder, ec)) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace tenantd::files
