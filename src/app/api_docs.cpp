#include "app/api_docs.h"

#include <memory>

#include "app/docs_viewer_assets.h"
#include "app/public_docs.h"
#include "http/problem.h"
#include "openapi/openapi.h"

namespace tenantd::app {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

constexpr const char* kDescription =
    "The HTTP API of tenantd, a multi-tenant backend server. Errors are RFC 9457 problem "
    "details with a stable `code`; lists are cursor pages; every `/v1/` request runs for one "
    "tenant, authenticated by session cookie, API key, app key + secret, or app key + "
    "signature (mode B). The prose contract with every choice is docs/api.md.";

// Only same-origin scripts, styles and fetches: the viewer needs nothing else.
constexpr const char* kViewerPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Response Asset(const DocsViewerAsset& asset) {
  Response res = Response::Text(200, std::string(asset.content_type), std::string(asset.bytes));
  res.headers.Add("Content-Security-Policy", kViewerPolicy);
  res.headers.Add("X-Content-Type-Options", "nosniff");
  res.headers.Add("Cache-Control", "no-cache");
  return res;
}

}  // namespace

std::vector<std::string> RegisterApiDocs(http::Router& router, std::string version) {
  // Filled below, once every route (these included) is in the table; read-only afterwards.
  auto document = std::make_shared<std::string>();
  router.Add(
      "GET", "/openapi.json", {},
      [document](Request&, RequestContext&) -> awaitable<Response> {
        Response res = Response::Json(200, *document);
        res.headers.Add("Access-Control-Allow-Origin", "*");  // public, for editors and codegen
        co_return res;
      },
      public_docs::OpenApi());
  router.Add(
      "GET", "/docs", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        co_return Asset(*FindDocsViewerAsset("index.html"));
      },
      public_docs::Viewer());
  router.Add(
      "GET", "/docs/{asset}", {},
      [](Request& req, RequestContext& ctx) -> awaitable<Response> {
        const std::string_view name = req.PathParam("asset");
        const DocsViewerAsset* asset = name == "index.html" ? nullptr : FindDocsViewerAsset(name);
        if (!asset) co_return http::ErrorResponse(base::NotFound("No such asset."), ctx.request_id);
        co_return Asset(*asset);
      },
      public_docs::ViewerAsset());
  openapi::DocumentInfo info{"tenantd", std::move(version), kDescription, {}};
  info.tags = {
      {"Public", "Health, readiness, metrics and this description; no credentials."},
      {"Administration",
       "Platform administration (docs/api.md, Platform administration): the admin token."},
      {"Authentication", "Who a tenant request runs for, and its sessions."},
      {"API keys", "A tenant's API keys: secret keys hold every scope, restricted ones theirs."},
      {"Products", "Products, kept in the tenant's own database."},
      {"Files",
       "A tenant's files: streamed uploads, ranged downloads, presigned links, direct "
       "upload and download URLs, public files."},
      {"Resumable uploads",
       "tus 1.0.0 on /v1/uploads (creation, creation-with-upload, termination, checksum, "
       "expiration): uploads that survive a dropped connection and become files."},
      {"Users",
       "People who sign in (docs/api.md, Users): sign-up, sign-in, the signed-in user, their "
       "tenants and their sessions (the sid cookie)."},
      {"Members", "A tenant's members and their roles, built-in and custom."},
      {"Forward authentication",
       "tenantd as the auth server of other backends: proxies ask /auth/v1/check about each "
       "request (docs/forward-auth.md); backends verify API keys with /auth/v1/verify."},
  };
  *document = openapi::BuildDocument(router, info);
  return openapi::UndocumentedRoutes(router);
}

}  // namespace tenantd::app
