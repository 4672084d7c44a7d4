// Moves the clock of a tenantd under test instead of sleeping: start the
// server with env() among its environment (TENANTD_TEST_CLOCK_FILE, see
// base/clock.h), then Advance() moves the time the server reads as "now"
// (rate limits, expiries, signed dates) forward at once.
#pragma once

#include <chrono>
#include <filesystem>

#include "support/test_server.h"

namespace tenantd::test {

class ServerClock {
 public:
  ServerClock();  // offset 0: the server's clock is the real one
  ~ServerClock();
  ServerClock(const ServerClock&) = delete;
  ServerClock& operator=(const ServerClock&) = delete;

  Env env() const;
  // Adds `by` to the offset; the server reads it on its next look at the time.
  void Advance(std::chrono::milliseconds by);
  // How far ahead of the real time the server's clock is.
  std::chrono::milliseconds offset() const { return offset_; }

 private:
  std::filesystem::path dir_;
  std::chrono::milliseconds offset_{0};
};

}  // namespace tenantd::test
