#include "mail/eml_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/unique_fd.h"
#include "crypto/crypto.h"

namespace tenantd::mail {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxIdChars = 150;  // file names stay far below NAME_MAX (255)

Delivery IoFailure(std::string_view what, const fs::path& path, int error) {
  return {Outcome::kRetry, std::string(what) + " " + path.string() + ": " + std::strerror(error)};
}

// "20261204T101500Z"
std::string SortableTime(base::TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Creates `dir` with mode 0700 (parents with the default mode); an existing
// directory is left as it is.
bool MakeDirectory(const fs::path& dir, int& error) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return true;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = errno;
    return false;
  }
  return true;
}

}  // namespace

EmlDirectory::EmlDirectory(fs::path dir) : dir_(std::move(dir)) {}

std::string EmlDirectory::FileName(const Message& m) {
  std::string_view id = m.message_id;
  if (id.starts_with('<')) id.remove_prefix(1);
  if (id.ends_with('>')) id.remove_suffix(1);
  std::string safe;
  bool replaced = id.size() > kMaxIdChars;
  for (const char c : id.substr(0, kMaxIdChars)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    safe += ok ? c : '_';
    replaced = replaced || !ok;
  }
  // A leading '.' would hide the file; the date prefix already prevents it.
  if (replaced) safe += "-" + crypto::Sha256Hex(m.message_id).substr(0, 12);
  return SortableTime(m.date) + "-" + safe + ".eml";
}

Delivery EmlDirectory::Send(const Message& m) {
  if (auto valid = ValidateMessage(m); !valid) {
    return {Outcome::kFailed, valid.error().public_message};
  }
  int error = 0;
  if (!MakeDirectory(dir_, error)) return IoFailure("cannot create", dir_, error);

  // Temporary name unique per process and call, so concurrent sends of the
  // same message never write into one file; rename then replaces atomically.
  static std::atomic<uint64_t> counter{0};
  const fs::path target = dir_ / FileName(m);
  const fs::path temp = dir_ / ("." + FileName(m) + "." + std::to_string(::getpid()) + "." +
                                std::to_string(counter.fetch_add(1)) + ".tmp");
  base::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return IoFailure("cannot create", temp, errno);
  const std::string text = FormatMessage(m);
  if (!WriteAll(fd.get(), text) || ::fsync(fd.get()) != 0 || !fd.Close()) {
    error = errno;
    ::unlink(temp.c_str());
    return IoFailure("cannot write", temp, error);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    error = errno;
    ::unlink(temp.c_str());
    return IoFailure("cannot rename to", target, error);
  }
  if (!base::SyncDirectory(dir_)) return IoFailure("cannot sync", dir_, errno);
  return {Outcome::kSent, "written to " + target.string()};
}

}  // namespace tenantd::mail
