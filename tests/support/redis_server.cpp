#include "support/redis_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "support/test_server.h"

namespace tenantd::test {
namespace {

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

}  // namespace

RedisServer::RedisServer() = default;

RedisServer::~RedisServer() { Kill(); }

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

::testing::AssertionResult RedisServer::Start() {
  if (port_ != 0) return StartOnPort();  // a restart keeps its address
  // A free port stays free only until someone binds it (a tenantd of a
  // test running beside): when redis-server cannot bind it, try a new one.
  ::testing::AssertionResult started = ::testing::AssertionFailure() << "no free loopback port";
  for (int attempt = 0; attempt < 3 && !started; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) break;
    started = StartOnPort();
  }
  if (!started) port_ = 0;
  return started;
}

::testing::AssertionResult RedisServer::StartOnPort() {
  Kill();
  // --dir: the working directory of a server without persistence still
  // must be writable; the fixture's own temporary files dir will do.
  process_ = std::make_unique<BackgroundCommand>(std::vector<std::string>{
      "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp", "--loglevel", "warning"});
  if (!process_->started()) {
    return ::testing::AssertionFailure()
           << "cannot start redis-server (install the Debian package redis-server; make test "
              "does): "
           << process_->Err();
  }
  bool exited = false;
  const bool up = PollUntil(
      [&] {
        exited = process_->Wait(std::chrono::milliseconds(0)) != kStillRunning;
        if (exited) return true;
        const CommandResult ping = RunCommand({"redis-cli", "-p", std::to_string(port_), "ping"},
                                              {}, std::chrono::seconds(2));
        return ping.out.find("PONG") != std::string::npos;
      },
      std::chrono::seconds(10));
  if (!up || exited) {
    return ::testing::AssertionFailure()
           << "redis-server on port " << port_ << " did not answer PING: " << process_->Err()
           << process_->Out();
  }
  return ::testing::AssertionSuccess();
}

void RedisServer::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(5));
  process_.reset();
}

void RedisServer::Pause() {
  if (process_) process_->Signal(SIGSTOP);
}

void RedisServer::Resume() {
  if (process_) process_->Signal(SIGCONT);
}

}  // namespace tenantd::test
