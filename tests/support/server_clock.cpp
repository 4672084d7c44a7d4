#include "support/server_clock.h"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "base/clock.h"

namespace tenantd::test {

ServerClock::ServerClock() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tenantd_clock_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  Advance(std::chrono::milliseconds(0));
}

ServerClock::~ServerClock() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Env ServerClock::env() const { return {{base::kTestClockFileEnv, (dir_ / "offset").string()}}; }

void ServerClock::Advance(std::chrono::milliseconds by) {
  offset_ += by;
  // Written aside and renamed over: the server never reads half a number.
  const std::filesystem::path next = dir_ / "offset.next";
  {
    std::ofstream out(next, std::ios::trunc);
    out << offset_.count() << "\n";
    if (!out) throw std::runtime_error("cannot write " + next.string());
  }
  std::filesystem::rename(next, dir_ / "offset");
}

}  // namespace tenantd::test
