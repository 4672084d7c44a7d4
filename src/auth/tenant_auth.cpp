#include "auth/tenant_auth.h"

#include <strings.h>

#include <algorithm>
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
  std::string secret_id;  // the app or API key secret that proved it
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
  return Principal{creds->tenant_id, "app_secret", "", true, {}, matched->id};
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
  out +=
      "# HELP tenantd_auth_failures_total Refused authentications (tenant and admin) by reason.\n";
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
  co_return Verdict(Principal{creds->tenant_id, "signature", "", true, {}, matched->id});
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
                              match->secret_id});
}

// A session lives only as long as the secret that started it (api.md §4
// "Sessions"): an app secret or API key secret rotated out (grace over),
// a revoked or expired key, or a deleted tenant end it. nullopt: ended.
awaitable<base::Result<std::optional<Principal>>> FromSession(const Resolution& r,
                                                              const session::SessionRecord& s) {
  const auto live = [&r](const std::optional<base::TimePoint>& expires_at) {
    return !expires_at || *expires_at > r.now;
  };
  Principal p{s.tenant_id, "session", "", true, {}, s.secret_id};
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
  const auto now = options_.clock->Steady();
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
  const Resolution r{options_, directory_,           sessions_, cookies_, replays_,
                     req,      options_.clock->Now()};
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
  // A session whose secret was revoked or rotated out has ended: it goes
  // from the store and the cookie counts as absent.
  std::optional<Principal> from_session;
  if (live) {
    auto session_principal = co_await FromSession(r, *live);
    if (!session_principal) co_return fail(session_principal.error());
    from_session = std::move(*session_principal);
    if (!from_session) {
      // Best effort: a session left behind is refused again on its next use.
      const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(live->id_hash);
      (void)destroyed;
      live.reset();
    }
  }

  // 2-4. Presented credentials are verified even next to a live session.
  auto credentials = co_await VerifyCredentials(r);
  if (!credentials) co_return fail(credentials.error());
  Principal principal;
  if (*credentials) {
    if (const auto* refusal = std::get_if<Refusal>(&**credentials)) co_return refuse(*refusal);
    principal = std::get<Principal>(std::move(**credentials));
  } else if (from_session) {
    principal = std::move(*from_session);
  } else {
    co_return refuse(Unauthorized(
        "missing_credentials",
        "Authenticate with X-App-Key and X-App-Secret, a signature, an API key or a session "
        "cookie."));
  }

  // The tenant itself: deleted is as if unknown; suspended is refused.
  auto tenant = co_await directory_.Tenant(principal.tenant_id);
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
  auth.secret_id = principal.secret_id;

  // §7: the plan, credential and route-group limits, all or nothing; before
  // any session is started, so a refused request leaves nothing behind.
  if (limits_) {
    const std::string credential =
        auth.key_id.empty() ? "app:" + auth.tenant_id : "api_key:" + auth.key_id;
    const base::Result<ratelimit::Admission> admitted = co_await limits_->Admit(
        (*tenant)->plan, auth.tenant_id, credential, req, presented, options_.clock->Steady());
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
      live->key_id == auth.key_id && live->secret_id == auth.secret_id) {
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
  const base::TimePoint now = std::chrono::floor<std::chrono::milliseconds>(options_.clock->Now());
  const session::SessionCookies::Minted minted = cookies_.Mint();
  session::SessionRecord s;
  s.id = base::NewId("ses");
  s.id_hash = minted.id_hash;
  s.tenant_id = ctx.auth.tenant_id;
  s.auth_mode = ctx.auth.mode;
  s.key_id = ctx.auth.key_id;
  s.secret_id = ctx.auth.secret_id;
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
