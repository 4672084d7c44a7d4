#include "crypto/password.h"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace tenantd::crypto {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

}  // namespace

std::string HashPassword(std::string_view password, PasswordCost cost) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
  InitSodium();
  // crypto_pwhash_str_verify reads a NUL-terminated string.
  const std::string hash(stored);
  if (hash.size() >= crypto_pwhash_STRBYTES || hash.rfind("$argon2id$", 0) != 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void VerifyAgainstNobody(std::string_view password) {
  // Made once per process from a random password: no one can match it,
  // and it costs what every stored hash costs.
  static const std::string nobody = [] {
    InitSodium();
    char random[32];
    randombytes_buf(random, sizeof random);
    return HashPassword(std::string_view(random, sizeof random));
  }();
  (void)VerifyPassword(password, nobody);
}

bool NeedsRehash(std::string_view stored) {
  InitSodium();
  const std::string hash(stored);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kPasswordCost.ops,
                                        kPasswordCost.memory_bytes) != 0;
}

}  // namespace tenantd::crypto
