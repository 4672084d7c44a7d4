#include "admin/admin_token.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/control_store.h"
#include "crypto/crypto.h"
#include "storage/run_to_completion.h"

namespace tenantd::admin {
namespace {

constexpr std::string_view kSettingKey = "admin_token_sha256";

base::Status WritePrivateFile(const std::filesystem::path& path, std::string_view content) {
  const auto tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return base::Internal("cannot create " + tmp + ": " + std::strerror(errno));
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return base::Internal("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

base::Result<AdminToken> EnsureAdminToken(const base::Secret& configured,
                                          const std::filesystem::path& data_dir,
                                          control::ControlStore& store) {
  AdminToken out;
  if (!configured.empty()) {
    out.sha256 = crypto::Sha256(configured.Reveal());
    out.from_environment = true;
    return out;
  }
  TENANTD_TRY(auto stored, storage::RunToCompletion(store.GetSetting(kSettingKey)));
  if (stored) {
    auto raw = crypto::HexDecode(*stored);
    if (!raw || raw->size() != 32) return base::Internal("stored admin token hash is malformed");
    out.sha256 = std::move(*raw);
    return out;
  }
  const std::string token = "adm_" + crypto::RandomBase62(43);
  const auto path = data_dir / "admin.token";
  TENANTD_RETURN_IF_ERROR(WritePrivateFile(path, token + "\n"));
  TENANTD_RETURN_IF_ERROR(
      storage::RunToCompletion(store.PutSetting(kSettingKey, crypto::Sha256Hex(token))));
  out.sha256 = crypto::Sha256(token);
  out.written_to = path;
  return out;
}

}  // namespace tenantd::admin
