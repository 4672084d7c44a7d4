#include "auth/authenticator.h"

#include <strings.h>

#include <algorithm>

#include "auth/directory.h"
#include "auth/replay_cache.h"
#include "auth/signature.h"
#include "control/control_store.h"
#include "crypto/crypto.h"
#include "http/problem.h"
#include "session/session_cookie.h"

namespace tenantd::auth {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

// api.md §4 lists API keys by their first 12 characters; the throttle keys
// on the same prefix, so a flood of guesses under one prefix is one key.
constexpr std::size_t kApiKeyPrefixChars = 12;
// Caps what an attacker-chosen header can make the limiter store per key.
constexpr std::size_t kMaxAppKeyChars = 64;

constexpr std::size_t kMaxHintChars = 128;

// What verified credentials (or a session) establish.
struct Principal {
  std::string tenant_id;
  std::string mode;  // app_secret | signature | api_key | session | user
  std::string key_id;
  bool all_scopes = true;
  std::vector<std::string> scopes;
  std::string secret_id;  // the app or API key secret that proved it
  std::string user_id;    // mode "user"
  std::string role;       // mode "user"
};

using Verdict = std::variant<Principal, Refusal>;

Refusal Unauthorized(std::string_view code, std::string detail) {
  return Refusal{base::ErrorCode::kUnauthenticated, code, std::move(detail)};
}

Refusal Forbidden(std::string_view code, std::string detail) {
  return Refusal{base::ErrorCode::kPermissionDenied, code, std::move(detail)};
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsLive(const control::AppSecret& s, base::TimePoint now) {
  return !s.expires_at || *s.expires_at > now;
}

// Stands in for the credentials of an unknown app key, so that refusing one
// does the same work as refusing a wrong secret of a known key: an answer's
// timing does not tell which app keys exist.
const control::AppCredentials& UnknownAppKey() {
  static const control::AppCredentials* const creds = [] {
    auto* c = new control::AppCredentials;
    control::AppSecret s;
    s.secret = base::Secret(crypto::RandomBase62(43));
    s.sha256 = crypto::Sha256(s.secret.Reveal());
    s.mac = std::make_shared<const crypto::HmacSha256Key>(s.secret.Reveal());
    c->secrets.push_back(std::move(s));
    return c;
  }();
  return *creds;
}

// Mode A: the SHA-256 of the presented secret against each live secret's, in
// constant time (every live secret is compared, match or not). `creds` null:
// an unknown app key, refused after the same work.
Verdict VerifyAppSecret(const control::AppCredentials* creds, std::string_view presented,
                        base::TimePoint now) {
  const control::AppCredentials& checked = creds ? *creds : UnknownAppKey();
  const std::string digest = crypto::Sha256(presented);
  const control::AppSecret* matched = nullptr;
  for (const control::AppSecret& s : checked.secrets) {
    const bool equal = crypto::ConstantTimeEqual(digest, s.sha256);
    if (IsLive(s, now) && equal) matched = &s;
  }
  if (!creds || !matched) {
    return Unauthorized("invalid_credentials", "The app key or secret is not valid.");
  }
  return Principal{creds->tenant_id, "app_secret", "", true, {}, matched->id, "", ""};
}

// Everything the resolution needs, gathered once per request.
struct Resolution {
  const AuthenticatorOptions& options;
  Directory& directory;
  session::SessionStore& sessions;
  const session::SessionCookies& cookies;
  ReplayCache& replays;
  const Request& req;
  base::TimePoint now;
};

// Mode B (api.md §4 "Mode B signature"). Checks run cheapest first; the
// replay cache records the signature only once everything else passed, so
// a refused request cannot burn a signature for its legitimate sender.
awaitable<base::Result<Verdict>> VerifySignature(const Resolution& r, std::string_view app_key,
                                                 std::string_view signature) {
  const Request& req = r.req;
  auto read = ReadSignedRequest(req, signature, r.now, r.options.signature_skew);
  if (auto* problem = std::get_if<SignatureProblem>(&read)) {
    co_return Verdict(Unauthorized(problem->code, std::move(problem->detail)));
  }
  const SignedRequest& sig = std::get<SignedRequest>(read);
  TENANTD_CO_TRY(std::shared_ptr<const control::AppCredentials> creds,
                 co_await r.directory.AppKey(app_key));
  // An unknown app key is refused after the same work as a wrong signature.
  const control::AppCredentials& checked = creds ? *creds : UnknownAppKey();

  const control::AppSecret* matched = nullptr;
  for (const control::AppSecret& s : checked.secrets) {
    const bool equal = crypto::ConstantTimeEqual(s.mac->Mac(sig.canonical), sig.presented);
    if (IsLive(s, r.now) && equal) matched = &s;
  }
  if (!creds) co_return Verdict(Unauthorized("invalid_credentials", "The app key is not valid."));
  if (!matched) {
    co_return Verdict(Unauthorized("invalid_signature",
                                   "The signature does not match the request; see docs/api.md for "
                                   "the canonical string."));
  }
  // A streamed body (an upload) has not arrived yet: its handler checks the
  // hash once it has, and stores nothing on a mismatch. A forwarded
  // request's body never comes here: /auth/v1/check flags the hash as
  // unverified for the upstream (api.md §19).
  if (req.body_reader == nullptr && !req.body_elsewhere &&
      !crypto::ConstantTimeEqual(crypto::Sha256Hex(req.body), sig.content_sha256)) {
    co_return Verdict(Unauthorized("content_hash_mismatch",
                                   "The body received does not match X-Content-Sha256."));
  }
  if (!r.replays.Insert(sig.presented, r.options.clock->Steady())) {
    co_return Verdict(Unauthorized("replayed_request",
                                   "This signature was already used; sign each request afresh (add "
                                   "X-Nonce to send identical requests within one second)."));
  }
  co_return Verdict(Principal{creds->tenant_id, "signature", "", true, {}, matched->id, "", ""});
}

// API keys: "Bearer sk_live_…" and friends.
awaitable<base::Result<Verdict>> VerifyApiKey(const Resolution& r, std::string_view secret) {
  const bool well_formed = (secret.starts_with("sk_live_") || secret.starts_with("sk_test_") ||
                            secret.starts_with("rk_live_") || secret.starts_with("rk_test_")) &&
                           secret.size() <= 128 && IsPrintableAscii(secret);
  if (!well_formed)
    co_return Verdict(Unauthorized("invalid_credentials", "The API key is not valid."));
  TENANTD_CO_TRY(std::shared_ptr<const control::ApiKeyMatch> match,
                 co_await r.directory.ApiKeyBySecret(secret));
  if (!match) co_return Verdict(Unauthorized("invalid_credentials", "The API key is not valid."));
  const control::ApiKey& key = match->key;
  if (key.revoked_at) co_return Verdict(Unauthorized("key_revoked", "The API key was revoked."));
  if (match->secret_expires_at && *match->secret_expires_at <= r.now) {
    co_return Verdict(Unauthorized("key_revoked",
                                   "This secret of the API key was rotated out; use the new one."));
  }
  if (key.expires_at && *key.expires_at <= r.now) {
    co_return Verdict(Unauthorized("key_expired", "The API key has expired."));
  }
  r.directory.RecordKeyUse(key.id, r.now);
  co_return Verdict(Principal{key.tenant_id, "api_key", key.id, key.type == "secret", key.scopes,
                              match->secret_id, "", ""});
}

// A user's session (api.md §11) serves the tenant it is bound to while
// the user is active, still a member, and has not changed their password
// since it started; it holds exactly the scopes of the user's role there,
// as the directory knows it now (so a role change applies to the next
// request). nullopt: ended.
awaitable<base::Result<std::optional<Principal>>> FromUserSession(const Resolution& r,
                                                                  const session::SessionRecord& s) {
  TENANTD_CO_TRY(std::shared_ptr<const control::UserAccess> access,
                 co_await r.directory.UserAccess(s.user_id, s.tenant_id));
  if (!access || access->status != control::UserStatus::kActive ||
      (access->sessions_valid_after && s.created_at < *access->sessions_valid_after)) {
    co_return std::optional<Principal>();
  }
  Principal p;
  p.tenant_id = s.tenant_id;
  p.mode = "user";
  p.all_scopes = access->all_scopes;
  p.scopes = access->scopes;
  p.user_id = s.user_id;
  p.role = access->role_name;
  co_return std::optional<Principal>(std::move(p));
}

// A session lives only as long as the secret that started it (api.md §4
// "Sessions"): an app secret or API key secret rotated out (grace over),
// a revoked or expired key, or a deleted tenant end it. nullopt: ended.
awaitable<base::Result<std::optional<Principal>>> FromSession(const Resolution& r,
                                                              const session::SessionRecord& s) {
  if (!s.user_id.empty()) co_return co_await FromUserSession(r, s);
  const auto live = [&r](const std::optional<base::TimePoint>& expires_at) {
    return !expires_at || *expires_at > r.now;
  };
  Principal p{s.tenant_id, "session", "", true, {}, s.secret_id, "", ""};
  if (s.secret_id.empty()) co_return std::optional<Principal>();  // predates the record
  if (!s.key_id.empty()) {
    TENANTD_CO_TRY(std::shared_ptr<const control::ApiKeyWithSecrets> found,
                   co_await r.directory.ApiKeyById(s.tenant_id, s.key_id));
    if (!found || found->key.revoked_at || !live(found->key.expires_at)) {
      co_return std::optional<Principal>();
    }
    const bool secret_live = std::any_of(found->secrets.begin(), found->secrets.end(),
                                         [&](const control::SecretLifetime& k) {
                                           return k.id == s.secret_id && live(k.expires_at);
                                         });
    if (!secret_live) co_return std::optional<Principal>();
    p.key_id = found->key.id;
    p.all_scopes = found->key.type == "secret";
    p.scopes = found->key.scopes;
    co_return std::optional<Principal>(std::move(p));
  }
  TENANTD_CO_TRY(std::shared_ptr<const control::Tenant> tenant,
                 co_await r.directory.Tenant(s.tenant_id));
  if (!tenant) co_return std::optional<Principal>();
  TENANTD_CO_TRY(std::shared_ptr<const control::AppCredentials> creds,
                 co_await r.directory.AppKey(tenant->app_key));
  const bool secret_live = creds && std::any_of(creds->secrets.begin(), creds->secrets.end(),
                                                [&](const control::AppSecret& a) {
                                                  return a.id == s.secret_id && live(a.expires_at);
                                                });
  if (!secret_live) co_return std::optional<Principal>();
  co_return std::optional<Principal>(std::move(p));
}

// The credentials of §4 methods 2-4, when the request presents any.
awaitable<base::Result<std::optional<Verdict>>> VerifyCredentials(const Resolution& r) {
  const Request& req = r.req;
  const auto app_key = req.headers.Get("X-App-Key");
  const auto app_secret = req.headers.Get("X-App-Secret");
  const auto signature = req.headers.Get("X-App-Signature");
  if (app_key || app_secret || signature) {
    if (!app_key) {
      co_return std::optional<Verdict>(Unauthorized(
          "invalid_credentials", "X-App-Secret and X-App-Signature need an X-App-Key."));
    }
    if (app_secret) {
      TENANTD_CO_TRY(std::shared_ptr<const control::AppCredentials> creds,
                     co_await r.directory.AppKey(*app_key));
      co_return std::optional<Verdict>(VerifyAppSecret(creds.get(), *app_secret, r.now));
    }
    if (signature) {
      TENANTD_CO_TRY(Verdict v, co_await VerifySignature(r, *app_key, *signature));
      co_return std::optional<Verdict>(std::move(v));
    }
    co_return std::optional<Verdict>(Unauthorized(
        "invalid_credentials", "X-App-Key needs X-App-Secret or a signature (X-App-Signature)."));
  }
  if (const auto authorization = req.headers.Get("Authorization")) {
    std::string_view value = *authorization;
    if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0) {
      co_return std::optional<Verdict>(
          Unauthorized("invalid_credentials", "Authorization must be Bearer <API key>."));
    }
    value.remove_prefix(7);
    TENANTD_CO_TRY(Verdict v, co_await VerifyApiKey(r, value));
    co_return std::optional<Verdict>(std::move(v));
  }
  co_return std::optional<Verdict>();
}

// §4 methods 5-7: what names a tenant without proving anything; "" = nothing.
std::string TenantHint(const Resolution& r) {
  const Request& req = r.req;
  if (!r.options.base_domain.empty()) {
    if (const auto host_header = req.headers.Get("Host")) {
      std::string host(host_header->substr(0, host_header->rfind(':') == std::string_view::npos
                                                  ? host_header->size()
                                                  : host_header->rfind(':')));
      for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string suffix = "." + r.options.base_domain;
      if (host.size() > suffix.size() && host.ends_with(suffix)) {
        std::string label = host.substr(0, host.size() - suffix.size());
        if (label.find('.') == std::string::npos) return label;
      }
    }
  }
  if (const auto header = req.headers.Get("X-Tenant-ID"); header && !header->empty()) {
    return std::string(header->substr(0, kMaxHintChars));
  }
  if (r.options.dev_mode) {
    if (auto q = req.QueryParam("tenant"); q && !q->empty()) return q->substr(0, kMaxHintChars);
  }
  return "";
}

// Whether the request presents credentials of §4 methods 2-4.
bool PresentsCredentials(const Request& req) {
  return req.headers.Get("X-App-Key") || req.headers.Get("X-App-Secret") ||
         req.headers.Get("X-App-Signature") || req.headers.Get("Authorization");
}

// The live session the request's cookie names, if it is correctly signed
// and live; a bad cookie is ignored as if absent (api.md §4).
awaitable<base::Result<std::optional<session::SessionRecord>>> LiveSession(const Resolution& r) {
  const auto cookie = r.req.headers.Get("Cookie");
  if (!cookie) co_return std::optional<session::SessionRecord>();
  const std::optional<std::string> hash = r.cookies.VerifiedIdHash(*cookie);
  if (!hash) co_return std::optional<session::SessionRecord>();
  base::Result<std::optional<session::SessionRecord>> found =
      co_await r.sessions.FindLiveAsync(*hash, r.now);
  // A session store that cannot be reached (Redis away) fails a
  // cookie-only request (503): its session cannot be checked. One that
  // also presents credentials is judged by them, as if without cookie.
  if (!found && found.error().code == base::ErrorCode::kUnavailable && PresentsCredentials(r.req)) {
    co_return std::optional<session::SessionRecord>();
  }
  co_return found;
}

}  // namespace

Response RefusalResponse(const Refusal& refusal, std::string_view request_id) {
  Response res = http::ErrorResponse(
      base::MakeError(refusal.kind, std::string(refusal.code), refusal.detail), request_id);
  if (refusal.kind == base::ErrorCode::kUnauthenticated) {
    res.headers.Add("WWW-Authenticate", "Bearer realm=\"tenantd\"");
  }
  return res;
}

std::optional<std::string> PresentedKey(const Request& req) {
  const auto app_key = req.headers.Get("X-App-Key");
  const auto authorization = req.headers.Get("Authorization");
  if (!app_key && !authorization && !req.headers.Get("X-App-Secret") &&
      !req.headers.Get("X-App-Signature")) {
    return std::nullopt;
  }
  // The same precedence as the resolution: app credentials before API keys.
  if (app_key) return std::string(app_key->substr(0, kMaxAppKeyChars));
  if (authorization) {
    std::string_view token = *authorization;
    if (token.size() > 7) token.remove_prefix(7);  // "Bearer "
    return std::string(token.substr(0, kApiKeyPrefixChars));
  }
  return std::string();
}

Authenticator::Authenticator(AuthenticatorOptions options, Directory& directory,
                             session::SessionStore& sessions,
                             const session::SessionCookies& cookies, ReplayCache& replays)
    : options_(std::move(options)),
      directory_(directory),
      sessions_(sessions),
      cookies_(cookies),
      replays_(replays) {}

awaitable<base::Result<Authentication>> Authenticator::Authenticate(const Request& req) const {
  const Resolution r{options_, directory_,           sessions_, cookies_, replays_,
                     req,      options_.clock->Now()};

  // 1. The session cookie, if correctly signed and live.
  TENANTD_CO_TRY(std::optional<session::SessionRecord> live, co_await LiveSession(r));
  // A session whose secret was revoked or rotated out has ended: it goes
  // from the store and the cookie counts as absent.
  std::optional<Principal> from_session;
  if (live) {
    TENANTD_CO_TRY(from_session, co_await FromSession(r, *live));
    if (!from_session) {
      // Best effort: a session left behind is refused again on its next use.
      const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(live->id_hash);
      (void)destroyed;
      live.reset();
    }
  }

  // 2-4. Presented credentials are verified even next to a live session.
  TENANTD_CO_TRY(std::optional<Verdict> credentials, co_await VerifyCredentials(r));
  Principal principal;
  if (credentials) {
    if (auto* refusal = std::get_if<Refusal>(&*credentials)) {
      co_return Authentication(std::move(*refusal));
    }
    principal = std::get<Principal>(std::move(*credentials));
  } else if (from_session) {
    principal = std::move(*from_session);
  } else {
    co_return Authentication(Unauthorized(
        "missing_credentials",
        "Authenticate with X-App-Key and X-App-Secret, a signature, an API key or a session "
        "cookie."));
  }

  // The tenant itself: deleted is as if unknown; suspended is refused.
  TENANTD_CO_TRY(std::shared_ptr<const control::Tenant> tenant,
                 co_await directory_.Tenant(principal.tenant_id));
  if (!tenant || tenant->status == control::TenantStatus::kDeleted) {
    co_return Authentication(Unauthorized("invalid_credentials", "The credentials are not valid."));
  }
  if (tenant->status == control::TenantStatus::kSuspended) {
    co_return Authentication(Forbidden("tenant_suspended", "The tenant is suspended."));
  }

  // 5-7. A subdomain, X-Tenant-ID or ?tenant= only identifies; it must
  // name the tenant the credentials belong to.
  if (const std::string hint = TenantHint(r);
      !hint.empty() && hint != tenant->slug && hint != tenant->id) {
    co_return Authentication(Forbidden("tenant_mismatch",
                                       "The credentials belong to another tenant than the one "
                                       "named by the host, X-Tenant-ID or ?tenant=."));
  }

  Identity identity;
  identity.tenant = std::move(tenant);
  identity.mode = std::move(principal.mode);
  identity.key_id = std::move(principal.key_id);
  identity.all_scopes = principal.all_scopes;
  identity.scopes = std::move(principal.scopes);
  identity.secret_id = std::move(principal.secret_id);
  identity.user_id = std::move(principal.user_id);
  identity.role = std::move(principal.role);
  identity.session = std::move(live);
  co_return Authentication(std::move(identity));
}

}  // namespace tenantd::auth
