// OpenAPI descriptions of /auth/v1/check and /auth/v1/verify (api.md §19).
#pragma once

#include <string_view>

#include "http/route_doc.h"

namespace tenantd::forward_auth::docs {

// One operation per method and pattern: `method` names the operation
// ("GET" → checkGet), `with_path` the /auth/v1/check/{original} form.
http::RouteDoc Check(std::string_view method, bool with_path);
http::RouteDoc Verify();

}  // namespace tenantd::forward_auth::docs
