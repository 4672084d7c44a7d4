// AES-256-GCM authenticated encryption of small secrets at rest (app
// secrets, tenant DB passwords), with a key id so the master key can rotate.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret.h"

namespace tenantd::crypto {

class SecretBox {
 public:
  // `key` is 32 raw bytes; anything else is kInvalidArgument.
  static base::Result<SecretBox> Create(const base::Secret& key);

  // Sealed text: "<key_id>.<base64url(nonce || ciphertext || tag)>", a fresh
  // 96-bit random nonce per call. `aad` binds the ciphertext to its place
  // (e.g. "tenant:<id>:app_secret") so rows cannot be swapped.
  std::string Seal(std::string_view plaintext, std::string_view aad) const;

  // Fails (kInternal, no detail of why) on unknown key id, bad format,
  // tampering or wrong aad.
  base::Result<base::Secret> Open(std::string_view sealed, std::string_view aad) const;

  // First 8 hex chars of SHA-256("tenantd-key-id" || key): identifies the key,
  // reveals nothing usable about it.
  const std::string& key_id() const { return key_id_; }

  // Derives a 32-byte subkey for another purpose (HKDF-SHA256, salt
  // "tenantd", info=`purpose`), e.g. the API-key pepper; never hand out the
  // master key itself. Deterministic: the same key and purpose always give
  // the same subkey. `purpose` is a constant label from the code, never input.
  // Aborts the process if OpenSSL fails (a broken library, not bad input).
  base::Secret DeriveKey(std::string_view purpose) const;

 private:
  SecretBox(base::Secret key, std::string key_id)
      : key_(std::move(key)), key_id_(std::move(key_id)) {}
  base::Secret key_;
  std::string key_id_;
};

// The master key: from `configured_base64` (TENANTD_MASTER_KEY, must decode to
// 32 bytes) or else from `<data_dir>/master.key`, generated (base64, mode 0600)
// on first use. A master.key that is unreadable, malformed or group/world
// readable is an error: never silently replace a key that encrypted data.
// Surrounding whitespace (e.g. the file's trailing newline) is ignored. A new
// key file is published atomically and never overwrites one that another
// process created meanwhile. Errors: kInvalidArgument for a bad
// TENANTD_MASTER_KEY; kFailedPrecondition for a master.key that is malformed,
// not a regular file, or accessible by group/others (the message says to
// chmod 600); kInternal for I/O failures. No error carries key material;
// paths appear only in log_detail.
base::Result<base::Secret> LoadOrCreateMasterKey(const base::Secret& configured_base64,
                                                 const std::filesystem::path& data_dir);

}  // namespace tenantd::crypto
