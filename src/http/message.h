// Request and Response as handlers see them: plain values, no Beast types,
// so handler code compiles without Boost.Beast headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace tenantd::http {

class BodyReader;
class BodySource;

struct Header {
  std::string name;
  std::string value;
};

// Small ordered header list with case-insensitive lookup (a request carries
// a dozen headers at most; a linear scan beats hashing here).
class Headers {
 public:
  void Add(std::string name, std::string value) {
    items_.push_back({std::move(name), std::move(value)});
  }
  // First value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<Header>& items() const { return items_; }

 private:
  std::vector<Header> items_;
};

struct Request {
  std::string method;  // upper case, as sent ("GET")
  std::string target;  // path and query exactly as on the request line
  Headers headers;
  std::string body;                   // empty on a streaming route: see body_reader
  BodyReader* body_reader = nullptr;  // set on streaming routes only
  // The client's address. Empty for a request tenantd builds itself from
  // a caller's JSON (POST /auth/v1/verify): nothing is counted per address.
  std::string remote_ip;
  // The connection's peer: remote_ip unless a trusted proxy named the client.
  std::string peer_ip;
  bool is_tls = false;
  // Forward authentication (/auth/v1/check): the body stays with the proxy,
  // so a mode B X-Content-Sha256 cannot be checked here (the answer flags it).
  bool body_elsewhere = false;
  // Path parameters of the matched route, e.g. {"id", "ten_…"}.
  std::vector<std::pair<std::string, std::string>> path_params;

  std::string_view Path() const;   // target up to '?'
  std::string_view Query() const;  // after '?', without it ("" if none)
  // Percent-decoded value of query parameter `name` ('+' is a space); nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
  std::string_view PathParam(std::string_view name) const;  // "" if absent
};

struct Response {
  int status = 200;
  std::string content_type;
  Headers headers;  // besides Content-Type/Length, Date, X-Request-Id (set by the server)
  std::string body;
  // A body sent from a file instead of `body` (zero-copy with sendfile on
  // plain TCP): `length` bytes from `offset`. Content-Length is `length`.
  struct FileBody {
    base::UniqueFd fd;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  std::optional<FileBody> file;
  // A body read from `source` as it is sent (http/body_source.h): exactly
  // `length` bytes (the Content-Length). Shared only so that this header
  // need not define BodySource.
  struct StreamBody {
    std::shared_ptr<BodySource> source;
    uint64_t length = 0;
  };
  std::optional<StreamBody> stream;
  bool close_connection = false;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string content_type, std::string body);
  static Response NoContent();
};

// Decodes %XX and '+'; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// Every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX
// (upper-case hex): safe as one path segment or query value.
std::string PercentEncode(std::string_view s);

}  // namespace tenantd::http
