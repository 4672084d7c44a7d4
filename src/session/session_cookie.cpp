#include "session/session_cookie.h"

#include <atomic>
#include <unordered_map>

#include "crypto/crypto.h"

namespace tenantd::session {
namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kEncodedTokenChars = 43;  // base64url of 32 bytes, unpadded

}  // namespace

SessionCookies::SessionCookies(const base::Secret& signing_key, const base::Secret& id_pepper)
    : signing_key_(signing_key.Reveal()), id_pepper_(id_pepper.Reveal()), id_([] {
        static std::atomic<uint64_t> next{1};
        return next.fetch_add(1);
      }()) {}

std::string SessionCookies::Sign(std::string_view token) const {
  return crypto::Base64UrlEncode(signing_key_.Mac(token));
}

std::string SessionCookies::IdHash(std::string_view token) const {
  return crypto::HexEncode(id_pepper_.Mac(token));
}

SessionCookies::Minted SessionCookies::Mint() const {
  const std::string token = crypto::Base64UrlEncode(crypto::RandomBytes(kTokenBytes));
  return Minted{token + "." + Sign(token), IdHash(token)};
}

std::optional<std::string> SessionCookies::VerifiedIdHash(std::string_view cookie_header) const {
  const std::optional<std::string_view> value = FindCookie(cookie_header, kCookieName);
  if (!value) return std::nullopt;
  // Clients send the same cookie request after request: each thread
  // remembers the cookies it verified (a pure function of the cookie and
  // this object's keys), sparing two HMACs per request.
  struct Verified {
    uint64_t owner = 0;
    std::unordered_map<std::string, std::string> hash_by_cookie;
  };
  thread_local Verified verified;
  if (verified.owner != id_) {
    verified.owner = id_;
    verified.hash_by_cookie.clear();
  }
  if (const auto it = verified.hash_by_cookie.find(std::string(*value));
      it != verified.hash_by_cookie.end()) {
    return it->second;
  }
  const std::size_t dot = value->find('.');
  if (dot != kEncodedTokenChars) return std::nullopt;
  const std::string_view token = value->substr(0, dot);
  const std::string_view signature = value->substr(dot + 1);
  if (!crypto::ConstantTimeEqual(Sign(token), signature)) return std::nullopt;
  std::string hash = IdHash(token);
  constexpr std::size_t kMaxRemembered = 4096;
  if (verified.hash_by_cookie.size() >= kMaxRemembered) verified.hash_by_cookie.clear();
  verified.hash_by_cookie.emplace(std::string(*value), hash);
  return hash;
}

std::string SessionCookies::SetCookie(std::string_view cookie_value, std::chrono::seconds max_age,
                                      bool secure) {
  std::string out(kCookieName);
  out += '=';
  out += cookie_value;
  out += "; Max-Age=";
  out += std::to_string(max_age.count());
  out += "; Path=/; HttpOnly; SameSite=Lax";
  if (secure) out += "; Secure";
  return out;
}

std::string SessionCookies::ClearCookie(bool secure) {
  return SetCookie("", std::chrono::seconds(0), secure);
}

std::optional<std::string_view> FindCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

}  // namespace tenantd::session
