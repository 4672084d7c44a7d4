// OpenAPI descriptions of the API-key routes (api.md §4, "API keys").
#pragma once

#include "http/route_doc.h"

namespace tenantd::tenant_api::api_key_docs {

http::RouteDoc Create();
http::RouteDoc List();
http::RouteDoc Show();
http::RouteDoc Rotate();
http::RouteDoc Revoke();

}  // namespace tenantd::tenant_api::api_key_docs
