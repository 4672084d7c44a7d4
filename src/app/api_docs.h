// GET /openapi.json (api.md §18) and a viewer of it at GET /docs: a small
// self-written HTML + JS page served from assets compiled into the binary
// (no CDN, no inline script, so a strict Content-Security-Policy holds).
#pragma once

#include <string>
#include <vector>

#include "http/router.h"

namespace tenantd::app {

// Adds the routes, then generates the document from every route `router`
// holds by then: call it after every other route is registered. Returns
// "METHOD /pattern" of routes registered without a description (logged as
// a warning; the OpenAPI coverage test fails on them).
std::vector<std::string> RegisterApiDocs(http::Router& router, std::string version);

}  // namespace tenantd::app
