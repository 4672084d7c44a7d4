#include "support/s3_server.h"

#include <boost/json.hpp>
#include <csignal>
#include <random>

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kListening = "s3 listening on ";
constexpr std::string_view kObjectSuffix = "._S3rver_object";

fs::path ScriptDir() { return fs::path(TENANTD_SOURCE_DIR) / "tests" / "s3"; }

}  // namespace

S3Server::S3Server() {
  std::random_device rd;
  dir_ = fs::temp_directory_path() / ("tenantd-s3-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(dir_ / "data");
}

S3Server::~S3Server() {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(5));
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

::testing::AssertionResult S3Server::Start() {
  if (!fs::exists(ScriptDir() / "node_modules" / "s3rver")) {
    return ::testing::AssertionFailure()
           << "tests/s3/node_modules is missing: the build runs `npm ci` there (build the "
              "e2e_tests target)";
  }
  process_ = std::make_unique<BackgroundCommand>(std::vector<std::string>{
      "node", (ScriptDir() / "server.js").string(), (dir_ / "data").string(), kBucket});
  if (!process_->started()) {
    return ::testing::AssertionFailure()
           << "cannot start node (install the Debian package nodejs; make test does): "
           << process_->Err();
  }
  std::string line;
  const bool up = PollUntil(
      [&] {
        const std::string out = process_->Out();
        const std::size_t at = out.find(kListening);
        if (at == std::string::npos) return false;
        const std::size_t end = out.find('\n', at);
        if (end == std::string::npos) return false;
        line = out.substr(at + kListening.size(), end - at - kListening.size());
        return true;
      },
      std::chrono::seconds(20));
  if (!up) {
    return ::testing::AssertionFailure()
           << "the S3 test server did not start: " << process_->Err() << process_->Out();
  }
  url_ = line;
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
  return ::testing::AssertionSuccess();
}

Env S3Server::TenantdEnv() const {
  return {{"TENANTD_BLOB_STORE", "s3"},
          {"TENANTD_S3_ENDPOINT", url_},
          {"TENANTD_S3_BUCKET", kBucket},
          {"TENANTD_S3_ACCESS_KEY_ID", kAccessKeyId},
          {"TENANTD_S3_SECRET_ACCESS_KEY", kSecretAccessKey},
          {"TENANTD_S3_FORCE_PATH_STYLE", "true"}};
}

std::vector<std::string> S3Server::Keys(const std::string& prefix) const {
  std::vector<std::string> keys;
  std::error_code ec;
  const fs::path root = bucket_dir();
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    const std::string name = fs::relative(e.path(), root).string();
    if (!e.is_regular_file() || !name.ends_with(kObjectSuffix)) continue;
    const std::string key = name.substr(0, name.size() - kObjectSuffix.size());
    if (key.starts_with(prefix)) keys.push_back(key);
  }
  return keys;
}

std::size_t S3Server::PendingMultipartUploads() const {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(bucket_dir() / "._S3rver_uploads", ec)) {
    if (e.is_directory()) ++n;
  }
  return n;
}

std::string S3Server::SigningFailures() const {
  const Response r = Send(port(), "GET", "/__checks");
  if (r.status != 200) return "cannot read the checks: " + r.Describe();
  std::string out;
  const boost::json::value checks = boost::json::parse(r.body);
  for (const auto& v : checks.as_array()) {
    out += std::string(v.as_string()) + "\n";
  }
  return out;
}

}  // namespace tenantd::test
