// The access and error log of api.md §8: one line per request on the
// console and appended to <data>/storage/framework/log.txt, as text; with
// LOG_JSON=1 each access line is followed by the same facts as one JSON
// object, and other messages are JSON only.
//
// Writing is asynchronous: callers append to a buffer under a short lock and
// a background thread writes it out in large write(2) calls every 50 ms (or
// sooner when 256 KiB are pending), so logging costs the hot path a
// formatted string and a memcpy, never a syscall. Lines are never dropped:
// when 16 MiB are pending, writers wait for the background thread.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "http/server.h"

namespace tenantd::logging {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };
std::optional<Level> ParseLevel(std::string_view s);

struct LoggerOptions {
  std::filesystem::path file;  // created with its parent folders; empty = console only
  bool console = true;
  bool json = false;
  Level level = Level::kInfo;
};

class Logger {
 public:
  static base::Result<std::unique_ptr<Logger>> Open(const LoggerOptions& options);
  ~Logger();  // flushes everything pending
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Thread-safe. Access lines are info level.
  void Access(const http::AccessRecord& rec);
  void Log(Level level, std::string_view request_id, std::string_view message);
  void Info(std::string_view message) { Log(Level::kInfo, "", message); }
  void Warn(std::string_view message) { Log(Level::kWarn, "", message); }
  void Error(std::string_view request_id, std::string_view message) {
    Log(Level::kError, request_id, message);
  }
  // Blocks until everything logged so far is written.
  void Flush();

 private:
  Logger(LoggerOptions options, int file_fd);
  void Append(std::string_view line);
  void WriterLoop();

  const LoggerOptions options_;
  const int file_fd_;
  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::condition_variable space_or_flushed_;
  std::string pending_;
  uint64_t appended_ = 0;  // bytes appended so far (guarded by mu_)
  uint64_t written_ = 0;   // bytes written so far (guarded by mu_)
  bool stop_ = false;
  std::thread writer_;
};

// api.md §8 text line (no trailing newline):
// 2026-11-22T21:04:05.123Z 200 GET /v1/products 1.2ms 1.4KB tenant=acme id=… ip=… ua="…" ref="-"
std::string FormatAccessText(const http::AccessRecord& rec);
// The same facts as one JSON object.
std::string FormatAccessJson(const http::AccessRecord& rec);

// The request target with the values of credential-bearing query parameters
// (signature, sig, token, key, secret, password, and names ending in
// _<one of those>, case-insensitive) replaced by "***".
std::string MaskTarget(std::string_view target);

}  // namespace tenantd::logging
