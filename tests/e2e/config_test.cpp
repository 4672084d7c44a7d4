// Configuration and start-up: invalid settings stop the process at once with
// a one-line error naming the setting; precedence flags > environment >
// TOML file; the data dir gets admin.token, master.key and control.db.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

constexpr char kToken[] = "config-test-admin-token-0123456789";

// A port that was free a moment ago.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

unsigned Mode(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class Config : public ::testing::Test {
 protected:
  // `tenantd serve --host 127.0.0.1 --data DIR <args>`, expected to exit.
  CommandResult Serve(std::vector<std::string> args, Env env = {}) {
    std::vector<std::string> argv = {"serve", "--host", "127.0.0.1", "--data",
                                     dir_.data_dir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    bool has_token = false;
    for (const auto& [k, v] : env) has_token = has_token || k == "TENANTD_ADMIN_TOKEN";
    if (!has_token) env.emplace_back("TENANTD_ADMIN_TOKEN", kToken);
    return RunTenantd(argv, env, 8s);
  }

  fs::path WriteConfig(std::string_view toml) {
    fs::path path = dir_.root() / "tenantd.toml";
    WriteFile(path, toml);
    return path;
  }

  TestServer dir_;
};

// Exited non-zero at once with one stderr line containing every word of `words`.
::testing::AssertionResult RejectedNaming(const CommandResult& r,
                                          const std::vector<std::string>& words) {
  if (r.timed_out) return ::testing::AssertionFailure() << "kept running (it should exit at once)";
  if (r.exit_code == 0) return ::testing::AssertionFailure() << "exit code 0";
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  if (err.empty() || err.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "stderr is not one line:\n" << r.err;
  }
  for (const std::string& w : words) {
    if (!ContainsIgnoreCase(err, w)) {
      return ::testing::AssertionFailure() << "stderr does not name \"" << w << "\": " << err;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(Config, NonNumericPortIsRejectedNamingThePort) {
  EXPECT_TRUE(RejectedNaming(Serve({"--port", "abc"}), {"port"}));
}

TEST_F(Config, AppPortOutOfRangeIsRejectedNamingThePort) {
  EXPECT_TRUE(RejectedNaming(Serve({}, {{"APP_PORT", "99999"}}), {"port"}));
}

TEST_F(Config, ZeroHeaderTimeoutIsRejectedNamingTheSetting) {
  EXPECT_TRUE(
      RejectedNaming(Serve({"--port", "0", "--header-timeout", "0"}), {"header", "timeout"}));
}

TEST_F(Config, MalformedNumbersAreRejectedNamingTheSetting) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--max-json-bytes", "lots"}, {"json"}},
      {{"--threads", "many"}, {"threads"}},
      {{"--body-idle-timeout", "-1"}, {"body", "timeout"}},
      {{"--keepalive-timeout", "soon"}, {"keepalive"}},
      {{"--shutdown-timeout", "1x"}, {"shutdown"}},
  };
  for (const auto& [args, words] : cases) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    std::vector<std::string> all = {"--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    EXPECT_TRUE(RejectedNaming(Serve(all), words));
  }
}

TEST_F(Config, ShortAdminTokenIsRejected) {
  EXPECT_TRUE(RejectedNaming(Serve({"--port", "0"}, {{"TENANTD_ADMIN_TOKEN", "fifteen-chars-x"}}),
                             {"token"}));
}

TEST_F(Config, MissingConfigFileIsRejected) {
  CommandResult r = Serve({"--port", "0", "--config", (dir_.root() / "absent.toml").string()});
  EXPECT_TRUE(RejectedNaming(r, {}));
}

TEST_F(Config, MalformedConfigFileIsRejected) {
  fs::path path = WriteConfig("port = = 3\n[[[\n");
  EXPECT_TRUE(RejectedNaming(Serve({"--port", "0", "--config", path.string()}), {}));
}

TEST_F(Config, InvalidValueInConfigFileIsRejectedNamingTheSetting) {
  fs::path path = WriteConfig("port = 99999\n");
  EXPECT_TRUE(RejectedNaming(Serve({"--config", path.string()}), {"port"}));
}

TEST_F(Config, ConfigFileSetsThePort) {
  int port = FreePort();
  fs::path path = WriteConfig("port = " + std::to_string(port) + "\n");
  ASSERT_TRUE(dir_.Start({.args = {"--config", path.string()}, .pass_port = false}));
  EXPECT_EQ(dir_.port(), port);
  EXPECT_EQ(dir_.Request("GET", "/healthz").status, 200);
}

TEST_F(Config, ConfigFileWithPortZeroPicksAFreePort) {
  fs::path path = WriteConfig("port = 0\n");
  ASSERT_TRUE(dir_.Start({.args = {"--config", path.string()}, .pass_port = false}));
  EXPECT_NE(dir_.port(), 0);
  EXPECT_NE(dir_.port(), 8080) << "the default port, not the file's";
  EXPECT_EQ(dir_.Request("GET", "/healthz").status, 200);
}

TEST_F(Config, FlagOverridesConfigFile) {
  int port = FreePort();
  fs::path path = WriteConfig("port = " + std::to_string(port) + "\n");
  ASSERT_TRUE(dir_.Start({.args = {"--config", path.string()}}));  // with --port 0
  EXPECT_NE(dir_.port(), port);
}

TEST_F(Config, EnvironmentOverridesConfigFile) {
  int port = FreePort();
  fs::path path = WriteConfig("port = " + std::to_string(port) + "\n");
  ASSERT_TRUE(dir_.Start(
      {.args = {"--config", path.string()}, .env = {{"APP_PORT", "0"}}, .pass_port = false}));
  EXPECT_NE(dir_.port(), port);
}

TEST_F(Config, FlagOverridesEnvironment) {
  int port = FreePort();
  ASSERT_TRUE(dir_.Start({.env = {{"APP_PORT", std::to_string(port)}}}));  // with --port 0
  EXPECT_NE(dir_.port(), port);
}

TEST_F(Config, EnvironmentSetsThePort) {
  int port = FreePort();
  ASSERT_TRUE(dir_.Start({.env = {{"APP_PORT", std::to_string(port)}}, .pass_port = false}));
  EXPECT_EQ(dir_.port(), port);
}

TEST_F(Config, ThreadsFlagServes) {
  ASSERT_TRUE(dir_.Start({.args = {"--threads", "1"}}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(dir_.Request("GET", "/healthz").status, 200);
}

// ---- data dir at start-up ---------------------------------------------------

TEST(ServerStartup, FirstStartWritesAnAdminTokenFileReadableOnlyByItsOwner) {
  TestServer server;
  ASSERT_TRUE(server.Start({.set_admin_token = false}));
  fs::path file = server.data_dir() / "admin.token";
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(Mode(file), 0600u);
  std::string token = server.admin_token();
  EXPECT_GE(token.size(), 16u);
  EXPECT_NE((server.StdoutText() + server.StderrText()).find("admin.token"), std::string::npos)
      << "the server says where the token is";
  EXPECT_EQ(server.Admin("GET", "/admin/v1/tenants").status, 200);
  EXPECT_TRUE(IsProblem(
      server.Request("GET", "/admin/v1/tenants", {{"Authorization", "Bearer " + token + "0"}}), 401,
      "invalid_credentials"));
}

TEST(ServerStartup, GeneratedAdminTokenSurvivesARestart) {
  TestServer server;
  ASSERT_TRUE(server.Start({.set_admin_token = false}));
  std::string token = server.admin_token();
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start({.set_admin_token = false}));
  EXPECT_EQ(server.admin_token(), token);
  EXPECT_EQ(server.Admin("GET", "/admin/v1/tenants").status, 200);
}

TEST(ServerStartup, GeneratedAdminTokenIsStoredOnlyAsAHash) {
  TestServer server;
  ASSERT_TRUE(server.Start({.set_admin_token = false}));
  std::string token = server.admin_token();
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(server.Admin("GET", "/admin/v1/tenants").status, 200);
  for (const auto& entry : fs::recursive_directory_iterator(server.data_dir())) {
    if (!entry.is_regular_file() || entry.path().filename() == "admin.token") continue;
    EXPECT_EQ(ReadFile(entry.path()).find(token), std::string::npos) << entry.path();
  }
}

TEST(ServerStartup, CreatesMasterKeyAndControlStore) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  // On PostgreSQL (the suite's second run) the control store is not a file.
  const char* on_postgres = std::getenv("TENANTD_E2E_POSTGRES");
  if (on_postgres == nullptr || std::string_view(on_postgres) != "1") {
    EXPECT_TRUE(fs::exists(server.data_dir() / "control.db"));
  }
  ASSERT_TRUE(fs::exists(server.data_dir() / "master.key"));
  EXPECT_EQ(Mode(server.data_dir() / "master.key"), 0600u);
}

// Issue 12, defect 4: a fresh data directory and everything the server puts
// in it (logs, control store, tenant databases and their WAL, uploads) is
// owner-only, although the test process's umask would allow 0755/0644.
TEST(ServerStartup, EverythingUnderAFreshDataDirIsOwnerOnly) {
  TestServer server;
  const fs::path fresh = server.root() / "fresh";
  ::umask(022);
  ASSERT_TRUE(server.Start({.data_dir = fresh}));
  Response created = server.CreateTenant("owner-only");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const boost::json::value body = created.Json();
  Response upload = server.Request(
      "POST", "/v1/files",
      {{"X-App-Key", std::string(body.at("credentials").at("app_key").as_string())},
       {"X-App-Secret", std::string(body.at("credentials").at("app_secret").as_string())},
       {"Content-Type", "application/octet-stream"}},
      "bytes");
  ASSERT_EQ(upload.status, 201) << upload.Describe();
  EXPECT_EQ(Mode(fresh), 0700u);
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fresh)) {
    if (entry.is_directory()) {
      EXPECT_EQ(Mode(entry.path()), 0700u) << entry.path();
    }
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(Mode(entry.path()), 0600u) << entry.path();
    }
  }
  EXPECT_GE(files, 6u);  // log, control.db(-wal,-shm), master key, tenant db, upload
}

TEST(ServerStartup, RefusesADataDirOthersCanRead) {
  TestServer server;
  fs::permissions(server.data_dir(), fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
  CommandResult r = RunTenantd(
      {"serve", "--host", "127.0.0.1", "--port", "0", "--data", server.data_dir().string()},
      {{"TENANTD_ADMIN_TOKEN", kToken}}, 8s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(SplitLines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("mode 0755"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod -R go-rwx " + server.data_dir().string()), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(server.data_dir() / "control.db"));
  EXPECT_FALSE(fs::exists(server.data_dir() / "storage"));
}

TEST(ServerStartup, EnvironmentAdminTokenIsNotWrittenToTheDataDir) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server.CreateTenant("hash-only").status, 201);
  for (const auto& entry : fs::recursive_directory_iterator(server.data_dir())) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadFile(entry.path()).find(server.admin_token()), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace tenantd::test
