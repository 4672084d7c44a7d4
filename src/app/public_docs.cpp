#include "app/public_docs.h"

namespace tenantd::app::public_docs {
namespace {

constexpr const char* kTag = "Public";
constexpr const char* kHtml = R"({"type":"string"})";

}  // namespace

http::RouteDoc Welcome() {
  return {
      .operation_id = "welcome",
      .summary = "Welcome page (HTML), or name and version as JSON",
      .description = "JSON with `Accept: application/json`.",
      .tag = kTag,
      .responses = {
          {200, "The welcome page", kHtml, "text/html"},
          {200, "Name and version",
           R"({"type":"object","required":["name","version"],"properties":{"name":{"const":"tenantd"},"version":{"type":"string"}}})"}}};
}

http::RouteDoc Health() {
  return {
      .operation_id = "health",
      .summary = "Liveness: 200 while the process serves",
      .tag = kTag,
      .responses = {{200, "Alive",
                     R"({"type":"object","required":["ok"],"properties":{"ok":{"const":true}}})"}}};
}

http::RouteDoc Ready() {
  constexpr const char* kReadiness = R"({
    "title": "Readiness", "type": "object", "required": ["ok", "checks"],
    "properties": {
      "ok": {"type": "boolean"},
      "checks": {"type": "object", "required": ["control_store"],
                 "properties": {"control_store": {"type": "string"}, "redis": {"type": "string"}},
                 "additionalProperties": {"type": "string", "description": "ok, or why not"}}
    }})";
  return {
      .operation_id = "ready",
      .summary = "Readiness: the control store (and Redis, when configured) answer",
      .tag = kTag,
      .responses = {{200, "Ready", kReadiness}, {503, "A dependency does not answer", kReadiness}}};
}

http::RouteDoc Metrics() {
  return {.operation_id = "metrics",
          .summary = "Prometheus metrics (text format 0.0.4)",
          .description = "The families are listed in docs/api.md, Public endpoints.",
          .tag = kTag,
          .responses = {{200, "The metrics", R"({"type":"string"})", "text/plain"}}};
}

http::RouteDoc OpenApi() {
  return {
      .operation_id = "openApiDocument",
      .summary = "This OpenAPI 3.1 document",
      .description = "Generated at start-up from the table that registers the routes.",
      .tag = kTag,
      .responses = {
          {200, "The document",
           R"({"type":"object","required":["openapi","info","paths"],"properties":{"openapi":{"type":"string"},"info":{"type":"object"},"paths":{"type":"object"}}})"}}};
}

http::RouteDoc Viewer() {
  return {.operation_id = "apiDocsViewer",
          .summary = "A readable view of this document (HTML, local assets only)",
          .tag = kTag,
          .responses = {{200, "The viewer page", kHtml, "text/html"}}};
}

http::RouteDoc ViewerAsset() {
  return {.operation_id = "apiDocsViewerAsset",
          .summary = "A script or style sheet of the viewer",
          .tag = kTag,
          .params = {{"asset", "path", "viewer.js or viewer.css",
                      R"({"type":"string","enum":["viewer.js","viewer.css"]})"}},
          .responses = {{200, "The asset", kHtml, "text/javascript"},
                        {200, "The asset", kHtml, "text/css"}},
          .problems = {{404, "not_found"}}};
}

}  // namespace tenantd::app::public_docs
