#include "support/test_server.h"

#include "support/postgres_server.h"

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace tenantd::test {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Variables that configure tenantd; a developer's shell must not leak them in.
bool IsScrubbed(std::string_view key) {
  static constexpr std::string_view kExact[] = {
      "LOG_JSON",       "REDIS_URL",       "FORCE_SECURE_COOKIES",
      "SESSION_TTL_MS", "MAX_UPLOAD_SIZE", "DATABASE_URL"};
  if (key.starts_with("TENANTD_") || key.starts_with("APP_")) return true;
  for (std::string_view k : kExact) {
    if (key == k) return true;
  }
  return false;
}

std::vector<std::string> BuildEnvironment(const Env& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    if (IsScrubbed(key)) continue;
    bool overridden = false;
    for (const auto& [k, v] : extra) overridden = overridden || k == key;
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

// The suite's second run (TENANTD_E2E_POSTGRES=1, tests/CMakeLists.txt)
// puts each data directory's control store in a fresh database of the
// shared PostgreSQL cluster: servers and CLI runs on one data directory
// share it, as they share control.db otherwise. A test that sets
// TENANTD_DATABASE_URL itself keeps its own.
bool PostgresRun() {
  const char* on = std::getenv("TENANTD_E2E_POSTGRES");
  return on != nullptr && std::string_view(on) == "1";
}

// data dir -> database URL
std::map<std::string, std::string>& ControlDatabaseUrls() {
  static std::map<std::string, std::string> urls;
  return urls;
}

Env WithControlDatabase(const fs::path& data_dir, Env env) {
  if (!PostgresRun()) return env;
  for (const auto& [k, v] : env) {
    if (k == "TENANTD_DATABASE_URL") return env;
  }
  std::string& url = ControlDatabaseUrls()[fs::weakly_canonical(data_dir).string()];
  if (url.empty()) url = CreateTestDatabase();
  env.emplace_back("TENANTD_DATABASE_URL", url);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts argv with stdin from /dev/null and stdout/stderr into the files.
// Returns the pid, or -1 with `error` set.
pid_t Spawn(std::vector<std::string> argv, const Env& extra_env, const fs::path& out,
            const fs::path& err, std::string& error) {
  std::vector<std::string> env = BuildEnvironment(extra_env);
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);

  // The child starts with default dispositions and nothing blocked, whatever
  // the test runner did to its own signals.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kStillRunning;
}

// Waits up to `timeout` for `pid`; kStillRunning when it is still alive.
int WaitChild(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0 && errno != EINTR) return kStillRunning;
    if (Clock::now() >= deadline) return kStillRunning;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

fs::path MakeTempDir(std::string_view prefix) {
  std::string tmpl = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  }
  return fs::path(tmpl);
}

std::string RandomHex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kHex[rd() % 16];
  return s;
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::vector<std::string> all = SplitLines(text);
  std::size_t from = all.size() > lines ? all.size() - lines : 0;
  std::string out;
  for (std::size_t i = from; i < all.size(); ++i) out += "  | " + all[i] + "\n";
  return out;
}

std::string JsonString(std::string_view s) {
  return boost::json::serialize(boost::json::value(boost::json::string_view(s.data(), s.size())));
}

}  // namespace

TestServer::TestServer() {
  root_ = MakeTempDir("tenantd-e2e");
  data_dir_ = root_ / "data";
  fs::create_directories(data_dir_);
  // Owner-only, as tenantd itself creates it (it refuses one others can read).
  fs::permissions(data_dir_, fs::perms::owner_all);
}

TestServer::~TestServer() {
  if (pid_ > 0 && exit_status_ == kStillRunning) {
    ::kill(pid_, SIGKILL);
    WaitChild(pid_, std::chrono::seconds(10));
  }
  if (::testing::Test::HasFailure() && runs_ > 0) {
    std::cerr << "[tenantd " << root_.string() << "] stdout (tail):\n"
              << Tail(StdoutText(), 30) << "[tenantd] stderr (tail):\n"
              << Tail(StderrText(), 30);
  }
  const char* keep = std::getenv("TENANTD_E2E_KEEP");
  if (keep == nullptr || std::string_view(keep) != "1") {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

::testing::AssertionResult TestServer::Start(ServerOptions options) {
  if (pid_ > 0 && exit_status_ == kStillRunning) {
    return ::testing::AssertionFailure() << "server already running";
  }
  ++runs_;
  stdout_path_ = root_ / ("server-" + std::to_string(runs_) + ".stdout");
  stderr_path_ = root_ / ("server-" + std::to_string(runs_) + ".stderr");

  std::vector<std::string> argv = {TENANTD_BINARY, "serve", "--host", "127.0.0.1"};
  if (options.pass_port) {
    argv.push_back("--port");
    argv.push_back("0");
  }
  argv.push_back("--data");
  argv.push_back(options.data_dir.value_or(data_dir_).string());
  argv.insert(argv.end(), options.args.begin(), options.args.end());

  Env env = WithControlDatabase(options.data_dir.value_or(data_dir_), options.env);
  // Every suite refuses credentials on purpose, all from 127.0.0.1: the
  // failed-authentication throttle (api.md §7) would soon answer 429 to
  // unrelated tests. It is raised out of the way unless a test sets it.
  for (const char* name : {"TENANTD_AUTH_FAILURES_PER_IP", "TENANTD_AUTH_FAILURES_PER_KEY"}) {
    const bool given =
        std::any_of(env.begin(), env.end(), [name](const auto& kv) { return kv.first == name; });
    if (!given) env.emplace_back(name, "1000000");
  }
  if (options.set_admin_token) {
    if (env_admin_token_.empty()) env_admin_token_ = "e2e-admin-" + RandomHex(32);
    env.emplace_back("TENANTD_ADMIN_TOKEN", env_admin_token_);
  } else {
    env_admin_token_.clear();
  }

  std::string error;
  pid_ = Spawn(argv, env, stdout_path_, stderr_path_, error);
  exit_status_ = kStillRunning;
  port_ = 0;
  if (pid_ < 0) return ::testing::AssertionFailure() << error;

  static const std::regex kListening(R"(listening on (https?)://\S*:(\d+))");
  auto deadline = Clock::now() + options.ready_timeout;
  for (;;) {
    std::string out = StdoutText();
    std::smatch m;
    if (std::regex_search(out, m, kListening)) {
      tls_ = m[1] == "https";
      port_ = std::stoi(m[2]);
      return ::testing::AssertionSuccess();
    }
    int status = WaitForExit(std::chrono::milliseconds(0));
    if (status != kStillRunning) {
      return ::testing::AssertionFailure()
             << "tenantd exited with " << status << " before listening\nstdout:\n"
             << out << "\nstderr:\n"
             << StderrText();
    }
    if (Clock::now() >= deadline) {
      Stop(SIGKILL, std::chrono::seconds(5));
      return ::testing::AssertionFailure() << "no 'listening on' line within "
                                           << options.ready_timeout.count() << " ms\nstdout:\n"
                                           << out << "\nstderr:\n"
                                           << StderrText();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string TestServer::admin_token() const {
  if (!env_admin_token_.empty()) return env_admin_token_;
  std::string token = ReadFile(data_dir_ / "admin.token");
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

fs::path TestServer::log_file() const { return data_dir_ / "storage" / "framework" / "log.txt"; }

void TestServer::Signal(int signal) {
  if (pid_ > 0 && exit_status_ == kStillRunning) ::kill(pid_, signal);
}

int TestServer::WaitForExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  if (exit_status_ == kStillRunning) exit_status_ = WaitChild(pid_, timeout);
  return exit_status_;
}

int TestServer::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  Signal(signal);
  int status = WaitForExit(timeout);
  if (status == kStillRunning) {
    ::kill(pid_, SIGKILL);
    exit_status_ = WaitChild(pid_, std::chrono::seconds(10));
  }
  return status;
}

bool TestServer::running() {
  return pid_ > 0 && WaitForExit(std::chrono::milliseconds(0)) == kStillRunning;
}

std::string TestServer::StdoutText() const { return ReadFile(stdout_path_); }
std::string TestServer::StderrText() const { return ReadFile(stderr_path_); }
std::string TestServer::LogText() const { return ReadFile(log_file()); }

std::optional<std::string> TestServer::WaitForLogLine(std::string_view needle,
                                                      std::chrono::milliseconds timeout,
                                                      bool from_stdout) const {
  std::optional<std::string> found;
  PollUntil(
      [&] {
        for (std::string& line : SplitLines(from_stdout ? StdoutText() : LogText())) {
          if (line.find(needle) != std::string::npos) {
            found = std::move(line);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

Response TestServer::Request(std::string_view method, std::string_view target,
                             const Headers& headers, std::string_view body) const {
  return Send(port_, method, target, headers, body);
}

Response TestServer::Admin(std::string_view method, std::string_view target,
                           std::string_view body) const {
  Headers headers = {{"Authorization", "Bearer " + admin_token()}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return Send(port_, method, target, headers, body);
}

Response TestServer::CreateTenant(std::string_view slug, std::string_view name,
                                  std::string_view extra) const {
  std::string body = "{\"slug\":" + JsonString(slug) + ",\"name\":" + JsonString(name);
  if (!extra.empty()) body += "," + std::string(extra);
  body += "}";
  return Admin("POST", "/admin/v1/tenants", body);
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv, const Env& env)
    : dir_(MakeTempDir("tenantd-e2e-cmd")) {
  // tenantd (or tenantd_next) on a data directory: that directory's control store.
  const auto data = std::find(argv.begin(), argv.end(), "--data");
  const Env full =
      data != argv.end() && data + 1 != argv.end() ? WithControlDatabase(*(data + 1), env) : env;
  pid_ = Spawn(argv, full, dir_ / "out", dir_ / "err", spawn_error_);
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0 && exit_status_ == kStillRunning) {
    ::kill(pid_, SIGKILL);
    WaitChild(pid_, std::chrono::seconds(10));
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void BackgroundCommand::Signal(int signal) {
  if (pid_ > 0 && exit_status_ == kStillRunning) ::kill(pid_, signal);
}

int BackgroundCommand::Wait(std::chrono::milliseconds timeout) {
  if (pid_ > 0 && exit_status_ == kStillRunning) exit_status_ = WaitChild(pid_, timeout);
  return exit_status_;
}

std::string BackgroundCommand::Out() const { return ReadFile(dir_ / "out"); }

std::string BackgroundCommand::Err() const {
  return started() ? ReadFile(dir_ / "err") : spawn_error_;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const Env& env,
                         std::chrono::milliseconds timeout) {
  CommandResult result;
  BackgroundCommand command(argv, env);
  if (command.started()) {
    result.exit_code = command.Wait(timeout);
    if (result.exit_code == kStillRunning) {
      result.timed_out = true;
      command.Signal(SIGKILL);
      command.Wait(std::chrono::seconds(10));
    }
    result.out = command.Out();
  }
  result.err = command.Err();
  return result;
}

CommandResult RunTenantd(const std::vector<std::string>& args, const Env& env,
                         std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {TENANTD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env, timeout);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string UniqueSlug(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + "-" + std::to_string(++counter);
}

bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ControlDatabaseUrl(const fs::path& data_dir) {
  if (!PostgresRun()) return "";
  const auto it = ControlDatabaseUrls().find(fs::weakly_canonical(data_dir).string());
  return it == ControlDatabaseUrls().end() ? "" : it->second;
}

}  // namespace tenantd::test
