#include "logging/logger.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "base/time.h"

namespace tenantd::logging {
namespace {

constexpr std::size_t kWakeBytes = 256 * 1024;
constexpr std::size_t kMaxPendingBytes = 16 * 1024 * 1024;
constexpr std::size_t kMaxAgentChars = 120;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IsCredentialParam(std::string_view name) {
  static constexpr std::string_view kWords[] = {"signature", "sig",    "token",
                                                "key",       "secret", "password"};
  for (auto w : kWords) {
    if (IEquals(name, w)) return true;
    if (name.size() > w.size()) {  // "_token" too: a separator, then the word
      const char sep = name[name.size() - w.size() - 1];
      if ((sep == '_' || sep == '-') && IEquals(name.substr(name.size() - w.size()), w))
        return true;
    }
  }
  return false;
}

// Keeps a text-log field on one line and unambiguous: quotes, backslashes
// and control bytes are escaped, so a crafted User-Agent cannot forge lines.
void AppendEscaped(std::string& out, std::string_view s, std::size_t max_chars) {
  if (s.size() > max_chars) s = s.substr(0, max_chars);
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, end);
}

// "<whole>.<tenth>" from a value counted in tenths (integer math: this runs
// once per request).
void AppendTenths(std::string& out, uint64_t tenths) {
  AppendUint(out, tenths / 10);
  out += '.';
  out += static_cast<char>('0' + tenths % 10);
}

void AppendSize(std::string& out, uint64_t bytes) {
  if (bytes < 1024) {
    AppendUint(out, bytes);
    out += 'B';
  } else if (bytes < 1024 * 1024) {
    AppendTenths(out, (bytes * 10 + 512) / 1024);
    out += "KB";
  } else {
    AppendTenths(out, (bytes * 10 + 512 * 1024) / (1024 * 1024));
    out += "MB";
  }
}

// RFC 3339 with milliseconds; the part up to the seconds is formatted once
// per second per thread.
void AppendTimestamp(std::string& out, base::TimePoint t) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_prefix;  // "2026-11-22T21:04:05."
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const int64_t second = ms / 1000;
  if (second != cached_second) {
    cached_prefix = base::FormatRfc3339(t);
    cached_prefix.resize(20);
    cached_second = second;
  }
  out += cached_prefix;
  const int millis = static_cast<int>(ms % 1000);
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
}

std::string_view OrDash(std::string_view s) { return s.empty() ? std::string_view("-") : s; }

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk or closed stdout must not take the server down
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view s) {
  if (s == "trace") return Level::kTrace;
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  return std::nullopt;
}

std::string MaskTarget(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && IsCredentialParam(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

std::string FormatAccessText(const http::AccessRecord& rec) {
  std::string out;
  out.reserve(256);
  AppendTimestamp(out, rec.start);
  out += ' ';
  AppendUint(out, static_cast<uint64_t>(rec.status));
  out += ' ';
  AppendEscaped(out, rec.method, SIZE_MAX);
  out += ' ';
  if (rec.target.find('?') == std::string_view::npos) {
    AppendEscaped(out, rec.target, SIZE_MAX);
  } else {
    AppendEscaped(out, MaskTarget(rec.target), SIZE_MAX);
  }
  out += ' ';
  // Rounded to a tenth of a millisecond.
  AppendTenths(out, static_cast<uint64_t>((rec.duration.count() + 50'000) / 100'000));
  out += "ms ";
  AppendSize(out, rec.bytes_sent);
  out += " tenant=";
  AppendEscaped(out, OrDash(rec.tenant), SIZE_MAX);
  out += " id=";
  AppendEscaped(out, rec.request_id, SIZE_MAX);
  out += " ip=";
  out += OrDash(rec.remote_ip);
  out += " ua=\"";
  AppendEscaped(out, OrDash(rec.user_agent), kMaxAgentChars);
  out += "\" ref=\"";
  // A Referer is the URL of another page, maybe a presigned link: masked too.
  AppendEscaped(out, MaskTarget(OrDash(rec.referer)), kMaxAgentChars);
  out += '"';
  return out;
}

std::string FormatAccessJson(const http::AccessRecord& rec) {
  auto trim = [](std::string_view s) { return s.substr(0, kMaxAgentChars); };
  boost::json::object o;
  o["ts"] = base::FormatRfc3339(rec.start);
  o["level"] = "info";
  o["status"] = rec.status;
  o["method"] = rec.method;
  o["target"] = MaskTarget(rec.target);
  o["duration_ms"] =
      std::round(std::chrono::duration<double, std::milli>(rec.duration).count() * 1000) / 1000;
  o["bytes"] = rec.bytes_sent;
  o["tenant"] = OrDash(rec.tenant);
  o["request_id"] = rec.request_id;
  o["ip"] = OrDash(rec.remote_ip);
  o["ua"] = trim(OrDash(rec.user_agent));
  o["ref"] = trim(MaskTarget(OrDash(rec.referer)));
  return boost::json::serialize(o);
}

base::Result<std::unique_ptr<Logger>> Logger::Open(const LoggerOptions& options) {
  int fd = -1;
  if (!options.file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.file.parent_path(), ec);
    fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      return base::MakeError(
          base::ErrorCode::kUnavailable, "log_unavailable",
          "cannot open log file " + options.file.string() + ": " + std::strerror(errno));
    }
  }
  return std::unique_ptr<Logger>(new Logger(options, fd));
}

Logger::Logger(LoggerOptions options, int file_fd)
    : options_(std::move(options)), file_fd_(file_fd), writer_([this] { WriterLoop(); }) {}

Logger::~Logger() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
  if (file_fd_ >= 0) ::close(file_fd_);
}

void Logger::Access(const http::AccessRecord& rec) {
  if (options_.level > Level::kInfo) return;
  // api.md §8: LOG_JSON=1 *also* writes the facts as JSON, so the text line
  // stays for people and the JSON one is there for collectors.
  if (options_.json) {
    std::string both = FormatAccessText(rec);
    both += '\n';
    both += FormatAccessJson(rec);
    Append(both);
    return;
  }
  Append(FormatAccessText(rec));
}

void Logger::Log(Level level, std::string_view request_id, std::string_view message) {
  if (level < options_.level) return;
  const std::string ts = base::FormatRfc3339(std::chrono::system_clock::now());
  if (options_.json) {
    boost::json::object o{{"ts", ts}, {"level", LevelName(level)}, {"message", message}};
    if (!request_id.empty()) o["request_id"] = request_id;
    Append(boost::json::serialize(o));
    return;
  }
  std::string line = ts;
  line += ' ';
  for (char c : LevelName(level)) line += static_cast<char>(std::toupper(c));
  if (!request_id.empty()) {
    line += " id=";
    line += request_id;
  }
  line += ' ';
  AppendEscaped(line, message, SIZE_MAX);
  Append(line);
}

void Logger::Append(std::string_view line) {
  std::unique_lock lock(mu_);
  space_or_flushed_.wait(lock, [&] { return pending_.size() < kMaxPendingBytes || stop_; });
  pending_.append(line);
  pending_ += '\n';
  appended_ += line.size() + 1;
  if (pending_.size() >= kWakeBytes) wake_writer_.notify_one();
}

void Logger::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  wake_writer_.notify_one();
  space_or_flushed_.wait(lock, [&] { return written_ >= target; });
}

void Logger::WriterLoop() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_writer_.wait_for(lock, std::chrono::milliseconds(50),
                          [&] { return stop_ || pending_.size() >= kWakeBytes; });
    if (pending_.empty()) {
      if (stop_) return;
      continue;
    }
    batch.clear();
    batch.swap(pending_);
    lock.unlock();
    if (options_.console) WriteAll(STDOUT_FILENO, batch.data(), batch.size());
    if (file_fd_ >= 0) WriteAll(file_fd_, batch.data(), batch.size());
    lock.lock();
    written_ += batch.size();
    space_or_flushed_.notify_all();
  }
}

}  // namespace tenantd::logging
