// OpenAPI descriptions of /v1/whoami and the session routes (api.md §4).
#pragma once

#include "http/route_doc.h"

namespace tenantd::tenant_api::session_docs {

http::RouteDoc WhoAmI();
http::RouteDoc Current();
http::RouteDoc Start();
http::RouteDoc End();
http::RouteDoc List();
http::RouteDoc RevokeAll();
http::RouteDoc Revoke();

}  // namespace tenantd::tenant_api::session_docs
