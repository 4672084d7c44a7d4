#include "support/postgres_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool IsRoot() { return geteuid() == 0; }

// Runs a PostgreSQL binary through the shell, as `postgres` when we are
// root (initdb and the server refuse to run as root). Output goes to `log`.
int RunPg(const std::string& command, const fs::path& log) {
  std::string line = std::string(kBinDir) + "/" + command + " >>" + log.string() + " 2>&1";
  if (IsRoot()) line = "runuser -u postgres -- " + line;
  return std::system(line.c_str());
}

std::string Tail(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 12; ++i) out += kChars[rng() % (sizeof kChars - 1)];
  return out;
}

// Whether a server accepts connections at `port` (pg_isready).
[[maybe_unused]] bool Ready(int port, const fs::path& log) {
  return RunPg("pg_isready -q -h 127.0.0.1 -p " + std::to_string(port), log) == 0;
}

int PortOf(const std::string& url) {
  const std::size_t colon = url.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
}

}  // namespace

PostgresCluster::~PostgresCluster() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PostgresCluster::Url(const std::string& database) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresCluster::Start() {
  if (running_) return "";
  if (dir_.empty()) {
    std::string pattern = (fs::temp_directory_path() / "tenantd_pg_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return "mkdtemp failed";
    dir_ = pattern;
    if (IsRoot()) {
      const passwd* pg = getpwnam("postgres");
      if (pg == nullptr) return "no `postgres` user (install the Debian package postgresql-15)";
      if (chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) return "cannot chown " + dir_.string();
    }
    // Our own output goes to harness.log (written as root); the server's to
    // server.log, which it creates itself as `postgres`.
    const fs::path init_log = dir_ / "harness.log";
    // Trust on loopback only; no fsync: a test cluster need not survive a power cut.
    if (RunPg("initdb -D " + (dir_ / "data").string() +
                  " -U postgres --auth=trust --no-sync --no-instructions -E UTF8 --locale=C.UTF-8",
              init_log) != 0) {
      return "initdb failed (install the Debian package postgresql-15; make test does): " +
             Tail(init_log);
    }
  }
  if (port_ != 0) return StartOnPort();  // a restart keeps its address
  // A free port stays free only until someone binds it (a tenantd of a
  // test running beside): when the server cannot bind it, try a new one.
  std::string error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) return "no free loopback port";
    error = StartOnPort();
    if (error.empty()) return "";
  }
  port_ = 0;
  return error;
}

std::string PostgresCluster::StartOnPort() {
  const fs::path server_log = dir_ / "server.log";
  const fs::path harness_log = dir_ / "harness.log";
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                              " -c listen_addresses=127.0.0.1 -c fsync=off"
                              " -c synchronous_commit=off -c full_page_writes=off"
                              " -c max_connections=200 -c shared_buffers=16MB";
  if (RunPg("pg_ctl start -w -t 30 -D " + (dir_ / "data").string() + " -l " + server_log.string() +
                " -o '" + options + "'",
            harness_log) != 0) {
    return "pg_ctl start failed: " + Tail(harness_log) + Tail(server_log);
  }
  running_ = true;
  return "";
}

void PostgresCluster::Stop() {
  if (!running_) return;
  RunPg("pg_ctl stop -w -m fast -D " + (dir_ / "data").string(), dir_ / "harness.log");
  running_ = false;
}

void PostgresCluster::Detach() {
  running_ = false;
  dir_.clear();
}

void PostgresCluster::StopAndRemove(const fs::path& dir) {
  RunPg("pg_ctl stop -w -m immediate -D " + (dir / "data").string(), "/dev/null");
  std::error_code ec;
  fs::remove_all(dir, ec);
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  const std::size_t slash = url.rfind('/');
  return url.substr(0, slash + 1) + database;
}

std::string SharedPostgresUrl() {
  static std::string url = [] {
#ifdef TENANTD_TEST_POSTGRES_URL_FILE
    // The CTest fixture's cluster, when it is up.
    std::ifstream in(TENANTD_TEST_POSTGRES_URL_FILE);
    std::string shared;
    if (in && std::getline(in, shared) && !shared.empty() && Ready(PortOf(shared), "/dev/null")) {
      return shared;
    }
#endif
    // Run outside ctest: a cluster of our own, stopped at exit.
    static PostgresCluster own;
    if (const std::string error = own.Start(); !error.empty()) {
      throw std::runtime_error("cannot start PostgreSQL: " + error);
    }
    return own.Url();
  }();
  return url;
}

std::string CreateTestDatabase() {
  const std::string shared = SharedPostgresUrl();
  const std::string name = "t_" + RandomSuffix();
  const std::string command =
      "createdb -h 127.0.0.1 -p " + std::to_string(PortOf(shared)) + " -U postgres " + name;
  if (RunPg(command, "/dev/null") != 0) {
    throw std::runtime_error("createdb " + name + " failed on " + shared);
  }
  return WithDatabase(shared, name);
}

}  // namespace tenantd::test
