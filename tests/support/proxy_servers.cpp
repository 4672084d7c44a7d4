#include "support/proxy_servers.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/http_client.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The inode of the socket listening on 127.0.0.1:`port`, or "" (from
// /proc/net/tcp: local address in hex, state 0A = LISTEN, inode 10th column).
std::string ListeningSocketInode(int port) {
  char local[16];
  std::snprintf(local, sizeof local, "0100007F:%04X", static_cast<unsigned>(port));
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, address, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> address >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (address == local && state == "0A") return inode;
  }
  return "";
}

// Whether process `pid` holds the socket listening on 127.0.0.1:`port`,
// rather than some other process that bound the port first.
bool ListensOn(pid_t pid, int port) {
  const std::string inode = ListeningSocketInode(port);
  if (inode.empty()) return false;
  const std::string wanted = "socket:[" + inode + "]";
  std::error_code ec;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(fds, ec)) {
    if (std::filesystem::read_symlink(fd.path(), ec).string() == wanted) return true;
  }
  return false;
}

// Answers one request on `fd` with its echo; counts it in `requests` before
// answering, so a client that has its answer always sees it counted.
void EchoOne(int fd, std::atomic<int>& requests) {
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string in;
  char buf[16384];
  std::size_t head_end = std::string::npos;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    in.append(buf, static_cast<std::size_t>(n));
  }
  boost::json::object headers;
  std::string method, target;
  std::size_t content_length = 0;
  std::size_t line_start = 0;
  for (bool first = true; line_start < head_end; first = false) {
    const std::size_t eol = in.find("\r\n", line_start);
    const std::string_view line(in.data() + line_start, eol - line_start);
    line_start = eol + 2;
    if (first) {
      const std::size_t sp1 = line.find(' ');
      const std::size_t sp2 = line.find(' ', sp1 + 1);
      method = std::string(line.substr(0, sp1));
      target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = Lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "content-length")
      content_length = std::strtoul(std::string(value).c_str(), nullptr, 10);
    if (auto* existing = headers.if_contains(name)) {
      std::string joined(existing->as_string().c_str());
      joined += ", ";
      joined += value;
      *existing = joined;
    } else {
      headers[name] = boost::json::string_view(value.data(), value.size());
    }
  }
  std::string body = in.substr(head_end + 4);
  while (body.size() < content_length) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    body.append(buf, static_cast<std::size_t>(n));
  }
  ++requests;
  const std::string echo = boost::json::serialize(boost::json::object{
      {"method", method}, {"target", target}, {"headers", headers}, {"body", body}});
  const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(echo.size()) + "\r\nConnection: close\r\n\r\n" + echo;
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

int FreeTcpPort() {
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

EchoUpstream::EchoUpstream() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "echo upstream: cannot listen on loopback";
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

EchoUpstream::~EchoUpstream() {
  stopping_ = true;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void EchoUpstream::Serve() {
  while (!stopping_) {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    EchoOne(fd, requests_);
    close(fd);
  }
}

ProxyServer::ProxyServer(Kind kind) : kind_(kind) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tenantd-proxy-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "cannot create a temporary directory";
    return;
  }
  dir_ = pattern;
}

ProxyServer::~ProxyServer() {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(5));
  }
  std::error_code ec;
  if (!dir_.empty() && std::getenv("TENANTD_E2E_KEEP") == nullptr) {
    std::filesystem::remove_all(dir_, ec);
  }
}

::testing::AssertionResult ProxyServer::Start(const std::string& config) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = FreeTcpPort();
    if (port == 0) return ::testing::AssertionFailure() << "no free loopback port";
    if (TryStart(config, port)) {
      port_ = port;
      return ::testing::AssertionSuccess();
    }
    if (!process_->started()) break;  // the binary is missing: no retry helps
  }
  return ::testing::AssertionFailure()
         << (kind_ == Kind::kNginx ? "nginx" : "haproxy") << " did not start:\n"
         << Log();
}

bool ProxyServer::TryStart(std::string config, int port) {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(5));
  }
  ReplaceAll(config, "{dir}", dir_.string());
  ReplaceAll(config, "{port}", std::to_string(port));
  const std::filesystem::path conf = dir_ / (kind_ == Kind::kNginx ? "nginx.conf" : "haproxy.cfg");
  WriteFile(conf, config);
  std::vector<std::string> argv;
  if (kind_ == Kind::kNginx) {
    argv = {"nginx",
            "-p",
            dir_.string() + "/",
            "-e",
            (dir_ / "error.log").string(),
            "-c",
            conf.string(),
            "-g",
            "daemon off; master_process off;"};
  } else {
    argv = {"haproxy", "-db", "-f", conf.string()};
  }
  process_ = std::make_unique<BackgroundCommand>(argv);
  if (!process_->started()) return false;
  bool exited = false;
  const bool listening = PollUntil(
      [&] {
        exited = process_->Wait(std::chrono::milliseconds(0)) != kStillRunning;
        return exited || ListensOn(process_->pid(), port);
      },
      std::chrono::seconds(10));
  return listening && !exited;
}

std::string ProxyServer::Log() const {
  std::string log = ReadFile(dir_ / "error.log");
  if (process_) log += process_->Err() + process_->Out();
  return log;
}

}  // namespace tenantd::test
