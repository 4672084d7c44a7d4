// The OpenAPI 3.1 document of the routes a Router serves (api.md §18),
// generated from their RouteDocs and the Describe() of their stages.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/router.h"

namespace tenantd::openapi {

struct DocumentInfo {
  std::string title = "tenantd";
  std::string version{};
  std::string description{};
  // Descriptions of the tags routes use ({"Products", "…"}); a tag without
  // one fails the lint, so a new area must describe itself here.
  std::vector<std::pair<std::string, std::string>> tags{};
};

// The document as JSON text. Routes registered without a RouteDoc are not
// in "paths" but listed under "x-tenantd-undocumented" ("GET /v1/x"), which
// the coverage test requires to be absent. Aborts on a schema that is not
// JSON or a schema title used for two different schemas: start-up bugs that
// every test run would show.
std::string BuildDocument(const http::Router& router, const DocumentInfo& info);

// "METHOD /pattern" of every route without a RouteDoc.
std::vector<std::string> UndocumentedRoutes(const http::Router& router);

}  // namespace tenantd::openapi
