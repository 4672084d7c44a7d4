#include "tenant_api/api_key_handlers.h"

#include "auth/directory.h"
#include "control/control_store.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "tenant_api/json.h"

namespace tenantd::tenant_api {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

// Longest grace a rotation may give the previous secret: 30 days.
constexpr int64_t kMaxGraceSeconds = 30 * 86400;

// Whether the caller may hand out a key with these powers.
bool MayGrant(const http::AuthFacts& caller, std::string_view type,
              const std::vector<std::string>& scopes) {
  if (caller.all_scopes) return true;
  if (type != "restricted") return false;
  for (const std::string& s : scopes) {
    if (!caller.HasScope(s)) return false;
  }
  return true;
}

base::Error CannotGrant() {
  return base::MakeError(base::ErrorCode::kPermissionDenied, "insufficient_scope",
                         "A restricted key can only manage restricted keys within its own scopes.");
}

Response Created(const control::CreatedApiKey& created, int status) {
  return JsonResponse(status, boost::json::object{{"api_key", ApiKeyJson(created.key)},
                                                  {"secret", created.secret.Reveal()}});
}

Response NoStore(Response res) {
  // The answer carries a secret shown once: no cache may keep it.
  res.headers.Add("Cache-Control", "no-store");
  return res;
}

}  // namespace

awaitable<Response> ApiKeyHandlers::Create(Request& req, RequestContext& ctx) const {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"name", "type", "environment", "scopes", "expires_at"});
  std::optional<std::string> name, type, environment, expires_at;
  http::ReadString(*body, "name", name, errors);
  http::ReadString(*body, "type", type, errors);
  http::ReadString(*body, "environment", environment, errors);
  control::NewApiKey k;
  k.tenant_id = ctx.auth.tenant_id;
  k.name = name.value_or("");
  if (type) k.type = *type;
  if (environment) k.environment = *environment;
  if (const auto* scopes = body->if_contains("scopes"); scopes && !scopes->is_null()) {
    if (!scopes->is_array()) {
      errors.push_back({"scopes", "Must be an array of strings."});
    } else {
      for (const auto& s : scopes->as_array()) {
        if (!s.is_string()) {
          errors.push_back({"scopes", "Must be an array of strings."});
          break;
        }
        k.scopes.emplace_back(s.as_string());
      }
    }
  }
  if (const auto* v = body->if_contains("expires_at"); v && !v->is_null()) {
    http::ReadString(*body, "expires_at", expires_at, errors);
    if (expires_at) {
      k.expires_at = base::ParseRfc3339(*expires_at);
      if (!k.expires_at) {
        errors.push_back({"expires_at", "Must be an RFC 3339 UTC time like 2027-01-01T00:00:00Z."});
      }
    }
  }
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  if (!MayGrant(ctx.auth, k.type, k.scopes)) {
    co_return http::ErrorResponse(CannotGrant(), ctx.request_id);
  }
  auto created = co_await store.CreateApiKey(k);
  if (!created) co_return http::ErrorResponse(created.error(), ctx.request_id);
  Response res = NoStore(Created(*created, 201));
  res.headers.Add("Location", "/v1/api-keys/" + created->key.id);
  co_return res;
}

awaitable<Response> ApiKeyHandlers::List(Request& req, RequestContext& ctx) const {
  auto limit = http::ParseLimit(req);
  if (!limit) co_return http::ErrorResponse(limit.error(), ctx.request_id);
  auto after = http::ParseCursor(req, "key");
  if (!after) co_return http::ErrorResponse(after.error(), ctx.request_id);
  auto page = co_await store.ListApiKeys(ctx.auth.tenant_id, *after, *limit);
  if (!page) co_return http::ErrorResponse(page.error(), ctx.request_id);
  boost::json::array data;
  for (const auto& k : page->items) data.push_back(ApiKeyJson(k, directory.PendingKeyUse(k.id)));
  boost::json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  co_return JsonResponse(200, out);
}

awaitable<Response> ApiKeyHandlers::Show(Request& req, RequestContext& ctx) const {
  const std::string id(req.PathParam("id"));
  auto key = co_await store.FindApiKey(ctx.auth.tenant_id, id);
  if (!key) co_return http::ErrorResponse(key.error(), ctx.request_id);
  if (!*key) co_return http::ErrorResponse(base::NotFound("No such API key."), ctx.request_id);
  co_return JsonResponse(
      200, boost::json::object{{"api_key", ApiKeyJson(**key, directory.PendingKeyUse(id))}});
}

awaitable<Response> ApiKeyHandlers::Rotate(Request& req, RequestContext& ctx) const {
  auto body = http::ParseOptionalJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  auto errors = http::UnknownFields(*body, {"grace_seconds"});
  std::optional<int64_t> grace;
  http::ReadInteger(*body, "grace_seconds", 0, kMaxGraceSeconds, grace, errors);
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  const std::string id(req.PathParam("id"));
  auto key = co_await store.FindApiKey(ctx.auth.tenant_id, id);
  if (!key) co_return http::ErrorResponse(key.error(), ctx.request_id);
  if (!*key) co_return http::ErrorResponse(base::NotFound("No such API key."), ctx.request_id);
  if (!MayGrant(ctx.auth, (*key)->type, (*key)->scopes)) {
    co_return http::ErrorResponse(CannotGrant(), ctx.request_id);
  }
  auto rotated =
      co_await store.RotateApiKey(ctx.auth.tenant_id, id, std::chrono::seconds(grace.value_or(0)));
  if (!rotated) co_return http::ErrorResponse(rotated.error(), ctx.request_id);
  co_return NoStore(Created(*rotated, 200));
}

awaitable<Response> ApiKeyHandlers::Revoke(Request& req, RequestContext& ctx) const {
  // Revoking is managing: a restricted key may not revoke a key it could
  // not have created (a secret key, or one with scopes it lacks).
  const std::string id(req.PathParam("id"));
  auto found = co_await store.FindApiKey(ctx.auth.tenant_id, id);
  if (!found) co_return http::ErrorResponse(found.error(), ctx.request_id);
  if (!*found) co_return http::ErrorResponse(base::NotFound("No such API key."), ctx.request_id);
  if (!MayGrant(ctx.auth, (*found)->type, (*found)->scopes)) {
    co_return http::ErrorResponse(CannotGrant(), ctx.request_id);
  }
  auto key = co_await store.RevokeApiKey(ctx.auth.tenant_id, id);
  if (!key) co_return http::ErrorResponse(key.error(), ctx.request_id);
  co_return JsonResponse(200, boost::json::object{{"api_key", ApiKeyJson(*key)}});
}

}  // namespace tenantd::tenant_api
