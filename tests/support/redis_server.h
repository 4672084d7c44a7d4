// A real redis-server (Debian package redis-server; `make test` installs it)
// on a free loopback port, in a temporary directory, without persistence.
// A missing redis-server fails the test: Redis tests never skip.
//
// Not thread-safe: use from one test thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tenantd::test {

class BackgroundCommand;

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();  // kills the server
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server and waits until it answers PING. The first start
  // picks a free port; later ones (after Kill) reuse it, as a restarted
  // server keeps its address.
  ::testing::AssertionResult Start();
  // SIGKILL, as a crash would; waits until the process is gone.
  void Kill();
  // SIGSTOP and SIGCONT: a server that holds its connections but answers
  // nothing, as one stuck or overloaded would.
  void Pause();
  void Resume();

  int port() const { return port_; }
  // redis://127.0.0.1:<port>/0
  std::string url() const;

 private:
  // Starts redis-server on port_ and waits for PING.
  ::testing::AssertionResult StartOnPort();
  int port_ = 0;
  std::unique_ptr<BackgroundCommand> process_;
};

}  // namespace tenantd::test
