#include "crypto/secret_box.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <system_error>

#include "base/unique_fd.h"
#include "crypto/crypto.h"

namespace tenantd::crypto {
namespace {

using base::SyncDirectory;
using base::UniqueFd;

namespace fs = std::filesystem;

constexpr std::size_t kKeyBytes = 32;
// A random 96-bit nonce per message: GCM's native IV size, and safe for far
// more messages than a key will seal (the collision risk reaches 2^-32 only
// after 2^32 messages under one key).
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kKeyIdHexChars = 8;
constexpr std::string_view kKeyIdLabel = "tenantd-key-id";
constexpr std::string_view kHkdfSalt = "tenantd";
constexpr std::string_view kMasterKeyFileName = "master.key";
// A key file holds 44 base64 characters and a newline; anything much longer
// is not a key file and is not worth reading into memory.
constexpr std::size_t kMaxKeyFileBytes = 1024;

// Cipher and KDF failures here mean a broken OpenSSL or exhausted memory,
// not bad input; a Seal that silently produced nothing would lose secrets.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tenantd: fatal OpenSSL failure: %s\n", what);
  std::abort();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// Overwrites a buffer that held key material or unauthenticated plaintext
// before the allocator can hand its memory to someone else.
void Wipe(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

// Fetched once and shared: fetched algorithms are immutable and thread-safe.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) Die("EVP_CIPHER_fetch(AES-256-GCM)");
  return cipher;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// Feeds `in` to the cipher (as AAD when `out` is null). EVP lengths are int,
// so longer inputs go in slices; GCM is a stream mode and writes as many
// bytes as it reads.
bool CipherUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, std::string_view in) {
  constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
  while (!in.empty()) {
    const std::size_t slice = std::min(in.size(), kMaxSlice);
    int written = 0;
    if (EVP_CipherUpdate(ctx, out, &written, Bytes(in), static_cast<int>(slice)) != 1) {
      return false;
    }
    if (out != nullptr) out += written;
    in.remove_prefix(slice);
  }
  return true;
}


std::string_view TrimAsciiWhitespace(std::string_view s) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const std::size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kWhitespace) - begin + 1);
}

// The raw key `text` encodes, or nullopt unless it is base64 of exactly 32 bytes.
std::optional<std::string> DecodeMasterKey(std::string_view text) {
  std::optional<std::string> key = Base64Decode(TrimAsciiWhitespace(text));
  if (key && key->size() != kKeyBytes) {
    Wipe(*key);
    key.reset();
  }
  return key;
}

// Key-file errors are meant for the operator at start-up. The public message
// names the file but not the data directory (public messages carry no
// paths); the path and errno go to log_detail. No message ever includes
// key material.
base::Error KeyFileIoError(std::string_view action, const fs::path& path, int err) {
  return base::MakeError(base::ErrorCode::kInternal, "master_key_io",
                         "Cannot " + std::string(action) + " master.key in the data directory.",
                         path.string() + ": " + std::generic_category().message(err));
}

base::Error KeyFileMalformed(const fs::path& path, std::string_view why) {
  return base::MakeError(
      base::ErrorCode::kFailedPrecondition, "master_key_malformed",
      "master.key in the data directory is not the base64 encoding of exactly 32 bytes. Restore it "
      "from a backup: values encrypted with the old key cannot be read without it.",
      path.string() + ": " + std::string(why));
}

// Reads <data_dir>/master.key: the key, nullopt when the file does not
// exist, or an error when it exists but cannot be trusted.
base::Result<std::optional<base::Secret>> ReadKeyFile(const fs::path& path) {
  // Symlinks are followed on purpose (secret mounts are often symlinks); the
  // checks below apply to the file they lead to.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<base::Secret>();
    return KeyFileIoError("open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return KeyFileIoError("inspect", path, errno);
  if (!S_ISREG(st.st_mode)) return KeyFileMalformed(path, "not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "master_key_insecure",
                           "master.key in the data directory is accessible by group or others; "
                           "restrict it with `chmod 600 master.key` and restart.",
                           path.string() + ": mode " + mode);
  }

  std::string content(kMaxKeyFileBytes + 1, '\0');
  std::size_t size = 0;
  while (size < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + size, content.size() - size);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      Wipe(content);
      return KeyFileIoError("read", path, err);
    }
    size += static_cast<std::size_t>(n);
  }
  std::optional<std::string> key;
  if (size <= kMaxKeyFileBytes) key = DecodeMasterKey(std::string_view(content).substr(0, size));
  Wipe(content);
  if (!key) return KeyFileMalformed(path, "content is not base64 of 32 bytes");
  return std::optional<base::Secret>(base::Secret(std::move(*key)));
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}


// Generates a key and publishes it as `path`: the new key, nullopt when
// another process published a master.key first (the caller then reads that
// one), or an error.
base::Result<std::optional<base::Secret>> CreateKeyFile(const fs::path& data_dir,
                                                        const fs::path& path) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    return base::MakeError(base::ErrorCode::kInternal, "master_key_io",
                           "Cannot create the data directory to hold master.key.",
                           data_dir.string() + ": " + ec.message());
  }

  std::string key = RandomBytes(kKeyBytes);
  std::string text = Base64Encode(key) + "\n";
  const fs::path tmp = data_dir / (".master.key." + HexEncode(RandomBytes(8)) + ".tmp");

  // O_EXCL: never write through a file or symlink someone planted at the temp name.
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    const int err = errno;
    Wipe(key);
    Wipe(text);
    return KeyFileIoError("create", tmp, err);
  }
  // The umask can only clear bits, but a restrictive one (e.g. 0277) would
  // leave a key file the server itself cannot read back.
  bool ok = ::fchmod(fd.get(), 0600) == 0 && WriteAll(fd.get(), text) && ::fsync(fd.get()) == 0;
  int err = errno;
  Wipe(text);
  if (!fd.Close() && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    Wipe(key);
    return KeyFileIoError("write", tmp, err);
  }

  // link() rather than rename(): both publish the complete file atomically,
  // but link() fails if master.key appeared meanwhile (another process
  // starting at the same time), so a key that may already encrypt data is
  // never replaced.
  const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  err = errno;
  ::unlink(tmp.c_str());
  if (!linked) {
    Wipe(key);
    if (err == EEXIST) return std::optional<base::Secret>();
    return KeyFileIoError("create", path, err);
  }
  if (!SyncDirectory(data_dir)) {
    err = errno;
    Wipe(key);
    return KeyFileIoError("persist", path, err);
  }
  return std::optional<base::Secret>(base::Secret(std::move(key)));
}

}  // namespace

base::Result<SecretBox> SecretBox::Create(const base::Secret& key) {
  if (key.Reveal().size() != kKeyBytes) {
    return base::InvalidArgument("invalid_key", "An encryption key must be exactly 32 bytes.");
  }
  std::string labelled = std::string(kKeyIdLabel) + key.Reveal();
  std::string key_id = Sha256Hex(labelled).substr(0, kKeyIdHexChars);
  Wipe(labelled);
  return SecretBox(key, std::move(key_id));
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view aad) const {
  std::string blob(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  const std::string nonce = RandomBytes(kNonceBytes);
  std::copy(nonce.begin(), nonce.end(), blob.begin());
  unsigned char* ciphertext = Bytes(blob) + kNonceBytes;
  unsigned char* tag = ciphertext + plaintext.size();

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int final_len = 0;
  // GCM's default IV length is 12 bytes, so the nonce needs no SET_IVLEN.
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), Bytes(key_.Reveal()), Bytes(nonce), nullptr) !=
          1 ||
      !CipherUpdate(ctx.get(), nullptr, aad) || !CipherUpdate(ctx.get(), ciphertext, plaintext) ||
      EVP_EncryptFinal_ex(ctx.get(), tag, &final_len) != 1 || final_len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), tag) !=
          1) {
    Die("AES-256-GCM seal");
  }
  return key_id_ + "." + Base64UrlEncode(blob);
}

base::Result<base::Secret> SecretBox::Open(std::string_view sealed, std::string_view aad) const {
  // One error for every cause: saying which check failed would help someone
  // probing with forged values, and the operator's remedy is the same.
  const auto fail = [] {
    return base::Internal(
        "secret box: sealed value cannot be opened (other key, malformed, "
        "tampered or wrong aad)");
  };
  const std::size_t dot = sealed.find('.');
  if (dot == std::string_view::npos || sealed.substr(0, dot) != key_id_) return fail();
  const std::optional<std::string> blob = Base64UrlDecode(sealed.substr(dot + 1));
  if (!blob || blob->size() < kNonceBytes + kTagBytes) return fail();

  const std::string_view nonce = std::string_view(*blob).substr(0, kNonceBytes);
  const std::string_view ciphertext =
      std::string_view(*blob).substr(kNonceBytes, blob->size() - kNonceBytes - kTagBytes);
  // EVP_CTRL_AEAD_SET_TAG takes a non-const pointer but only reads the tag.
  std::string tag = blob->substr(blob->size() - kTagBytes);

  std::string plaintext(ciphertext.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int final_len = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), Bytes(key_.Reveal()), Bytes(nonce), nullptr) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) == 1 &&
      CipherUpdate(ctx.get(), nullptr, aad) &&
      CipherUpdate(ctx.get(), Bytes(plaintext), ciphertext) &&
      // Verifies the tag; until it succeeds `plaintext` is unauthenticated.
      EVP_DecryptFinal_ex(ctx.get(), Bytes(plaintext) + plaintext.size(), &final_len) == 1;
  if (!ok) {
    Wipe(plaintext);
    return fail();
  }
  return base::Secret(std::move(plaintext));
}

base::Secret SecretBox::DeriveKey(std::string_view purpose) const {
  static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (hkdf == nullptr) Die("EVP_KDF_fetch(HKDF)");
  KdfCtx ctx(EVP_KDF_CTX_new(hkdf));
  if (!ctx) Die("EVP_KDF_CTX_new(HKDF)");

  // OSSL_PARAM wants non-const pointers; HKDF only reads these buffers.
  char digest[] = "SHA2-256";
  const std::string& key = key_.Reveal();
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(kHkdfSalt.data()),
                                        kHkdfSalt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(purpose.data()),
                                        purpose.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(kKeyBytes, '\0');
  if (EVP_KDF_derive(ctx.get(), Bytes(out), out.size(), params) != 1) Die("HKDF-SHA256 derive");
  return base::Secret(std::move(out));
}

base::Result<base::Secret> LoadOrCreateMasterKey(const base::Secret& configured_base64,
                                                 const std::filesystem::path& data_dir) {
  if (!configured_base64.empty()) {
    std::optional<std::string> key = DecodeMasterKey(configured_base64.Reveal());
    if (!key) {
      // Names the variable, never its value: the value may be a real key with a typo.
      return base::InvalidArgument("invalid_master_key",
                                   "TENANTD_MASTER_KEY must be the standard base64 encoding of "
                                   "exactly 32 bytes (e.g. the output of `openssl rand -base64 "
                                   "32`).");
    }
    return base::Secret(std::move(*key));
  }

  const fs::path path = data_dir / kMasterKeyFileName;
  // A second round only happens when another process created master.key
  // between our read and our publish; then its key is the one to use.
  for (int round = 0; round < 2; ++round) {
    TENANTD_TRY(std::optional<base::Secret> existing, ReadKeyFile(path));
    if (existing) return std::move(*existing);
    TENANTD_TRY(std::optional<base::Secret> created, CreateKeyFile(data_dir, path));
    if (created) return std::move(*created);
  }
  return base::MakeError(base::ErrorCode::kInternal, "master_key_io",
                         "Cannot read master.key in the data directory.",
                         path.string() + ": appeared and vanished while being created");
}

}  // namespace tenantd::crypto
