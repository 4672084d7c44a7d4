// Authentication of tenant requests (api.md §4): resolves a request to
// exactly one tenant and proves it, or says why not. It only verifies: it
// counts no rate limit and starts no session — the access stage
// (access/tenant_access.h) runs the failed-authentication gate, this, the
// admission and the session binding in that order. The order of checks,
// and which failures win, follow §4 exactly.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "http/message.h"
#include "session/session_store.h"

namespace tenantd::control {
struct Tenant;
}
namespace tenantd::session {
class SessionCookies;
}

namespace tenantd::auth {

class Directory;
class ReplayCache;

struct AuthenticatorOptions {
  std::string base_domain;  // "" = subdomains identify nothing
  bool dev_mode = false;    // ?tenant=<slug> identifies
  std::chrono::seconds signature_skew{300};
  // Signed dates, replays, session expiry (base/clock.h).
  const base::Clock* clock = &base::ServerClock();
};

// Who a request is, proven.
struct Identity {
  std::shared_ptr<const control::Tenant> tenant;  // active
  std::string mode;     // app_secret | signature | api_key | session | user
  std::string key_id;   // the API key behind it (also via a session)
  std::string user_id;  // the signed-in user (mode "user")
  std::string role;     // their role's name in the tenant
  bool all_scopes = true;
  std::vector<std::string> scopes;  // when !all_scopes
  std::string secret_id;            // the app or API key secret that proved it
  // The live session the request's cookie named (the one that proved it
  // when mode is "session"), if any.
  std::optional<session::SessionRecord> session;
};

// Why not: kUnauthenticated (401) or kPermissionDenied (403, a proven
// tenant that may not be served), a problem code, and a detail that names
// what to fix and never echoes a presented secret.
struct Refusal {
  base::ErrorCode kind;
  std::string_view code;
  std::string detail;
};

using Authentication = std::variant<Identity, Refusal>;

// The answer to a refusal: problem+json, WWW-Authenticate on a 401.
http::Response RefusalResponse(const Refusal& refusal, std::string_view request_id);

// The key a request's credentials are counted under when they fail
// (api.md §7): its app key (at most 64 characters), or its API key's first
// 12 characters (the prefix §4 lists keys by); "" for a secret or
// signature sent without its app key. nullopt for a request that presents
// no credentials: a cookie alone is not counted (a bad cookie is ignored
// as if absent, §4).
std::optional<std::string> PresentedKey(const http::Request& req);

// Thread-safe; built once at start-up and shared.
class Authenticator {
 public:
  // Everything passed must outlive the authenticator.
  Authenticator(AuthenticatorOptions options, Directory& directory, session::SessionStore& sessions,
                const session::SessionCookies& cookies, ReplayCache& replays);

  // The identity the request proves, or the refusal. Errors: a store that
  // cannot be reached (the control store, or the session store for a
  // request with only a cookie).
  boost::asio::awaitable<base::Result<Authentication>> Authenticate(const http::Request& req) const;

 private:
  AuthenticatorOptions options_;
  Directory& directory_;
  session::SessionStore& sessions_;
  const session::SessionCookies& cookies_;
  ReplayCache& replays_;
};

}  // namespace tenantd::auth
