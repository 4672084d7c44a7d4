#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace tenantd::test {
namespace {

using Clock = std::chrono::steady_clock;

enum class ParseState { kDone, kNeedMore, kError };

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> ParseSize(std::string_view s, int base) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Decodes a chunked body starting at `data`. On kDone, `consumed` is the
// number of bytes of `data` the body (and its trailers) used.
ParseState DecodeChunked(std::string_view data, std::string& out, std::size_t& consumed) {
  out.clear();
  std::size_t pos = 0;
  for (;;) {
    std::size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return ParseState::kNeedMore;
    std::string_view size_line = data.substr(pos, eol - pos);
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions
    std::optional<std::size_t> size = ParseSize(size_line, 16);
    if (!size) return ParseState::kError;
    pos = eol + 2;
    if (*size == 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        std::size_t end = data.find("\r\n", pos);
        if (end == std::string_view::npos) return ParseState::kNeedMore;
        bool empty = end == pos;
        pos = end + 2;
        if (empty) {
          consumed = pos;
          return ParseState::kDone;
        }
      }
    }
    if (data.size() < pos + *size + 2) return ParseState::kNeedMore;
    out.append(data.substr(pos, *size));
    pos += *size;
    if (data.substr(pos, 2) != "\r\n") return ParseState::kError;
    pos += 2;
  }
}

// Tries to parse one response from the front of `data`. `eof` = no more bytes
// will come (a body delimited by close is then complete).
ParseState TryParse(std::string_view data, bool head, bool eof, Response& out,
                    std::size_t& consumed) {
  std::size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return eof ? ParseState::kError : ParseState::kNeedMore;
  std::string_view head_block = data.substr(0, head_end);
  std::size_t line_end = head_block.find("\r\n");
  std::string_view status_line = head_block.substr(0, line_end);

  Response r;
  std::size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || !status_line.starts_with("HTTP/")) return ParseState::kError;
  r.version = std::string(status_line.substr(0, sp1));
  std::string_view rest = status_line.substr(sp1 + 1);
  std::size_t sp2 = rest.find(' ');
  std::optional<std::size_t> code = ParseSize(rest.substr(0, sp2), 10);
  if (!code || *code < 100 || *code > 999) return ParseState::kError;
  r.status = static_cast<int>(*code);
  if (sp2 != std::string_view::npos) r.reason = std::string(rest.substr(sp2 + 1));

  std::size_t pos = line_end == std::string_view::npos ? head_block.size() : line_end + 2;
  while (pos < head_block.size()) {
    std::size_t end = head_block.find("\r\n", pos);
    if (end == std::string_view::npos) end = head_block.size();
    std::string_view line = head_block.substr(pos, end - pos);
    pos = end + 2;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return ParseState::kError;
    r.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                           std::string(Trim(line.substr(colon + 1))));
  }

  std::size_t body_start = head_end + 4;
  std::string_view body_data = data.substr(body_start);
  bool no_body = head || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (no_body) {
    consumed = body_start;
  } else if (ContainsIgnoreCase(r.Header("Transfer-Encoding"), "chunked")) {
    std::size_t used = 0;
    ParseState st = DecodeChunked(body_data, r.body, used);
    if (st == ParseState::kNeedMore && eof) return ParseState::kError;
    if (st != ParseState::kDone) return st;
    consumed = body_start + used;
  } else if (r.HasHeader("Content-Length")) {
    std::optional<std::size_t> length = ParseSize(r.Header("Content-Length"), 10);
    if (!length) return ParseState::kError;
    if (body_data.size() < *length) return eof ? ParseState::kError : ParseState::kNeedMore;
    r.body = std::string(body_data.substr(0, *length));
    consumed = body_start + *length;
  } else {
    // Delimited by the close of the connection.
    if (!eof) return ParseState::kNeedMore;
    r.body = std::string(body_data);
    consumed = data.size();
  }
  out = std::move(r);
  return ParseState::kDone;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

bool IsMethodWithBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) { return Lower(x) == Lower(y); });
  return it != haystack.end() || needle.empty();
}

std::string Response::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

bool Response::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

std::vector<std::string> Response::HeaderValues(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) values.push_back(v);
  }
  return values;
}

boost::json::value Response::Json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) throw std::runtime_error("response body is not JSON: " + Describe());
  return v;
}

std::string Response::Describe() const {
  if (status == 0) return "no response (" + error + ")";
  std::string s = version + " " + std::to_string(status) + " " + reason;
  for (const auto& [n, v] : headers) s += "\n" + n + ": " + v;
  s += "\n\n" + (body.size() > 2000 ? body.substr(0, 2000) + "…" : body);
  return s;
}

Connection::Connection(int port, std::chrono::milliseconds io_timeout)
    : port_(port), io_timeout_(io_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    connect_failed_ = true;
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    connect_failed_ = true;
    error_ = std::string("connect: ") + std::strerror(errno);
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::Write(std::string_view bytes) {
  if (!connected()) return false;
  auto deadline = Clock::now() + io_timeout_;
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      error_ = "write timed out";
      return false;
    }
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // The server closed or reset the connection. What it sent before
      // (e.g. a 413) may still wait in the receive queue, so reading goes on.
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool Connection::ReadMore(Clock::time_point deadline, bool* timed_out) {
  *timed_out = false;
  if (!connected() || peer_closed_) return false;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      *timed_out = true;
      return false;
    }
    if (ready < 0) {
      peer_closed_ = true;
      error_ = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      peer_closed_ = true;
      error_ =
          n == 0 ? "connection closed by server" : std::string("recv: ") + std::strerror(errno);
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

Response Connection::ReadResponse(bool head) {
  Response r;
  if (!connected()) {
    r.error = error_.empty() ? "not connected" : error_;
    return r;
  }
  auto deadline = Clock::now() + io_timeout_;
  for (;;) {
    std::size_t consumed = 0;
    Response parsed;
    ParseState st = TryParse(buffer_, head, peer_closed_, parsed, consumed);
    if (st == ParseState::kDone) {
      buffer_.erase(0, consumed);
      if (parsed.status >= 100 && parsed.status < 200 && parsed.status != 101) continue;
      return parsed;
    }
    if (st == ParseState::kError) {
      r.error = buffer_.empty() ? (error_.empty() ? "no bytes received" : error_)
                                : "malformed response: " + buffer_.substr(0, 200);
      return r;
    }
    if (peer_closed_) {
      r.error = error_;
      return r;
    }
    bool timed_out = false;
    if (!ReadMore(deadline, &timed_out) && timed_out) {
      r.error = "timed out waiting for a response";
      return r;
    }
  }
}

Response Connection::Request(std::string_view method, std::string_view target,
                             const Headers& headers, std::string_view body) {
  if (!Write(FormatRequest(method, target, headers, body, port_))) {
    // The server may have answered and closed already (e.g. 413 before the body).
    Response r = ReadResponse(method == "HEAD");
    if (!r.ok()) r.error = "write failed (" + error_ + ")";
    return r;
  }
  return ReadResponse(method == "HEAD");
}

bool Connection::WaitForClose(std::chrono::milliseconds max) {
  if (!connected()) return true;
  auto deadline = Clock::now() + max;
  while (!peer_closed_) {
    bool timed_out = false;
    if (!ReadMore(deadline, &timed_out) && timed_out) return false;
  }
  return true;
}

void Connection::ShutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string FormatRequest(std::string_view method, std::string_view target, const Headers& headers,
                          std::string_view body, int port) {
  auto has = [&](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  };
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!has("Host")) out += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& [n, v] : headers) out += n + ": " + v + "\r\n";
  if (!has("Content-Length") && !has("Transfer-Encoding") &&
      (!body.empty() || IsMethodWithBody(method))) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out.append(body);
  return out;
}

Response Send(int port, std::string_view method, std::string_view target, const Headers& headers,
              std::string_view body, std::chrono::milliseconds timeout) {
  Headers all = headers;
  if (std::none_of(all.begin(), all.end(),
                   [](const auto& h) { return EqualsIgnoreCase(h.first, "Connection"); })) {
    all.emplace_back("Connection", "close");
  }
  Connection conn(port, timeout);
  if (!conn.connected()) {
    Response r;
    r.error = conn.error();
    return r;
  }
  return conn.Request(method, target, all, body);
}

Response ParseResponse(std::string_view raw, bool head) {
  Response r;
  std::size_t consumed = 0;
  if (TryParse(raw, head, /*eof=*/true, r, consumed) != ParseState::kDone) {
    Response none;
    none.error =
        raw.empty() ? "no bytes" : "no complete response in: " + std::string(raw.substr(0, 200));
    return none;
  }
  return r;
}

const boost::json::value* FindPath(const boost::json::value& root, std::string_view path) {
  const boost::json::value* cur = &root;
  while (!path.empty()) {
    std::size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (const auto* obj = cur->if_object()) {
      cur = obj->if_contains(step);
    } else if (const auto* arr = cur->if_array()) {
      std::optional<std::size_t> index = ParseSize(step, 10);
      cur = index && *index < arr->size() ? &(*arr)[*index] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string StringAt(const boost::json::value& root, std::string_view path) {
  const boost::json::value* v = FindPath(root, path);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

}  // namespace tenantd::test
