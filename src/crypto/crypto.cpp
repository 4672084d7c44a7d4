// Hashes, the MAC and the CSPRNG come from OpenSSL 3. The hex and base64
// codecs are written here because EVP_DecodeBlock is lenient: it trims
// surrounding whitespace, accepts "Zg=a" and returns padding as zero bytes.
// The base64 decoders here accept exactly one spelling of each byte string,
// so a sealed value cannot be altered without changing what it decodes to.
#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace tenantd::crypto {
namespace {

constexpr std::size_t kSha256Bytes = 32;

// These OpenSSL calls fail only when the library is broken or memory is
// exhausted, never because of their input. Carrying on would hand out wrong
// digests or guessable secrets, so the process stops.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tenantd: fatal OpenSSL failure: %s\n", what);
  std::abort();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// SHA-256 is fetched once and shared (fetched algorithms are immutable and
// thread-safe): the implicit fetch behind EVP_sha256() repeats the provider
// lookup, under a lock, on every call.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (md == nullptr) Die("EVP_MD_fetch(SHA2-256)");
  return md;
}

// An unkeyed HMAC-SHA256 context that each call duplicates and keys. Naming
// the digest on a fresh context fetches SHA-256 again every time, about a
// quarter of the cost of a short HMAC, and HMAC runs on every API-key request.
// The template is never modified after construction, so concurrent dups are safe.
const EVP_MAC_CTX* HmacSha256Template() {
  static EVP_MAC_CTX* const tmpl = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA2-256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) Die("HMAC-SHA2-256 setup");
    return ctx;
  }();
  return tmpl;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

constexpr std::string_view kHexDigits = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using ReverseTable = std::array<int8_t, 256>;

// Maps each character to its 6-bit value, or -1 for anything outside the
// alphabet ('=' included: padding is stripped before lookup).
constexpr ReverseTable MakeReverseTable(std::string_view alphabet) {
  ReverseTable table{};
  table.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr ReverseTable kBase64Reverse = MakeReverseTable(kBase64Alphabet);
constexpr ReverseTable kBase64UrlReverse = MakeReverseTable(kBase64UrlAlphabet);

std::string EncodeBase64(std::string_view raw, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  const unsigned char* in = Bytes(raw);
  std::size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = raw.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// Strict RFC 4648 decoding: no whitespace, no characters outside the
// alphabet, padding exactly where `padded` requires it (and nowhere when it
// does not), and the unused low bits of the last character must be zero, so
// each byte string has a single accepted encoding.
std::optional<std::string> DecodeBase64(std::string_view text, const ReverseTable& reverse,
                                        bool padded) {
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
  }
  // A lone trailing character carries 6 bits, less than a byte.
  if (text.size() % 4 == 1) return std::nullopt;

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  std::size_t count = 0;
  for (char c : text) {
    const int8_t v = reverse[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>(acc >> 16);
      out += static_cast<char>((acc >> 8) & 0xff);
      out += static_cast<char>(acc & 0xff);
      acc = 0;
      count = 0;
    }
  }
  if (count == 2) {
    if ((acc & 0x0f) != 0) return std::nullopt;
    out += static_cast<char>(acc >> 4);
  } else if (count == 3) {
    if ((acc & 0x03) != 0) return std::nullopt;
    out += static_cast<char>(acc >> 10);
    out += static_cast<char>((acc >> 2) & 0xff);
  }
  return out;
}

}  // namespace

std::string Sha256(std::string_view data) {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), Bytes(out), &len, Sha256Algorithm(), nullptr) != 1 ||
      len != kSha256Bytes) {
    Die("EVP_Digest(SHA2-256)");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    Die("EVP_DigestInit_ex(SHA-256)");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::Update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    Die("EVP_DigestUpdate(SHA-256)");
  }
}

std::string Sha256Stream::FinishHex() {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), Bytes(out), &len) != 1 ||
      len != kSha256Bytes) {
    Die("EVP_DigestFinal_ex(SHA-256)");
  }
  return HexEncode(out);
}

DigestStream::DigestStream(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = algorithm == Algorithm::kSha1 ? EVP_sha1() : EVP_sha256();
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md, nullptr) != 1) {
    Die("EVP_DigestInit_ex");
  }
}

DigestStream::~DigestStream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void DigestStream::Update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    Die("EVP_DigestUpdate");
  }
}

std::string DigestStream::Finish() {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), Bytes(out), &len) != 1) {
    Die("EVP_DigestFinal_ex");
  }
  out.resize(len);
  return out;
}

namespace {

std::string FinishMac(EVP_MAC_CTX* ctx, std::string_view data) {
  if (EVP_MAC_update(ctx, Bytes(data), data.size()) != 1) Die("EVP_MAC_update(HMAC-SHA2-256)");
  std::string out(kSha256Bytes, '\0');
  std::size_t len = 0;
  if (EVP_MAC_final(ctx, Bytes(out), &len, out.size()) != 1 || len != kSha256Bytes) {
    Die("EVP_MAC_final(HMAC-SHA2-256)");
  }
  return out;
}

}  // namespace

HmacSha256Key::HmacSha256Key(std::string_view key) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1);
  MacCtx ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  static constexpr unsigned char kNoKeyBytes = 0;
  const unsigned char* key_bytes = key.empty() ? &kNoKeyBytes : Bytes(key);
  if (!ctx || EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) != 1) {
    Die("HMAC-SHA2-256 keyed setup");
  }
  keyed_ = ctx.release();
}

HmacSha256Key::~HmacSha256Key() { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(keyed_)); }

std::string HmacSha256Key::Mac(std::string_view data) const {
  // A few keyed contexts per thread (tenantd has a handful of keys); a key
  // not among them replaces the oldest slot.
  struct Slot {
    uint64_t id = 0;
    MacCtx ctx;
  };
  thread_local std::array<Slot, 4> slots;
  thread_local std::size_t next_victim = 0;
  Slot* slot = nullptr;
  for (Slot& s : slots) {
    if (s.id == id_) slot = &s;
  }
  if (slot == nullptr) {
    slot = &slots[next_victim];
    next_victim = (next_victim + 1) % slots.size();
    slot->ctx.reset(EVP_MAC_CTX_dup(static_cast<const EVP_MAC_CTX*>(keyed_)));
    if (!slot->ctx) Die("EVP_MAC_CTX_dup(keyed HMAC-SHA2-256)");
    slot->id = id_;
  }
  // A null key re-initialises with the key already set.
  if (EVP_MAC_init(slot->ctx.get(), nullptr, 0, nullptr) != 1) Die("EVP_MAC_init(reinit)");
  return FinishMac(slot->ctx.get(), data);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  MacCtx ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  if (!ctx) Die("EVP_MAC_CTX_dup(HMAC-SHA2-256)");
  // EVP_MAC_init reads a null key as "keep the current key" (there is none
  // yet), so an empty key must still point at valid memory.
  static constexpr unsigned char kNoKeyBytes = 0;
  const unsigned char* key_bytes = key.empty() ? &kNoKeyBytes : Bytes(key);
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), Bytes(data), data.size()) != 1) {
    Die("EVP_MAC_init/update(HMAC-SHA2-256)");
  }
  std::string out(kSha256Bytes, '\0');
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), Bytes(out), &len, out.size()) != 1 || len != kSha256Bytes) {
    Die("EVP_MAC_final(HMAC-SHA2-256)");
  }
  return out;
}

std::string HexEncode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char b : raw) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0x0f];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view raw) {
  return EncodeBase64(raw, kBase64Alphabet, /*pad=*/true);
}

std::optional<std::string> Base64Decode(std::string_view text) {
  return DecodeBase64(text, kBase64Reverse, /*padded=*/true);
}

std::string Base64UrlEncode(std::string_view raw) {
  return EncodeBase64(raw, kBase64UrlAlphabet, /*pad=*/false);
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeBase64(text, kBase64UrlReverse, /*padded=*/false);
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  // RAND_bytes takes an int length; larger requests are filled in slices.
  constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
  for (std::size_t done = 0; done < n;) {
    const std::size_t slice = std::min(n - done, kMaxSlice);
    if (RAND_bytes(Bytes(out) + done, static_cast<int>(slice)) != 1) Die("RAND_bytes");
    done += slice;
  }
  return out;
}

std::string RandomBase62(std::size_t n) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 248 = 4 * 62. Bytes from 248 up are dropped so that `b % 62` maps exactly
  // four byte values to each character; keeping them would favour 0-7.
  static constexpr unsigned kAcceptBelow = 248;
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    // About 3% of bytes are dropped; the small surplus makes a second draw rare.
    std::string pool = RandomBytes(n - out.size() + 8);
    for (unsigned char b : pool) {
      if (b >= kAcceptBelow) continue;
      out += kAlphabet[b % kAlphabet.size()];
      if (out.size() == n) break;
    }
    // The pool determines the secret being built; do not leave it in freed memory.
    OPENSSL_cleanse(pool.data(), pool.size());
  }
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Do the same amount of work as a same-length comparison, so the time
    // depends on the lengths alone and not on whether they matched.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tenantd::crypto
