#include "auth/tenant_auth.h"

#include <strings.h>

#include <variant>

#include "auth/directory.h"
#include "auth/replay_cache.h"
#include "auth/signature.h"
#include "base/ids.h"
#include "base/time.h"
#include "control/control_store.h"
#include "crypto/crypto.h"
#include "http/problem.h"
#include "ratelimit/tenant_limits.h"
#include "session/session_cookie.h"
#include "session/session_store.h"

namespace tenantd::auth {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

constexpr std::size_t kMaxUserAgentChars = 200;
constexpr std::size_t kMaxHintChars = 128;

// A refusal: status + problem code + a detail that names what to fix and
// never echoes a presented secret.
struct Refusal {
  int status;
  std::string_view code;
  std::string detail;
};

// What verified credentials (or a session) establish.
struct Principal {
  std::string tenant_id;
  std::string mode;  // app_secret | signature | api_key | session
  std::string key_id;
  bool all_scopes = true;
  std::vector<std::string> scopes;
};

using Verdict = std::variant<Principal, Refusal>;

Refusal Unauthorized(std::string_view code, std::string detail) {
  return Refusal{401, code, std::move(detail)};
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

// Mode A: the SHA-256 of the presented secret against each live secret's, in
// constant time (every live secret is compared, match or not).
Verdict VerifyAppSecret(const control::AppCredentials& creds, std::string_view presented,
                        base::TimePoint now) {
  const std::string digest = crypto::Sha256(presented);
  bool match = false;
  for (const control::AppSecret& s : creds.secrets) {
    match |= IsLive(s, now) && crypto::ConstantTimeEqual(digest, s.sha256);
  }
  if (!match) return Unauthorized("invalid_credentials", "The app key or secret is not valid.");
  return Principal{creds.tenant_id, "app_secret", "", true, {}};
}

}  // namespace

// ---- failure counters ----------------------------------------------------

void AuthFailureCounters::Count(std::string_view reason) {
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    if (reason == kReasons[i]) {
      counts_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void AuthFailureCounters::Render(std::string& out) const {
  out += "# HELP tenantd_auth_failures_total Refused tenant authentications by reason.\n";
  out += "# TYPE tenantd_auth_failures_total counter\n";
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    out += "tenantd_auth_failures_total{reason=\"";
    out += kReasons[i];
    out += "\"} ";
    out += std::to_string(counts_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
}

// ---- the stage -------------------------------------------------------------

TenantAuth::TenantAuth(TenantAuthOptions options, Directory& directory,
                       session::SessionStore& sessions, const session::SessionCookies& cookies,
                       ReplayCache& replays, AuthFailureCounters& failures,
                       ratelimit::TenantLimits* limits)
    : options_(std::move(options)),
      directory_(directory),
      sessions_(sessions),
      cookies_(cookies),
      replays_(replays),
      failures_(failures),
      limits_(limits) {}

namespace {

// Everything the resolution needs, gathered once per request.
struct Resolution {
  const TenantAuthOptions& options;
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
base::Result<Verdict> VerifySignature(const Resolution& r, std::string_view app_key,
                                      std::string_view signature) {
  const Request& req = r.req;
  auto read = ReadSignedRequest(req, signature, r.now, r.options.signature_skew);
  if (auto* problem = std::get_if<SignatureProblem>(&read)) {
    return Verdict(Unauthorized(problem->code, std::move(problem->detail)));
  }
  const SignedRequest& sig = std::get<SignedRequest>(read);
  TENANTD_TRY(std::shared_ptr<const control::AppCredentials> creds, r.directory.AppKey(app_key));
  if (!creds) return Verdict(Unauthorized("invalid_credentials", "The app key is not valid."));

  bool match = false;
  for (const control::AppSecret& s : creds->secrets) {
    match |=
        IsLive(s, r.now) && crypto::ConstantTimeEqual(s.mac->Mac(sig.canonical), sig.presented);
  }
  if (!match) {
    return Verdict(Unauthorized("invalid_signature",
                                "The signature does not match the request; see docs/api.md for "
                                "the canonical string."));
  }
  // A streamed body (an upload) has not arrived yet: its handler checks the
  // hash once it has, and stores nothing on a mismatch.
  if (req.body_reader == nullptr &&
      !crypto::ConstantTimeEqual(crypto::Sha256Hex(req.body), sig.content_sha256)) {
    return Verdict(Unauthorized("content_hash_mismatch",
                                "The body received does not match X-Content-Sha256."));
  }
  if (!r.replays.Insert(sig.presented, std::chrono::steady_clock::now())) {
    return Verdict(Unauthorized("replayed_request",
                                "This signature was already used; sign each request afresh (add "
                                "X-Nonce to send identical requests within one second)."));
  }
  return Verdict(Principal{creds->tenant_id, "signature", "", true, {}});
}

// API keys: "Bearer sk_live_…" and friends.
base::Result<Verdict> VerifyApiKey(const Resolution& r, std::string_view secret) {
  const bool well_formed = (secret.starts_with("sk_live_") || secret.starts_with("sk_test_") ||
                            secret.starts_with("rk_live_") || secret.starts_with("rk_test_")) &&
                           secret.size() <= 128 && IsPrintableAscii(secret);
  if (!well_formed)
    return Verdict(Unauthorized("invalid_credentials", "The API key is not valid."));
  TENANTD_TRY(std::shared_ptr<const control::ApiKeyMatch> match,
              r.directory.ApiKeyBySecret(secret));
  if (!match) return Verdict(Unauthorized("invalid_credentials", "The API key is not valid."));
  const control::ApiKey& key = match->key;
  if (key.revoked_at) return Verdict(Unauthorized("key_revoked", "The API key was revoked."));
  if (match->secret_expires_at && *match->secret_expires_at <= r.now) {
    return Verdict(Unauthorized("key_revoked",
                                "This secret of the API key was rotated out; use the new one."));
  }
  if (key.expires_at && *key.expires_at <= r.now) {
    return Verdict(Unauthorized("key_expired", "The API key has expired."));
  }
  r.directory.RecordKeyUse(key.id, r.now);
  return Verdict(Principal{key.tenant_id, "api_key", key.id, key.type == "secret", key.scopes});
}

// A session bound to an API key is worth what the key is worth now.
base::Result<Verdict> FromSession(const Resolution& r, const session::SessionRecord& s) {
  Principal p{s.tenant_id, "session", "", true, {}};
  if (!s.key_id.empty()) {
    TENANTD_TRY(std::shared_ptr<const control::ApiKey> key,
                r.directory.ApiKeyById(s.tenant_id, s.key_id));
    if (!key || key->revoked_at || (key->expires_at && *key->expires_at <= r.now)) {
      return Verdict(Unauthorized("missing_credentials",
                                  "The session's API key is no longer valid; authenticate again."));
    }
    p.key_id = key->id;
    p.all_scopes = key->type == "secret";
    p.scopes = key->scopes;
  }
  return Verdict(std::move(p));
}

// The credentials of §4 methods 2-4, when the request presents any.
base::Result<std::optional<Verdict>> VerifyCredentials(const Resolution& r) {
  const Request& req = r.req;
  const auto app_key = req.headers.Get("X-App-Key");
  const auto app_secret = req.headers.Get("X-App-Secret");
  const auto signature = req.headers.Get("X-App-Signature");
  if (app_key || app_secret || signature) {
    if (!app_key) {
      return std::optional<Verdict>(Unauthorized(
          "invalid_credentials", "X-App-Secret and X-App-Signature need an X-App-Key."));
    }
    if (app_secret) {
      TENANTD_TRY(std::shared_ptr<const control::AppCredentials> creds,
                  r.directory.AppKey(*app_key));
      if (!creds) {
        return std::optional<Verdict>(
            Unauthorized("invalid_credentials", "The app key or secret is not valid."));
      }
      return std::optional<Verdict>(VerifyAppSecret(*creds, *app_secret, r.now));
    }
    if (signature) {
      TENANTD_TRY(Verdict v, VerifySignature(r, *app_key, *signature));
      return std::optional<Verdict>(std::move(v));
    }
    return std::optional<Verdict>(Unauthorized(
        "invalid_credentials", "X-App-Key needs X-App-Secret or a signature (X-App-Signature)."));
  }
  if (const auto authorization = req.headers.Get("Authorization")) {
    std::string_view value = *authorization;
    if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0) {
      return std::optional<Verdict>(
          Unauthorized("invalid_credentials", "Authorization must be Bearer <API key>."));
    }
    value.remove_prefix(7);
    TENANTD_TRY(Verdict v, VerifyApiKey(r, value));
    return std::optional<Verdict>(std::move(v));
  }
  return std::optional<Verdict>();
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

// The headers of an admitted request (api.md §7), from what OnRequest kept.
// 429 of the failed-authentication throttle (api.md §7).
Response ThrottledResponse(const ratelimit::Decision& d, std::string_view request_id) {
  return ratelimit::RateLimitedResponse(
      d,
      "Too many failed authentications from this address or for this key; retry after the time "
      "in Retry-After.",
      request_id);
}

// Whether the request presents credentials of §4 methods 2-4.
bool PresentsCredentials(const Request& req) {
  return req.headers.Get("X-App-Key") || req.headers.Get("X-App-Secret") ||
         req.headers.Get("X-App-Signature") || req.headers.Get("Authorization");
}

// Success, for the coroutines returning a Status (GCC 12 warns, wrongly,
// that a `co_return base::Status{}` reads an uninitialised error).
base::Status Done() { return {}; }

Response RefusalResponse(const Refusal& refusal, std::string_view request_id) {
  Response res = http::ProblemResponse(refusal.status, refusal.code, refusal.detail, request_id);
  if (refusal.status == 401) {
    res.headers.Add("WWW-Authenticate", "Bearer realm=\"tenantd\"");
  }
  return res;
}

}  // namespace

awaitable<std::optional<Response>> TenantAuth::OnRequest(Request& req, RequestContext& ctx) const {
  if (!limits_) co_return co_await Authenticate(req, ctx, nullptr);
  const auto now = std::chrono::steady_clock::now();
  // §7: once a failed-authentication count is reached, requests carrying
  // credentials from that IP or for that key answer 429 before any secret
  // is looked at, so a guesser learns nothing and costs next to nothing.
  const std::optional<ratelimit::FailedAuthKeys> presented =
      ratelimit::TenantLimits::PresentedCredentials(req);
  if (presented) {
    const base::Result<ratelimit::Verdict> throttled =
        co_await limits_->CheckFailedAuth(*presented, now);
    if (!throttled) {
      Response res = http::ErrorResponse(throttled.error(), ctx.request_id);
      const ratelimit::Decision budget = co_await limits_->FailedAuthBudget(req.remote_ip, now);
      ratelimit::AddRateLimitHeaders(budget, res.headers);
      co_return res;
    }
    if (!throttled->decision.allowed) {
      co_return ThrottledResponse(throttled->decision, ctx.request_id);
    }
  }

  std::optional<Response> res = co_await Authenticate(req, ctx, presented ? &*presented : nullptr);
  if (res) {
    // Refused by §4 (or a store failure). A 401 to a request presenting
    // credentials is a failed verification and counts (missing_credentials
    // only answers requests that present none); 403s of a proven tenant
    // (suspended, mismatch) do not. Before the tenant limits applied, the
    // answer reports the client IP's failed-authentication budget; a 429
    // of the tenant limits came with its own headers.
    if (res->status == 401 && presented) co_await limits_->CountFailedAuth(*presented, now);
    if (!ctx.rate_limit.limit) {
      const ratelimit::Decision budget = co_await limits_->FailedAuthBudget(req.remote_ip, now);
      ratelimit::AddRateLimitHeaders(budget, res->headers);
    } else if (res->status != 429) {
      ratelimit::AddRateLimitHeaders(ctx.rate_limit, res->headers);
    }
    co_return res;
  }

  co_return std::nullopt;
}

awaitable<std::optional<Response>> TenantAuth::Authenticate(
    Request& req, RequestContext& ctx, const ratelimit::FailedAuthKeys* presented) const {
  const Resolution r{
      options_, directory_, sessions_, cookies_, replays_, req, std::chrono::system_clock::now()};
  auto refuse = [&](const Refusal& refusal) {
    failures_.Count(refusal.code);
    return std::optional<Response>(RefusalResponse(refusal, ctx.request_id));
  };
  auto fail = [&](const base::Error& e) {
    return std::optional<Response>(http::ErrorResponse(e, ctx.request_id));
  };

  // 1. The session cookie, if correctly signed and live. A bad one is
  // ignored as if absent (api.md §4).
  std::optional<std::string> presented_hash;
  std::optional<session::SessionRecord> live;
  if (const auto cookie = req.headers.Get("Cookie")) {
    presented_hash = cookies_.VerifiedIdHash(*cookie);
    if (presented_hash) {
      base::Result<std::optional<session::SessionRecord>> found =
          co_await sessions_.FindLiveAsync(*presented_hash, r.now);
      // A session store that cannot be reached (Redis away) fails a
      // cookie-only request (503): its session cannot be checked. One that
      // also presents credentials is judged by them, as if without cookie.
      if (!found &&
          !(found.error().code == base::ErrorCode::kUnavailable && PresentsCredentials(req))) {
        co_return fail(found.error());
      }
      if (found) live = std::move(*found);
    }
  }

  // 2-4. Presented credentials are verified even next to a live session.
  auto credentials = VerifyCredentials(r);
  if (!credentials) co_return fail(credentials.error());
  Principal principal;
  if (*credentials) {
    if (const auto* refusal = std::get_if<Refusal>(&**credentials)) co_return refuse(*refusal);
    principal = std::get<Principal>(std::move(**credentials));
  } else if (live) {
    auto from_session = FromSession(r, *live);
    if (!from_session) co_return fail(from_session.error());
    if (const auto* refusal = std::get_if<Refusal>(&*from_session)) co_return refuse(*refusal);
    principal = std::get<Principal>(std::move(*from_session));
  } else {
    co_return refuse(Unauthorized(
        "missing_credentials",
        "Authenticate with X-App-Key and X-App-Secret, a signature, an API key or a session "
        "cookie."));
  }

  // The tenant itself: deleted is as if unknown; suspended is refused.
  auto tenant = directory_.Tenant(principal.tenant_id);
  if (!tenant) co_return fail(tenant.error());
  if (!*tenant || (*tenant)->status == control::TenantStatus::kDeleted) {
    co_return refuse(Unauthorized("invalid_credentials", "The credentials are not valid."));
  }
  if ((*tenant)->status == control::TenantStatus::kSuspended) {
    co_return refuse(Refusal{403, "tenant_suspended", "The tenant is suspended."});
  }

  // 5-7. A subdomain, X-Tenant-ID or ?tenant= only identifies; it must
  // name the tenant the credentials belong to.
  if (const std::string hint = TenantHint(r);
      !hint.empty() && hint != (*tenant)->slug && hint != (*tenant)->id) {
    co_return refuse(Refusal{403, "tenant_mismatch",
                             "The credentials belong to another tenant than the one named by the "
                             "host, X-Tenant-ID or ?tenant=."});
  }

  ctx.tenant_slug = (*tenant)->slug;
  http::AuthFacts& auth = ctx.auth;
  auth.tenant_id = principal.tenant_id;
  auth.mode = principal.mode;
  auth.key_id = principal.key_id;
  auth.all_scopes = principal.all_scopes;
  auth.scopes = std::move(principal.scopes);

  // §7: the plan, credential and route-group limits, all or nothing; before
  // any session is started, so a refused request leaves nothing behind.
  if (limits_) {
    const std::string credential =
        auth.key_id.empty() ? "app:" + auth.tenant_id : "api_key:" + auth.key_id;
    const base::Result<ratelimit::Admission> admitted =
        co_await limits_->Admit((*tenant)->plan, auth.tenant_id, credential, req, presented,
                                std::chrono::steady_clock::now());
    if (!admitted) co_return fail(admitted.error());
    const ratelimit::Decision& d = admitted->verdict.decision;
    ctx.rate_limit = ratelimit::FactsOf(d);
    if (admitted->throttled) {
      // A failed-authentication count another process reached: refused as
      // if checked before the secret (the answer does not depend on it).
      co_return ThrottledResponse(d, ctx.request_id);
    }
    if (!d.allowed) {
      co_return ratelimit::RateLimitedResponse(
          d,
          "The tenant's plan or this credential allows no more requests for now; retry after "
          "the time in Retry-After.",
          ctx.request_id);
    }
  }

  // Sessions: a cookie-only request slides its session; credentials keep a
  // session of the same tenant and mode, rotate one of another, and (app
  // credentials only) start one when there is none.
  if (principal.mode == "session") {
    auth.session_id = live->id;
    auth.session_hash = live->id_hash;
    const auto ttl = std::chrono::duration_cast<base::TimePoint::duration>(options_.session_ttl);
    if (live->expires_at - r.now < ttl / 2) {
      const base::Status st = co_await sessions_.ExtendAsync(live->id_hash, r.now, r.now + ttl);
      if (!st) co_return fail(st.error());
      const auto cookie = session::FindCookie(*req.headers.Get("Cookie"), session::kCookieName);
      auth.set_cookie = session::SessionCookies::SetCookie(
          *cookie, std::chrono::duration_cast<std::chrono::seconds>(options_.session_ttl),
          SecureCookies(req));
    }
    co_return std::nullopt;
  }
  const std::string bound_mode = principal.mode;
  if (live && live->tenant_id == auth.tenant_id && live->auth_mode == bound_mode &&
      live->key_id == auth.key_id) {
    auth.session_id = live->id;
    auth.session_hash = live->id_hash;
    co_return std::nullopt;
  }
  if (live || bound_mode != "api_key") {
    // Without a reachable session store the request is served all the
    // same, without a session: its credentials proved it.
    const std::optional<std::string> previous =
        live ? std::optional<std::string>(live->id_hash) : std::nullopt;
    const base::Status st = co_await BindSession(req, ctx, previous);
    if (!st && st.error().code != base::ErrorCode::kUnavailable) co_return fail(st.error());
  }
  co_return std::nullopt;
}

awaitable<base::Status> TenantAuth::BindSession(
    const Request& req, RequestContext& ctx,
    const std::optional<std::string>& previous_hash) const {
  if (previous_hash) {
    // Rotation: the old id stops working the moment the new one is issued.
    const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(*previous_hash);
    if (!destroyed) co_return destroyed.error();
  }
  const base::TimePoint now =
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const session::SessionCookies::Minted minted = cookies_.Mint();
  session::SessionRecord s;
  s.id = base::NewId("ses");
  s.id_hash = minted.id_hash;
  s.tenant_id = ctx.auth.tenant_id;
  s.auth_mode = ctx.auth.mode;
  s.key_id = ctx.auth.key_id;
  s.created_at = s.last_seen_at = now;
  s.expires_at = now + std::chrono::duration_cast<base::TimePoint::duration>(options_.session_ttl);
  s.ip = req.remote_ip;
  s.user_agent =
      std::string(req.headers.Get("User-Agent").value_or("").substr(0, kMaxUserAgentChars));
  const base::Status created = co_await sessions_.CreateAsync(s);
  if (!created) co_return created.error();
  ctx.auth.session_id = s.id;
  ctx.auth.session_hash = s.id_hash;
  ctx.auth.set_cookie = session::SessionCookies::SetCookie(
      minted.cookie_value, std::chrono::duration_cast<std::chrono::seconds>(options_.session_ttl),
      SecureCookies(req));
  co_return Done();
}

awaitable<base::Status> TenantAuth::StartSession(const Request& req, RequestContext& ctx) const {
  if (ctx.auth.mode == "session") co_return Done();    // nothing new was proven
  if (!ctx.auth.set_cookie.empty()) co_return Done();  // OnRequest just started one
  // Signing in again replaces the session (fresh id: no session fixation).
  const std::optional<std::string> previous =
      ctx.auth.session_hash.empty() ? std::nullopt
                                    : std::optional<std::string>(ctx.auth.session_hash);
  co_return co_await BindSession(req, ctx, previous);
}

awaitable<base::Status> TenantAuth::EndSession(const Request& req, RequestContext& ctx) const {
  if (!ctx.auth.session_hash.empty()) {
    const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(ctx.auth.session_hash);
    if (!destroyed) co_return destroyed.error();
  }
  ctx.auth.session_id.clear();
  ctx.auth.session_hash.clear();
  ctx.auth.set_cookie = session::SessionCookies::ClearCookie(SecureCookies(req));
  co_return Done();
}

void TenantAuth::OnResponse(const RequestContext& ctx, Response& res) const {
  if (ctx.rate_limit.limit) ratelimit::AddRateLimitHeaders(ctx.rate_limit, res.headers);
  if (!ctx.auth.set_cookie.empty()) {
    res.headers.Add("Set-Cookie", ctx.auth.set_cookie);
    // An answer that sets a session cookie must never sit in a shared cache.
    res.headers.Add("Cache-Control", "no-store");
  }
}

awaitable<std::optional<Response>> RequireScope::OnRequest(Request&, RequestContext& ctx) const {
  if (ctx.auth.HasScope(scope_)) co_return std::nullopt;
  failures_.Count("insufficient_scope");
  co_return http::ProblemResponse(403, "insufficient_scope",
                                  "This route needs the " + scope_ + " scope.", ctx.request_id);
}

}  // namespace tenantd::auth
