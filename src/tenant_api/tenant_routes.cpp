#include "tenant_api/tenant_routes.h"

#include <boost/json.hpp>

#include "auth/directory.h"
#include "control/control_store.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "session/session_store.h"
#include "tenant_api/api_key_docs.h"
#include "tenant_api/api_key_handlers.h"
#include "tenant_api/json.h"
#include "tenant_api/product_docs.h"
#include "tenant_api/product_handlers.h"
#include "tenant_api/session_docs.h"
#include "tenant_api/session_handlers.h"

namespace tenantd::tenant_api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

// A JSON string literal for `s` (quotes included, escaped as needed).
std::string Quoted(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s));
}

// Written out by hand rather than through a boost::json tree: whoami is the
// cheapest authenticated call and a probe clients make often, and the tree
// costs a score of allocations per answer.
awaitable<Response> WhoAmI(Request&, RequestContext& ctx) {
  const control::Tenant& t = *ctx.tenant;
  static const std::string kAllScopes = [] {
    http::AuthFacts full;
    full.all_scopes = true;
    return boost::json::serialize(ScopesJson(full));
  }();
  std::string body;
  body.reserve(400);
  // Ids, slugs, plans, statuses, modes and scopes are plain ASCII tokens
  // minted or validated by the server; only the name needs escaping.
  body += R"({"tenant":{"id":")";
  body += t.id;
  body += R"(","slug":")";
  body += t.slug;
  body += R"(","name":)";
  body += Quoted(t.name);
  body += R"(,"plan":")";
  body += t.plan;
  body += R"(","status":")";
  body += control::ToString(t.status);
  body += R"("},"auth":{"mode":")";
  body += ctx.auth.mode;
  body += R"(","scopes":)";
  body += ctx.auth.all_scopes ? kAllScopes : boost::json::serialize(ScopesJson(ctx.auth));
  if (!ctx.auth.key_id.empty()) {
    body += R"(,"key_id":")";
    body += ctx.auth.key_id;
    body += '"';
  }
  if (!ctx.auth.user_id.empty()) {
    body += R"(,"user_id":")";
    body += ctx.auth.user_id;
    body += R"(","role":)";
    body += Quoted(ctx.auth.role);  // a custom role's name is the tenant's text
  }
  if (!ctx.auth.session_id.empty()) {
    body += R"(,"session_id":")";
    body += ctx.auth.session_id;
    body += '"';
  }
  body += "}}";
  co_return Response::Json(200, std::move(body));
}

}  // namespace

TenantRoutes::TenantRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
                           auth::Directory& directory, control::ControlStore& store,
                           session::SessionStore& sessions, tenant_db::TenantDbPool& pool,
                           const base::Clock& clock)
    : access_(access),
      directory_(directory),
      store_(store),
      sessions_(sessions),
      data_(pool),
      clock_(clock),
      keys_read_("keys:read", failures),
      keys_write_("keys:write", failures),
      sessions_read_("sessions:read", failures),
      sessions_write_("sessions:write", failures),
      products_read_("products:read", failures),
      products_write_("products:write", failures) {}

void TenantRoutes::Register(http::Router& router) const {
  const http::Stage* a = &access_;
  router.Add("GET", "/v1/whoami", {a}, WhoAmI, session_docs::WhoAmI());

  const SessionHandlers sessions{access_.sessions(), sessions_, clock_};
  router.Add("GET", "/v1/session", {a}, sessions.Bind(&SessionHandlers::Current),
             session_docs::Current());
  router.Add("POST", "/v1/session", {a}, sessions.Bind(&SessionHandlers::Start),
             session_docs::Start());
  router.Add("DELETE", "/v1/session", {a}, sessions.Bind(&SessionHandlers::End),
             session_docs::End());
  router.Add("GET", "/v1/sessions", {a, &sessions_read_}, sessions.Bind(&SessionHandlers::List),
             session_docs::List());
  router.Add("DELETE", "/v1/sessions", {a, &sessions_write_},
             sessions.Bind(&SessionHandlers::RevokeAll), session_docs::RevokeAll());
  router.Add("DELETE", "/v1/sessions/{id}", {a, &sessions_write_},
             sessions.Bind(&SessionHandlers::Revoke), session_docs::Revoke());

  const ApiKeyHandlers keys{store_, directory_};
  router.Add("POST", "/v1/api-keys", {a, &keys_write_}, keys.Bind(&ApiKeyHandlers::Create),
             api_key_docs::Create());
  router.Add("GET", "/v1/api-keys", {a, &keys_read_}, keys.Bind(&ApiKeyHandlers::List),
             api_key_docs::List());
  router.Add("GET", "/v1/api-keys/{id}", {a, &keys_read_}, keys.Bind(&ApiKeyHandlers::Show),
             api_key_docs::Show());
  router.Add("POST", "/v1/api-keys/{id}/rotate", {a, &keys_write_},
             keys.Bind(&ApiKeyHandlers::Rotate), api_key_docs::Rotate());
  router.Add("DELETE", "/v1/api-keys/{id}", {a, &keys_write_}, keys.Bind(&ApiKeyHandlers::Revoke),
             api_key_docs::Revoke());

  const ProductHandlers products{data_, clock_};
  router.Add("POST", "/v1/products", {a, &products_write_}, products.Bind(&ProductHandlers::Create),
             product_docs::Create());
  router.Add("GET", "/v1/products", {a, &products_read_}, products.Bind(&ProductHandlers::List),
             product_docs::List());
  router.Add("GET", "/v1/products/{id}", {a, &products_read_},
             products.Bind(&ProductHandlers::Show), product_docs::Show());
  router.Add("PATCH", "/v1/products/{id}", {a, &products_write_},
             products.Bind(&ProductHandlers::Update), product_docs::Update());
  router.Add("DELETE", "/v1/products/{id}", {a, &products_write_},
             products.Bind(&ProductHandlers::Remove), product_docs::Remove());
}

}  // namespace tenantd::tenant_api
