// Password hashing with argon2id (libsodium's crypto_pwhash_str): the
// memory-hard hash OWASP recommends, at no less than its m = 19 MiB, t = 2,
// p = 1. libsodium rather than OpenSSL because Debian 12's OpenSSL 3.0 has
// no Argon2 (it arrived in 3.2).
//
// Each call costs tens of milliseconds of CPU and 19+ MiB of memory on
// purpose: call these on a worker pool, never on an event loop.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tenantd::crypto {

struct PasswordCost {
  unsigned long long ops = 2;           // t: passes over memory
  std::size_t memory_bytes = 19 << 20;  // m: 19 MiB
};

// The cost every stored hash is made with.
inline constexpr PasswordCost kPasswordCost{};

// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" with a fresh random salt.
// Throws std::runtime_error only when memory cannot be had.
std::string HashPassword(std::string_view password, PasswordCost cost = kPasswordCost);

// Whether `password` matches `stored` (a HashPassword string); false for a
// malformed one. Takes as long as hashing with the stored cost.
bool VerifyPassword(std::string_view password, std::string_view stored);

// Verifies against a fixed hash of a password nobody knows, at the standard
// cost: what a sign-in with an unknown email does, so that it costs the
// same time as a wrong password for a known one (no enumeration by timing).
void VerifyAgainstNobody(std::string_view password);

// Whether `stored` was made with a lower cost than kPasswordCost (rehash it
// at the next successful sign-in).
bool NeedsRehash(std::string_view stored);

}  // namespace tenantd::crypto
