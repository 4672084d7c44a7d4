// How tenant requests authenticate, as OpenAPI security schemes (api.md §4):
// shared by the stages that admit tenant requests.
#pragma once

#include <vector>

#include "http/route_doc.h"

namespace tenantd::auth {

// The alternatives that admit a tenant request: session cookie, API key,
// app key + secret (mode A), app key + signature (mode B).
std::vector<std::vector<http::SecuritySchemeDoc>> TenantSecurity();

// The problems of authentication and rate limiting every tenant route can give.
std::vector<http::ProblemDoc> TenantAuthProblems();

}  // namespace tenantd::auth
