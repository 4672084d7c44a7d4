// A small blocking HTTP/1.1 client for the end-to-end tests.
//
// It speaks plain sockets to 127.0.0.1 so that the tests see exactly the
// bytes the server sends: status line, headers in their order, chunked or
// Content-Length bodies, and when the server closes. Every read has a
// deadline, so a server that hangs fails a test instead of hanging it.
//
// Two levels:
//   - Send(port, method, target, ...) for one request on its own connection;
//   - Connection for keep-alive sequences and for attack tests that write
//     arbitrary bytes and watch what the server does (answer, close, reset).
//
// Not thread-safe; one Connection per thread.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantd::test {

using namespace std::chrono_literals;

// Header fields in the order sent or received.
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  // 0 when no complete response arrived; `error` says why.
  int status = 0;
  std::string version;  // "HTTP/1.1"
  std::string reason;
  Headers headers;
  std::string body;  // de-chunked
  // Transport failure (connect refused, timeout, peer closed mid-response).
  std::string error;

  bool ok() const { return status != 0; }
  // Case-insensitive lookup of the first field called `name`; "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> HeaderValues(std::string_view name) const;
  // The body parsed as JSON. Throws std::runtime_error (quoting the body) when
  // it is not JSON, which gtest reports as a failure of the calling test.
  boost::json::value Json() const;
  // "HTTP/1.1 200 OK" plus body excerpt, for assertion messages.
  std::string Describe() const;
};

// One TCP connection to 127.0.0.1:port.
class Connection {
 public:
  // Connects at once; check connected() / error(). `io_timeout` bounds each
  // ReadResponse() and Write().
  explicit Connection(int port, std::chrono::milliseconds io_timeout = 10s);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return fd_ >= 0 && !connect_failed_; }
  const std::string& error() const { return error_; }

  // Writes all of `bytes`. False when the peer closed or reset the
  // connection (no SIGPIPE is raised) or the write timed out.
  bool Write(std::string_view bytes);

  // Writes a request (adding Host and, when a body is given or the method is
  // POST/PUT/PATCH, Content-Length) and reads its response.
  Response Request(std::string_view method, std::string_view target, const Headers& headers = {},
                   std::string_view body = {});

  // Reads one response within io_timeout. `head` = the request was HEAD (no
  // body follows). Interim 1xx responses are skipped.
  Response ReadResponse(bool head = false);

  // Waits up to `max` for the server to close the connection (EOF or reset).
  // Bytes that arrive meanwhile are kept (see received()). True when closed.
  bool WaitForClose(std::chrono::milliseconds max);

  // Everything received and not yet consumed by ReadResponse().
  const std::string& received() const { return buffer_; }
  bool peer_closed() const { return peer_closed_; }

  // Half-closes the sending side (the server sees EOF).
  void ShutdownWrite();

 private:
  // Reads what is available, waiting until `deadline`. False on EOF, error or
  // timeout (`timed_out` tells which).
  bool ReadMore(std::chrono::steady_clock::time_point deadline, bool* timed_out);

  int fd_ = -1;
  int port_ = 0;
  bool connect_failed_ = false;
  bool peer_closed_ = false;
  std::chrono::milliseconds io_timeout_;
  std::string buffer_;
  std::string error_;
};

// One request on a fresh connection that asks the server to close after it.
Response Send(int port, std::string_view method, std::string_view target,
              const Headers& headers = {}, std::string_view body = {},
              std::chrono::milliseconds timeout = 10s);

// Serializes a request exactly as Connection::Request would send it.
std::string FormatRequest(std::string_view method, std::string_view target, const Headers& headers,
                          std::string_view body, int port);

// Parses a complete response from raw bytes (e.g. what a connection received
// before the server closed it). status == 0 when `raw` holds no complete one.
Response ParseResponse(std::string_view raw, bool head = false);

// Case-insensitive ASCII comparison and search.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

// JSON helpers: the value at a dotted path ("tenant.id", "errors.0.field"),
// or nullptr when any step is absent or of another kind.
const boost::json::value* FindPath(const boost::json::value& root, std::string_view path);
// The string at `path`, or "" when absent or not a string.
std::string StringAt(const boost::json::value& root, std::string_view path);

}  // namespace tenantd::test
