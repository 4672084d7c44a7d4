#include "admin/user_routes.h"

#include <boost/json.hpp>
#include <memory>

#include "admin/admin_docs.h"
#include "control/people.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "session/session_store.h"
#include "users/user_json.h"

namespace tenantd::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

Response JsonResponse(int status, const boost::json::value& v) {
  return Response::Json(status, boost::json::serialize(v));
}

base::Error NoSuchUser() { return base::NotFound("No such user."); }

awaitable<Response> ListUsers(control::People& people, Request& req, RequestContext& ctx) {
  auto limit = http::ParseLimit(req);
  if (!limit) co_return http::ErrorResponse(limit.error(), ctx.request_id);
  auto after = http::ParseCursor(req, "usr");
  if (!after) co_return http::ErrorResponse(after.error(), ctx.request_id);
  // Exact, without regard to case; "" lists everyone.
  const std::string email = req.QueryParam("email").value_or("");
  auto page = co_await people.ListUsers(email, *after, *limit);
  if (!page) co_return http::ErrorResponse(page.error(), ctx.request_id);
  boost::json::array data;
  for (const control::User& u : page->items) data.push_back(users::UserJson(u));
  boost::json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  co_return JsonResponse(200, out);
}

awaitable<Response> ShowUser(control::People& people, Request& req, RequestContext& ctx) {
  const std::string id(req.PathParam("id"));
  auto user = co_await people.FindUser(id);
  if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
  if (!*user) co_return http::ErrorResponse(NoSuchUser(), ctx.request_id);
  auto memberships = co_await people.MembershipsOf(id);
  if (!memberships) co_return http::ErrorResponse(memberships.error(), ctx.request_id);
  boost::json::array list;
  for (const control::TenantMembership& m : *memberships) list.push_back(users::MembershipJson(m));
  co_return JsonResponse(200, boost::json::object{{"user", users::UserJson(**user)},
                                                  {"memberships", std::move(list)}});
}

awaitable<Response> PatchUser(control::People& people, session::SessionStore& sessions,
                              Request& req, RequestContext& ctx) {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"status"});
  std::optional<std::string> raw_status;
  http::ReadString(*body, "status", raw_status, errors);
  std::optional<control::UserStatus> status;
  if (raw_status) {
    status = control::ParseUserStatus(*raw_status);
    if (!status) errors.push_back({"status", "Must be active or suspended."});
  }
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  const std::string id(req.PathParam("id"));
  base::Result<control::User> user = NoSuchUser();
  if (status) {
    user = co_await people.SetStatus(id, *status);
  } else {
    auto found = co_await people.FindUser(id);
    if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
    if (*found) user = std::move(**found);
  }
  if (!user) co_return http::ErrorResponse(user.error(), ctx.request_id);
  if (status == control::UserStatus::kSuspended) {
    // api.md §11: suspending a user ends their sessions on every node
    // (the session store is shared by them, or read through on each). The
    // status is stored first, so a failed revocation is retried by sending
    // the same PATCH again.
    auto revoked = co_await sessions.RevokeAllForUserAsync(id, "");
    if (!revoked) co_return http::ErrorResponse(revoked.error(), ctx.request_id);
  }
  co_return JsonResponse(200, boost::json::object{{"user", users::UserJson(*user)}});
}

}  // namespace

void RegisterUserRoutes(http::Router& router, const http::Stage& auth, const UserRouteDeps& deps) {
  const std::vector<const http::Stage*> stages{&auth};
  // Shared by the handlers: a People is only references to the store.
  auto people = std::make_shared<control::People>(deps.store);
  session::SessionStore* sessions = &deps.sessions;
  router.Add(
      "GET", "/admin/v1/users", stages,
      [people](Request& req, RequestContext& ctx) { return ListUsers(*people, req, ctx); },
      admin_docs::ListUsers());
  router.Add(
      "GET", "/admin/v1/users/{id}", stages,
      [people](Request& req, RequestContext& ctx) { return ShowUser(*people, req, ctx); },
      admin_docs::ShowUser());
  router.Add(
      "PATCH", "/admin/v1/users/{id}", stages,
      [people, sessions](Request& req, RequestContext& ctx) {
        return PatchUser(*people, *sessions, req, ctx);
      },
      admin_docs::PatchUser());
}

}  // namespace tenantd::admin
