#include "users/signed_in.h"

#include "http/problem.h"
#include "session/session_binder.h"
#include "session/session_cookie.h"
#include "session/session_store.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

std::optional<std::string> CookieHash(const Request& req, const session::SessionCookies& cookies) {
  const auto header = req.headers.Get("Cookie");
  if (!header) return std::nullopt;
  return cookies.VerifiedIdHash(*header);
}

namespace {

Response NotSignedIn(const Request& req, const RequestContext& ctx, bool clear_cookie) {
  Response res = http::ErrorResponse(
      base::MakeError(base::ErrorCode::kUnauthenticated, "not_signed_in",
                      "Sign in first: POST /auth/v1/signin sets the sid cookie."),
      ctx.request_id);
  if (clear_cookie) res.headers.Add("Set-Cookie", session::SessionCookies::ClearCookie(req.is_tls));
  return res;
}

}  // namespace

awaitable<std::optional<Response>> SignedIn::OnRequest(Request& req, RequestContext& ctx) const {
  const std::optional<std::string> hash = CookieHash(req, cookies_);
  if (!hash) co_return NotSignedIn(req, ctx, false);
  const base::Result<std::optional<session::SessionRecord>> found =
      co_await sessions_.FindLiveAsync(*hash, clock_.Now());
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found || (*found)->user_id.empty()) co_return NotSignedIn(req, ctx, false);
  const session::SessionRecord& s = **found;
  const base::Result<std::optional<control::User>> user = co_await people_.FindUser(s.user_id);
  if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
  const bool ended =
      !*user || (*user)->status != control::UserStatus::kActive ||
      ((*user)->sessions_valid_after && s.created_at < *(*user)->sessions_valid_after);
  if (ended) {
    // Best effort: a session left behind is refused again on its next use.
    const base::Result<bool> destroyed = co_await sessions_.DestroyAsync(s.id_hash);
    (void)destroyed;
    co_return NotSignedIn(req, ctx, true);
  }
  ctx.auth.mode = "user";
  ctx.auth.user_id = s.user_id;
  ctx.auth.tenant_id = s.tenant_id;
  const base::Status bound = co_await binder_.Bind(req, ctx, s);
  if (!bound) co_return http::ErrorResponse(bound.error(), ctx.request_id);
  co_return std::nullopt;
}

void SignedIn::OnResponse(const RequestContext& ctx, Response& res) const {
  session::SessionBinder::AddCookie(ctx, res);
}

void SignedIn::Describe(http::RouteDoc& doc) const {
  doc.security = {{{"userSession", R"({
    "type": "apiKey", "in": "cookie", "name": "sid",
    "description": "A signed-in user's session cookie, set by POST /auth/v1/signin or /auth/v1/signup."})"}}};
  doc.problems.push_back({401, "not_signed_in"});
}

}  // namespace tenantd::users
