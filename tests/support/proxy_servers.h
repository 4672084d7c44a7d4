// Real proxies in front of tenantd for the forward-authentication tests
// (api.md §19): an upstream that echoes what it receives, and nginx or
// haproxy started on a free loopback port from a configuration text,
// in a temporary directory, torn down by the destructor. A missing binary
// fails the test (make test installs nginx-light and haproxy).
//
// Not thread-safe: use from one test thread (the echo server answers on
// its own thread).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace tenantd::test {

class BackgroundCommand;

// A free loopback port (for servers that cannot report the one they bound).
int FreeTcpPort();

// An HTTP/1.x server on 127.0.0.1 answering every request 200 with JSON
// {"method", "target", "headers": {lower-case name: value, repeated ones
// joined by ", "}, "body": "..."}, one request per connection.
class EchoUpstream {
 public:
  EchoUpstream();  // listens at once; port() is valid after construction
  ~EchoUpstream();
  EchoUpstream(const EchoUpstream&) = delete;
  EchoUpstream& operator=(const EchoUpstream&) = delete;

  int port() const { return port_; }
  // Requests answered so far.
  int requests() const { return requests_.load(); }

 private:
  void Serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// nginx or haproxy from `config` (the whole configuration file); the
// placeholders {dir} and {port} in it become the temporary directory and
// the loopback port the proxy listens on.
class ProxyServer {
 public:
  enum class Kind { kNginx, kHaproxy };
  explicit ProxyServer(Kind kind);
  ~ProxyServer();  // stops the proxy, removes the directory
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // Picks a free loopback port, writes the configuration, starts the proxy
  // in the foreground and waits until the proxy itself listens on the port.
  // A free port is only free until someone binds it: when another process
  // (a tenantd of a test running beside) takes it first, the proxy exits
  // and Start tries again on a new port.
  ::testing::AssertionResult Start(const std::string& config);
  // The port it listens on, once started.
  int port() const { return port_; }
  // The proxy's error log (nginx) or output (haproxy), for failure messages.
  std::string Log() const;

 private:
  // One try on `port`: true once the proxy listens there; false when it
  // exited (the port was taken) or did not listen within 10 s.
  bool TryStart(std::string config, int port);

  Kind kind_;
  int port_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<BackgroundCommand> process_;
};

}  // namespace tenantd::test
