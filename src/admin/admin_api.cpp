#include "admin/admin_api.h"

#include "files/blob_store.h"

#include <boost/json.hpp>
#include <charconv>

#include "admin/admin_docs.h"
#include "admin/email_routes.h"
#include "admin/tenant_json.h"
#include "base/ids.h"
#include "control/control_store.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "tenant_db/provisioning.h"

namespace tenantd::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

Response JsonResponse(int status, const boost::json::value& v) {
  return Response::Json(status, boost::json::serialize(v));
}

using http::ReadString;

awaitable<Response> CreateTenant(const AdminDeps& deps, Request& req, RequestContext& ctx) {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"slug", "name", "plan", "isolation"});
  std::optional<std::string> slug, name, plan, isolation;
  ReadString(*body, "slug", slug, errors);
  ReadString(*body, "name", name, errors);
  ReadString(*body, "plan", plan, errors);
  ReadString(*body, "isolation", isolation, errors);
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  control::NewTenant t;
  t.slug = slug.value_or("");
  t.name = name.value_or("");
  if (plan) t.plan = *plan;
  if (isolation) t.isolation = *isolation;
  // The database is created and migrated before the answer (a few ms).
  auto created = co_await tenant_db::CreateTenant(deps.store, deps.databases, t, deps.workers);
  if (!created) co_return http::ErrorResponse(created.error(), ctx.request_id);
  boost::json::object out{
      {"tenant", TenantToJson(created->tenant)},
      {"credentials", boost::json::object{{"app_key", created->tenant.app_key},
                                          {"app_secret", created->app_secret.Reveal()}}},
  };
  Response res = JsonResponse(201, out);
  res.headers.Add("Location", "/admin/v1/tenants/" + created->tenant.id);
  co_return res;
}

awaitable<Response> ListTenants(control::ControlStore& store, Request& req, RequestContext& ctx) {
  control::TenantListQuery q;
  auto limit = http::ParseLimit(req);
  if (!limit) co_return http::ErrorResponse(limit.error(), ctx.request_id);
  q.limit = *limit;
  if (auto status = req.QueryParam("status")) {
    q.status = control::ParseTenantStatus(*status);
    if (!q.status) {
      co_return http::ErrorResponse(
          base::InvalidArgument("bad_request", "status must be active, suspended or deleted."),
          ctx.request_id);
    }
  }
  auto after = http::ParseCursor(req, "ten");
  if (!after) co_return http::ErrorResponse(after.error(), ctx.request_id);
  q.after = std::move(*after);
  auto page = co_await store.ListTenants(q);
  if (!page) co_return http::ErrorResponse(page.error(), ctx.request_id);
  boost::json::array data;
  for (const auto& t : page->items) data.push_back(TenantToJson(t));
  boost::json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  co_return JsonResponse(200, out);
}

awaitable<Response> ShowTenant(control::ControlStore& store, Request& req, RequestContext& ctx) {
  auto found = co_await store.FindTenant(req.PathParam("id"));
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found) co_return http::ErrorResponse(base::NotFound("No such tenant."), ctx.request_id);
  co_return JsonResponse(200, boost::json::object{{"tenant", TenantToJson(**found)}});
}

awaitable<Response> PatchTenant(control::ControlStore& store, Request& req, RequestContext& ctx) {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"name", "plan", "status"});
  control::TenantPatch patch;
  std::optional<std::string> status;
  ReadString(*body, "name", patch.name, errors);
  ReadString(*body, "plan", patch.plan, errors);
  ReadString(*body, "status", status, errors);
  if (status) {
    patch.status = control::ParseTenantStatus(*status);
    if (!patch.status) errors.push_back({"status", "Must be active or suspended."});
  }
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  auto updated = co_await store.UpdateTenant(req.PathParam("id"), patch);
  if (!updated) co_return http::ErrorResponse(updated.error(), ctx.request_id);
  co_return JsonResponse(200, boost::json::object{{"tenant", TenantToJson(*updated)}});
}

awaitable<Response> DeleteTenant(const AdminDeps& deps, Request& req, RequestContext& ctx) {
  const auto purge = req.QueryParam("purge");
  if (purge && *purge != "true" && *purge != "false") {
    co_return http::ErrorResponse(
        base::InvalidArgument("bad_request", "purge must be true or false."), ctx.request_id);
  }
  if (purge == "true") {
    auto purged = co_await tenant_db::PurgeTenant(deps.store, deps.databases, &deps.pool,
                                                  req.PathParam("id"));
    if (!purged) co_return http::ErrorResponse(purged.error(), ctx.request_id);
    if (deps.blobs != nullptr) {
      if (auto removed = co_await deps.blobs->RemoveTenant(purged->id); !removed) {
        co_return http::ErrorResponse(removed.error(), ctx.request_id);
      }
    }
  } else {
    auto deleted = co_await deps.store.DeleteTenant(req.PathParam("id"));
    if (!deleted) co_return http::ErrorResponse(deleted.error(), ctx.request_id);
  }
  co_return Response::NoContent();
}

// Longest grace a rotation may give the previous secret: 30 days.
constexpr int64_t kMaxGraceSeconds = 30 * 86400;

awaitable<Response> RotateCredentials(control::ControlStore& store, Request& req,
                                      RequestContext& ctx) {
  auto body = http::ParseOptionalJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"grace_seconds"});
  std::optional<int64_t> grace;
  http::ReadInteger(*body, "grace_seconds", 0, kMaxGraceSeconds, grace, errors);
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  auto rotated =
      co_await store.RotateAppSecret(req.PathParam("id"), std::chrono::seconds(grace.value_or(0)));
  if (!rotated) co_return http::ErrorResponse(rotated.error(), ctx.request_id);
  co_return JsonResponse(
      200, boost::json::object{
               {"credentials", boost::json::object{{"app_key", rotated->app_key},
                                                   {"app_secret", rotated->app_secret.Reveal()}}},
               {"previous_secret_expires_at", base::FormatRfc3339(rotated->previous_expires_at)},
           });
}

}  // namespace

void RegisterAdminRoutes(http::Router& router, const http::Stage& auth, const AdminDeps& deps) {
  const std::vector<const http::Stage*> stages{&auth};
  control::ControlStore& store = deps.store;
  auto bind = [&store](auto fn) {
    return [&store, fn](Request& req, RequestContext& ctx) { return fn(store, req, ctx); };
  };
  auto bind_deps = [deps](auto fn) {
    return [deps, fn](Request& req, RequestContext& ctx) { return fn(deps, req, ctx); };
  };
  router.Add("POST", "/admin/v1/tenants", stages, bind_deps(CreateTenant),
             admin_docs::CreateTenant());
  router.Add("GET", "/admin/v1/tenants", stages, bind(ListTenants), admin_docs::ListTenants());
  router.Add("GET", "/admin/v1/tenants/{id}", stages, bind(ShowTenant), admin_docs::ShowTenant());
  router.Add("PATCH", "/admin/v1/tenants/{id}", stages, bind(PatchTenant),
             admin_docs::PatchTenant());
  router.Add("DELETE", "/admin/v1/tenants/{id}", stages, bind_deps(DeleteTenant),
             admin_docs::DeleteTenant());
  router.Add("POST", "/admin/v1/tenants/{id}/credentials/rotate", stages, bind(RotateCredentials),
             admin_docs::RotateCredentials());
  RegisterEmailRoutes(router, stages, store);
}

}  // namespace tenantd::admin
