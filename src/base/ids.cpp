#include "base/ids.h"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace tenantd::base {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Ids are checked on every request that names one: a table, not a search.
constexpr std::array<bool, 256> kIsCrockford = [] {
  std::array<bool, 256> table{};
  for (const char* p = kCrockford; *p; ++p) table[static_cast<unsigned char>(*p)] = true;
  return table;
}();

struct Ulid {
  uint64_t millis = 0;
  std::array<uint8_t, 10> random{};
};

void Increment(std::array<uint8_t, 10>& r) {
  for (int i = 9; i >= 0; --i) {
    if (++r[i] != 0) return;
  }
}

}  // namespace

std::string NewId(std::string_view prefix) {
  // One sequence per process, not per thread: tenants created on different
  // event-loop threads in the same millisecond must still list in creation
  // order. The critical section is a few instructions (RAND_bytes only when
  // the millisecond changes).
  static std::mutex mutex;
  static Ulid last;
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  Ulid u;
  std::unique_lock lock(mutex);
  if (now <= last.millis) {
    u = last;
    Increment(u.random);
  } else {
    u.millis = now;
    if (RAND_bytes(u.random.data(), static_cast<int>(u.random.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");  // no entropy: cannot continue safely
    }
  }
  last = u;
  lock.unlock();

  // 128 bits -> 26 base32 chars (the first char carries only 3 bits).
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(u.millis >> (40 - 8 * i));
  for (int i = 0; i < 10; ++i) bytes[6 + i] = u.random[i];
  std::string out(prefix);
  out += '_';
  unsigned __int128 v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  char enc[26];
  for (int i = 25; i >= 0; --i) {
    enc[i] = kCrockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  out.append(enc, 26);
  return out;
}

bool IsWellFormedId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + 26) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (!kIsCrockford[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace tenantd::base
