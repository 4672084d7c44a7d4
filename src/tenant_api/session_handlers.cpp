#include "tenant_api/session_handlers.h"

#include "http/json_body.h"
#include "http/problem.h"
#include "session/session_cookie.h"
#include "tenant_api/json.h"

namespace tenantd::tenant_api {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

base::Error NoSession() {
  return base::NotFound(
      "This request has no session; app credentials or POST /v1/session start one.");
}

}  // namespace

awaitable<Response> SessionHandlers::Current(Request&, RequestContext& ctx) const {
  if (ctx.auth.session_hash.empty()) co_return http::ErrorResponse(NoSession(), ctx.request_id);
  const base::Result<std::optional<session::SessionRecord>> found =
      co_await sessions.FindLiveAsync(ctx.auth.session_hash, clock.Now());
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found) co_return http::ErrorResponse(NoSession(), ctx.request_id);
  co_return JsonResponse(200, boost::json::object{{"session", SessionJson(**found, true)}});
}

awaitable<Response> SessionHandlers::Start(Request& req, RequestContext& ctx) const {
  const bool cookie_only = ctx.auth.ByCookie();
  const base::Status started = co_await binder.Start(req, ctx);
  if (!started) co_return http::ErrorResponse(started.error(), ctx.request_id);
  const base::Result<std::optional<session::SessionRecord>> found =
      co_await sessions.FindLiveAsync(ctx.auth.session_hash, clock.Now());
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found) co_return http::ErrorResponse(NoSession(), ctx.request_id);
  Response res = JsonResponse(cookie_only ? 200 : 201,
                              boost::json::object{{"session", SessionJson(**found, true)}});
  co_return res;
}

awaitable<Response> SessionHandlers::End(Request& req, RequestContext& ctx) const {
  const base::Status ended = co_await binder.End(req, ctx);
  if (!ended) co_return http::ErrorResponse(ended.error(), ctx.request_id);
  co_return Response::NoContent();
}

awaitable<Response> SessionHandlers::List(Request& req, RequestContext& ctx) const {
  auto limit = http::ParseLimit(req);
  if (!limit) co_return http::ErrorResponse(limit.error(), ctx.request_id);
  auto after = http::ParseCursor(req, "ses");
  if (!after) co_return http::ErrorResponse(after.error(), ctx.request_id);
  auto page = co_await sessions.ListLiveAsync(ctx.auth.tenant_id, clock.Now(), *after, *limit);
  if (!page) co_return http::ErrorResponse(page.error(), ctx.request_id);
  boost::json::array data;
  for (const auto& s : page->items) data.push_back(SessionJson(s, s.id == ctx.auth.session_id));
  boost::json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  co_return JsonResponse(200, out);
}

awaitable<Response> SessionHandlers::Revoke(Request& req, RequestContext& ctx) const {
  const std::string id(req.PathParam("id"));
  auto revoked = co_await sessions.RevokeAsync(ctx.auth.tenant_id, id);
  if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  if (!*revoked) co_return http::ErrorResponse(base::NotFound("No such session."), ctx.request_id);
  if (id == ctx.auth.session_id) {
    binder.Forget(req, ctx);
  }
  co_return Response::NoContent();
}

awaitable<Response> SessionHandlers::RevokeAll(Request& req, RequestContext& ctx) const {
  auto revoked = co_await sessions.RevokeAllAsync(ctx.auth.tenant_id);
  if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  if (!ctx.auth.session_id.empty()) {
    binder.Forget(req, ctx);
  }
  co_return JsonResponse(200, boost::json::object{{"revoked", *revoked}});
}

}  // namespace tenantd::tenant_api
