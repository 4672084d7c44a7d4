// The `sid` cookie: "<token>.<signature>", where token is 32 random bytes
// (base64url) and signature is HMAC-SHA256 of the token under a key
// derived from the master key. The signature lets a forged or altered
// cookie be dropped without a store lookup; the store knows the token only
// as a keyed hash, so a copy of the store cannot be turned into cookies.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/secret.h"
#include "crypto/crypto.h"

namespace tenantd::session {

inline constexpr std::string_view kCookieName = "sid";

class SessionCookies {
 public:
  SessionCookies(const base::Secret& signing_key, const base::Secret& id_pepper);

  struct Minted {
    std::string cookie_value;  // "<token>.<signature>": goes to the client only
    std::string id_hash;       // what the store keeps
  };
  Minted Mint() const;

  // The store hash of the token in `cookie_header`'s sid cookie, when that
  // cookie is present and correctly signed; nullopt otherwise.
  std::optional<std::string> VerifiedIdHash(std::string_view cookie_header) const;

  // Set-Cookie values: HttpOnly, SameSite=Lax, Path=/, Max-Age, Secure if asked.
  static std::string SetCookie(std::string_view cookie_value, std::chrono::seconds max_age,
                               bool secure);
  static std::string ClearCookie(bool secure);

 private:
  std::string Sign(std::string_view token) const;
  std::string IdHash(std::string_view token) const;

  crypto::HmacSha256Key signing_key_;
  crypto::HmacSha256Key id_pepper_;
  uint64_t id_;  // tells this object's per-thread memory of verified cookies from another's
};

// The value of cookie `name` in a Cookie request header ("a=1; sid=x"), or nullopt.
std::optional<std::string_view> FindCookie(std::string_view header, std::string_view name);

}  // namespace tenantd::session
