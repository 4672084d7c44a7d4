#include "support/smtp_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

// aiosmtpd is Debian's python3-aiosmtpd: the system interpreter, not
// whatever python3 comes first in PATH.
constexpr const char* kPython = "/usr/bin/python3";

// A port the kernel just handed out and nobody listens on.
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

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

void WriteAll(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A self-signed certificate for localhost and 127.0.0.1 (P-256, valid two
// days) at cert/key; "" or what went wrong.
std::string MakeCertificate(const fs::path& cert, const fs::path& key, const fs::path& log) {
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
      " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key.string() + " -out " + cert.string() + " >>" + log.string() + " 2>&1";
  if (std::system(command.c_str()) != 0) return "openssl req failed: " + ReadAll(log);
  return "";
}

std::string String(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : std::string();
}

}  // namespace

SmtpServer::SmtpServer(Mode mode, std::string auth) : mode_(mode), auth_(std::move(auth)) {
  std::string pattern = (fs::temp_directory_path() / "tenantd_smtp_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  inbox_ = dir_ / "inbox";
  fs::create_directory(inbox_);
}

SmtpServer::~SmtpServer() {
  Stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SmtpServer::url(const std::string& userinfo) const {
  return std::string(mode_ == Mode::kImplicitTls ? "smtps://" : "smtp://") +
         (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_);
}

fs::path SmtpServer::OtherCaFile() {
  const fs::path cert = dir_ / "other-cert.pem";
  if (!fs::exists(cert)) {
    const std::string error = MakeCertificate(cert, dir_ / "other-key.pem", dir_ / "openssl.log");
    if (!error.empty()) ADD_FAILURE() << error;
  }
  return cert;
}

void SmtpServer::ReplyToRcpt(const std::string& reply) { WriteAll(inbox_ / "rcpt.reply", reply); }
void SmtpServer::ReplyToData(const std::string& reply) { WriteAll(inbox_ / "data.reply", reply); }

std::string SmtpServer::Log() const { return ReadAll(dir_ / "server.log"); }

::testing::AssertionResult SmtpServer::Start() {
  if (pid_ > 0) return ::testing::AssertionSuccess();
  if (mode_ != Mode::kPlain && !fs::exists(ca_file())) {
    const std::string error = MakeCertificate(ca_file(), dir_ / "key.pem", dir_ / "openssl.log");
    if (!error.empty()) return ::testing::AssertionFailure() << error;
  }
  if (port_ != 0) return StartOnPort();  // a restart keeps its address
  // A free port stays free only until someone binds it (a server of a
  // test running beside): when the sink cannot bind it, try a new one.
  ::testing::AssertionResult started = ::testing::AssertionFailure() << "no free loopback port";
  for (int attempt = 0; attempt < 3 && !started; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) break;
    started = StartOnPort();
  }
  if (!started) port_ = 0;
  return started;
}

::testing::AssertionResult SmtpServer::StartOnPort() {
  const fs::path ready = inbox_ / ("ready." + std::to_string(port_));
  fs::remove(ready);
  std::vector<std::string> args = {kPython,  TENANTD_SOURCE_DIR "/tests/support/smtp_sink.py",
                                   "--port", std::to_string(port_),
                                   "--dir",  inbox_.string()};
  if (mode_ != Mode::kPlain) {
    args.push_back(mode_ == Mode::kStartTls ? "--starttls" : "--smtps");
    args.push_back(ca_file().string());
    args.push_back((dir_ / "key.pem").string());
  }
  if (!auth_.empty()) {
    args.push_back("--auth");
    args.push_back(auth_);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (dir_ / "server.log").string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rc = posix_spawn(&pid_, kPython, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return ::testing::AssertionFailure() << "cannot start " << kPython << ": " << strerror(rc);
  }
  // The sink writes `ready` once it listens; polled, as there is nothing to
  // wait on (bounded: a sink that cannot bind exits at once).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(ready)) return ::testing::AssertionSuccess();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ::testing::AssertionFailure()
             << "smtp_sink.py exited (install the Debian package python3-aiosmtpd): " << Log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return ::testing::AssertionFailure()
         << "smtp_sink.py did not listen on " << port_ << ": " << Log();
}

void SmtpServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

std::vector<SmtpServer::Received> SmtpServer::Messages() const {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(inbox_)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Received> out;
  for (const fs::path& file : files) {
    const boost::json::object record = boost::json::parse(ReadAll(file)).as_object();
    Received r;
    r.mail_from = String(record.at("mail_from"));
    for (const auto& to : record.at("rcpt_tos").as_array()) r.rcpt_tos.push_back(String(to));
    r.tls = record.at("tls").as_bool();
    r.auth_user = String(record.at("auth_user"));
    r.raw = String(record.at("raw"));
    for (const auto& [k, v] : record.at("headers").as_object()) r.headers[k] = String(v);
    for (const auto& [k, v] : record.at("parts").as_object()) r.parts[k] = String(v);
    for (const auto& d : record.at("defects").as_array()) r.defects.push_back(String(d));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tenantd::test
