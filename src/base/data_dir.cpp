#include "base/data_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace tenantd::base {

Status PrepareDataDir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return MakeError(
          ErrorCode::kUnavailable, "data_dir_unavailable",
          "cannot inspect the data directory " + dir.string() + ": " + std::strerror(errno));
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    // Explicitly, not only through the umask: an embedding caller may have another.
    if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "data_dir_unavailable",
                       "cannot create the data directory " + dir.string() + ": " + ec.message());
    }
    return {};
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition, "data_dir_invalid",
                     "the data directory " + dir.string() + " is not a directory");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return MakeError(ErrorCode::kFailedPrecondition, "data_dir_insecure",
                     "the data directory " + dir.string() +
                         " is accessible by group or others (mode " + mode +
                         "); restrict it with `chmod -R go-rwx " + dir.string() + "` and restart");
  }
  return {};
}

}  // namespace tenantd::base
