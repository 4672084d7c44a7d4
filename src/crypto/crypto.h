// Hashes, MACs, encodings, randomness and constant-time comparison over
// OpenSSL 3. Every function is thread-safe. "Raw" values are byte strings
// held in std::string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd::crypto {

std::string Sha256(std::string_view data);                            // raw 32 bytes
std::string Sha256Hex(std::string_view data);                         // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// SHA-256 over data that arrives in pieces (an upload), in constant memory.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(std::string_view data);
  std::string FinishHex();  // lowercase hex; the object is then spent

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// SHA-1 or SHA-256 over data that arrives in pieces, as raw bytes: for
// protocols where the client picks the algorithm (tus checksums, api.md
// §14). SHA-1 only ever checks integrity there, never authenticity.
class DigestStream {
 public:
  enum class Algorithm { kSha1, kSha256 };
  explicit DigestStream(Algorithm algorithm);
  ~DigestStream();
  DigestStream(const DigestStream&) = delete;
  DigestStream& operator=(const DigestStream&) = delete;

  void Update(std::string_view data);
  std::string Finish();  // raw (20 or 32 bytes); the object is then spent

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// A fixed HMAC-SHA256 key used for many MACs (a pepper, a signing key).
// Keying costs two SHA-256 blocks; this does it once, and each thread then
// resets its own keyed context per call instead of building a new one.
// Thread-safe; must outlive the threads that use it only as far as they
// call Mac().
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  std::string Mac(std::string_view data) const;  // raw 32 bytes, = HmacSha256(key, data)

 private:
  void* keyed_;  // EVP_MAC_CTX*, never modified after construction
  uint64_t id_;  // tells this key's per-thread contexts from another key's
};

// Decoders are strict and return nullopt for: odd hex length or non-hex
// characters; in base64, whitespace, characters outside the alphabet,
// missing or misplaced padding, or non-zero unused bits in the last
// character. Each byte string thus has exactly one accepted base64 spelling.
std::string HexEncode(std::string_view raw);                        // lowercase
std::optional<std::string> HexDecode(std::string_view hex);         // either case
std::string Base64Encode(std::string_view raw);                     // standard, padded
std::optional<std::string> Base64Decode(std::string_view text);     // padding required
std::string Base64UrlEncode(std::string_view raw);                  // URL-safe, unpadded
std::optional<std::string> Base64UrlDecode(std::string_view text);  // padding rejected

// Cryptographically secure random bytes (aborts the process if the CSPRNG fails:
// continuing without entropy would mint guessable secrets).
std::string RandomBytes(std::size_t n);
// `n` random characters of [0-9A-Za-z] without modulo bias (for secrets in URLs/headers).
std::string RandomBase62(std::size_t n);

// Compares in time that depends only on the lengths (the contents are
// attacker-observable digests or MACs).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace tenantd::crypto
