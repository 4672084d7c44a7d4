// The real tenantd binary as a test fixture, and a runner for its CLI.
//
// TestServer owns a fresh temporary directory (data dir, captured stdout and
// stderr, scratch files such as TLS certificates), starts
// `tenantd serve --host 127.0.0.1 --port 0 --data <dir>/data` in it, waits
// for the "listening on http(s)://127.0.0.1:PORT" line and exposes the port.
// Its destructor SIGKILLs a server still running and removes the directory
// (set TENANTD_E2E_KEEP=1 to keep it); when the current test has failed it
// prints the tail of the server's stdout and stderr first.
//
// Not thread-safe: use a TestServer from one test thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/http_client.h"

namespace tenantd::test {

// Extra environment variables for a child process (added to a scrubbed copy
// of ours: inherited TENANTD_*, APP_* and LOG_JSON variables are removed so
// the developer's shell cannot change what a test sees).
using Env = std::vector<std::pair<std::string, std::string>>;

struct ServerOptions {
  // Appended after `serve --host 127.0.0.1 [--port 0] --data DIR`.
  std::vector<std::string> args = {};
  // TENANTD_AUTH_FAILURES_PER_IP and _PER_KEY and
  // TENANTD_USER_AUTH_REQUESTS_PER_IP default to 1000000 here (the suites
  // refuse credentials on purpose and sign up many users, all from one IP);
  // set them to test those limits.
  Env env = {};
  // False: no `--port 0` (the port then comes from the environment or --config).
  bool pass_port = true;
  // True: TENANTD_ADMIN_TOKEN is set to a random token (see admin_token()).
  // False: the server generates one on first start and writes DIR/admin.token.
  bool set_admin_token = true;
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(15);
  // Serve this data directory instead of the fixture's own: two processes
  // on one data dir are two nodes sharing one control store.
  std::optional<std::filesystem::path> data_dir = std::nullopt;
};

// Exit status of a child: its exit code, 128 + signal when killed by one,
// or kStillRunning when it did not exit in time.
inline constexpr int kStillRunning = -1;

class TestServer {
 public:
  // Creates the temporary directory and DIR/data; does not start the server.
  TestServer();
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Starts the server and waits for its listening line. Fails (with the
  // server's stderr in the message) when it exits or stays silent. May be
  // called again after Stop() to restart on the same data dir.
  ::testing::AssertionResult Start(ServerOptions options = {});

  int port() const { return port_; }
  bool is_tls() const { return tls_; }
  pid_t pid() const { return pid_; }
  // The temporary directory: scratch space for a test (certificates, configs).
  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  // The token set in the environment, or else the content of DIR/admin.token.
  std::string admin_token() const;
  // DIR/storage/framework/log.txt
  std::filesystem::path log_file() const;

  // Sends `signal` to the server.
  void Signal(int signal);
  // Waits up to `timeout` for the server to exit; see kStillRunning.
  int WaitForExit(std::chrono::milliseconds timeout);
  // Signal + WaitForExit; a server that outlives `timeout` is SIGKILLed and
  // kStillRunning returned.
  int Stop(int signal = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  bool running();

  // What the current (or last) run printed.
  std::string StdoutText() const;
  std::string StderrText() const;
  std::string LogText() const;

  // Polls the log file (or, with `from_stdout`, the captured stdout) for up to
  // `timeout` until a line containing `needle` appears; returns that line.
  std::optional<std::string> WaitForLogLine(
      std::string_view needle, std::chrono::milliseconds timeout = std::chrono::seconds(5),
      bool from_stdout = false) const;

  // A request on its own connection to this server.
  Response Request(std::string_view method, std::string_view target, const Headers& headers = {},
                   std::string_view body = {}) const;
  // The same with `Authorization: Bearer <admin token>` and, when a body is
  // given, `Content-Type: application/json`.
  Response Admin(std::string_view method, std::string_view target,
                 std::string_view body = {}) const;
  // POST /admin/v1/tenants with {"slug": slug, "name": name} plus `extra`
  // members (a JSON object text without braces, e.g. R"("plan":"pro")").
  Response CreateTenant(std::string_view slug, std::string_view name = "Test Tenant",
                        std::string_view extra = {}) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path data_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  std::string env_admin_token_;
  pid_t pid_ = -1;
  int exit_status_ = kStillRunning;
  int port_ = 0;
  bool tls_ = false;
  int runs_ = 0;
};

struct CommandResult {
  int exit_code = kStillRunning;  // as for TestServer::WaitForExit
  std::string out;
  std::string err;
  bool timed_out = false;  // killed after the timeout
};

// A command running in the background, its stdout and stderr going to
// files that can be read while it runs (e.g. to act on a progress line).
// The destructor SIGKILLs it if it still runs and removes the files.
class BackgroundCommand {
 public:
  // Starts argv[0] (looked up in PATH) with `env` added to the scrubbed
  // environment; on failure started() is false and Err() says why.
  explicit BackgroundCommand(const std::vector<std::string>& argv, const Env& env = {});
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Sends `signal` unless the command has exited (and been waited for).
  void Signal(int signal);
  // Waits up to `timeout` for the command to exit; its exit status as for
  // TestServer::WaitForExit.
  int Wait(std::chrono::milliseconds timeout);
  // What it has printed so far.
  std::string Out() const;
  std::string Err() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int exit_status_ = kStillRunning;
  std::string spawn_error_;
};

// Runs argv[0] (looked up in PATH) with `env` added to the scrubbed
// environment; kills it after `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv, const Env& env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Runs the tenantd binary under test with `args`.
CommandResult RunTenantd(const std::vector<std::string>& args, const Env& env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Reads a whole file; "" when it does not exist.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view content);
// Splits on '\n' (dropping a trailing empty line).
std::vector<std::string> SplitLines(std::string_view text);
// A slug unique within this test process: "<prefix>-<n>".
std::string UniqueSlug(std::string_view prefix = "t");
// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// The PostgreSQL database the harness gave `data_dir`'s control store in
// the suite's PostgreSQL run (once a server or CLI run used it); "" in the
// SQLite run (the store is then DIR/control.db).
std::string ControlDatabaseUrl(const std::filesystem::path& data_dir);

}  // namespace tenantd::test
