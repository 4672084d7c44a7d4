#include "session/session_binder.h"

#include "base/ids.h"
#include "session/session_cookie.h"
#include "storage/errors.h"

namespace tenantd::session {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;

constexpr std::size_t kMaxUserAgentChars = 200;

// Success, for the coroutines returning a Status (GCC 12 warns, wrongly,
// that a `co_return base::Status{}` reads an uninitialised error).
base::Status Done() { return {}; }

}  // namespace

SessionBinder::SessionBinder(SessionBinderOptions options, SessionStore& sessions,
                             const SessionCookies& cookies)
    : options_(std::move(options)), sessions_(sessions), cookies_(cookies) {}

awaitable<base::Status> SessionBinder::Bind(const Request& req, RequestContext& ctx,
                                            const std::optional<SessionRecord>& live) const {
  http::AuthFacts& auth = ctx.auth;
  const base::TimePoint now = options_.clock->Now();
  if (auth.ByCookie()) {
    // Rolling renewal: slid once less than half its lifetime is left.
    const std::chrono::milliseconds lifetime = TtlFor(live->user_id);
    const auto ttl = std::chrono::duration_cast<base::TimePoint::duration>(lifetime);
    auth.session_id = live->id;
    auth.session_hash = live->id_hash;
    if (live->expires_at - now < ttl / 2) {
      TENANTD_CO_RETURN_IF_ERROR(co_await sessions_.ExtendAsync(live->id_hash, now, now + ttl));
      const auto cookie = FindCookie(*req.headers.Get("Cookie"), kCookieName);
      auth.set_cookie = SessionCookies::SetCookie(
          *cookie, std::chrono::duration_cast<std::chrono::seconds>(lifetime), SecureCookies(req));
    }
    co_return Done();
  }
  if (live && live->tenant_id == auth.tenant_id && live->auth_mode == auth.mode &&
      live->key_id == auth.key_id && live->secret_id == auth.secret_id) {
    auth.session_id = live->id;
    auth.session_hash = live->id_hash;
    co_return Done();
  }
  if (live || auth.mode != "api_key") {
    const std::optional<std::string> previous =
        live ? std::optional<std::string>(live->id_hash) : std::nullopt;
    const base::Status st = co_await Mint(req, ctx, previous);
    if (!st && st.error().code != base::ErrorCode::kUnavailable) co_return st.error();
  }
  co_return Done();
}

awaitable<base::Status> SessionBinder::Mint(const Request& req, RequestContext& ctx,
                                            const std::optional<std::string>& previous_hash) const {
  if (previous_hash) {
    // Rotation: the old id stops working the moment the new one is issued.
    const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(*previous_hash);
    if (!destroyed) co_return destroyed.error();
  }
  const base::TimePoint now = std::chrono::floor<std::chrono::milliseconds>(options_.clock->Now());
  const SessionCookies::Minted minted = cookies_.Mint();
  SessionRecord s;
  s.id = base::NewId("ses");
  s.id_hash = minted.id_hash;
  s.tenant_id = ctx.auth.tenant_id;
  s.auth_mode = ctx.auth.mode;
  s.key_id = ctx.auth.key_id;
  s.user_id = ctx.auth.user_id;
  s.secret_id = ctx.auth.secret_id;
  const std::chrono::milliseconds lifetime = TtlFor(s.user_id);
  s.created_at = s.last_seen_at = now;
  s.expires_at = now + std::chrono::duration_cast<base::TimePoint::duration>(lifetime);
  s.ip = req.remote_ip;
  s.user_agent =
      std::string(req.headers.Get("User-Agent").value_or("").substr(0, kMaxUserAgentChars));
  TENANTD_CO_RETURN_IF_ERROR(co_await sessions_.CreateAsync(s));
  ctx.auth.session_id = s.id;
  ctx.auth.session_hash = s.id_hash;
  ctx.auth.set_cookie = SessionCookies::SetCookie(
      minted.cookie_value, std::chrono::duration_cast<std::chrono::seconds>(lifetime),
      SecureCookies(req));
  co_return Done();
}

awaitable<base::Status> SessionBinder::StartForUser(
    const Request& req, RequestContext& ctx,
    const std::optional<std::string>& previous_hash) const {
  ctx.auth.mode = "user";
  ctx.auth.key_id.clear();
  ctx.auth.secret_id.clear();
  co_return co_await Mint(req, ctx, previous_hash);
}

awaitable<base::Status> SessionBinder::Start(const Request& req, RequestContext& ctx) const {
  if (ctx.auth.ByCookie()) co_return Done();           // nothing new was proven
  if (!ctx.auth.set_cookie.empty()) co_return Done();  // the access stage just started one
  // Signing in again replaces the session (fresh id: no session fixation).
  const std::optional<std::string> previous =
      ctx.auth.session_hash.empty() ? std::nullopt
                                    : std::optional<std::string>(ctx.auth.session_hash);
  co_return co_await Mint(req, ctx, previous);
}

awaitable<base::Status> SessionBinder::End(const Request& req, RequestContext& ctx) const {
  if (!ctx.auth.session_hash.empty()) {
    const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(ctx.auth.session_hash);
    if (!destroyed) co_return destroyed.error();
  }
  Forget(req, ctx);
  co_return Done();
}

void SessionBinder::Forget(const Request& req, RequestContext& ctx) const {
  ctx.auth.session_id.clear();
  ctx.auth.session_hash.clear();
  ctx.auth.set_cookie = SessionCookies::ClearCookie(SecureCookies(req));
}

std::string SessionBinder::UserCookie(const Request& req, std::string_view cookie_value) const {
  return SessionCookies::SetCookie(
      cookie_value, std::chrono::duration_cast<std::chrono::seconds>(options_.user_session_ttl),
      SecureCookies(req));
}

void SessionBinder::AddCookie(const RequestContext& ctx, http::Response& res) {
  if (ctx.auth.set_cookie.empty()) return;
  res.headers.Add("Set-Cookie", ctx.auth.set_cookie);
  // An answer that sets a session cookie must never sit in a shared cache.
  res.headers.Add("Cache-Control", "no-store");
}

}  // namespace tenantd::session
