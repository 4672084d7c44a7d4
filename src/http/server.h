// The HTTP/1.1 server: N event-loop threads (one io_context each), one
// acceptor handing connections out round-robin, one coroutine per
// connection. Enforces the limits and timeouts of api.md §1, answers
// problem+json for what it rejects itself, and drains gracefully on Stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "http/client_address.h"

namespace tenantd::http {

class Router;
class Metrics;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port; see Server::port()
  unsigned threads = 1;
  std::size_t max_body_bytes = 1024 * 1024;  // default per-route body limit
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_idle_timeout{30};
  std::chrono::seconds keepalive_timeout{60};
  std::chrono::seconds shutdown_timeout{10};
  std::string tls_cert;  // PEM files; TLS on every connection when set
  std::string tls_key;
  // Peers whose forwarding header names the client (none by default).
  TrustedProxies trusted_proxies;
  ForwardedHeader forwarded_header = ForwardedHeader::kXForwardedFor;
};

// Facts about one answered (or rejected) request, for the access log. Views
// are valid only during the callback.
struct AccessRecord {
  base::TimePoint start;
  int status = 0;
  std::string_view method;
  std::string_view target;
  std::chrono::nanoseconds duration{0};
  uint64_t bytes_sent = 0;      // response body bytes
  uint64_t bytes_received = 0;  // request body bytes read (usage metering)
  std::string_view tenant;      // slug, "" = none
  std::string_view tenant_id;   // "" = not an authenticated tenant request
  std::string_view request_id;
  std::string_view remote_ip;  // the client's, behind trusted proxies (ClientAddress)
  std::string_view user_agent;
  std::string_view referer;
};

struct ServerHooks {
  // Called on the event-loop thread after each answer; must not block.
  std::function<void(const AccessRecord&)> on_access;
  // Unexpected failures (handler exceptions, accept errors), with the request id if any.
  std::function<void(std::string_view request_id, std::string_view message)> on_error;
};

class Server {
 public:
  // `router` and `metrics` must outlive the server.
  Server(ServerOptions options, const Router& router, Metrics& metrics, ServerHooks hooks);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (and loads the TLS key pair). Errors are one line
  // suitable for the operator ("cannot listen on 127.0.0.1:80: Permission denied").
  base::Status Listen();
  uint16_t port() const;  // the bound port, after Listen()
  bool is_tls() const;

  // Serves until Stop() (or SIGINT/SIGTERM when `handle_signals`), then
  // drains: stops accepting, closes idle connections, lets requests in flight
  // finish up to shutdown_timeout. Blocks the calling thread, which becomes
  // event-loop thread 0.
  void Run(bool handle_signals);

  // Thread-safe; idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantd::http
