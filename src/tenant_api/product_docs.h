// OpenAPI descriptions of the product routes (api.md §5).
#pragma once

#include "http/route_doc.h"

namespace tenantd::tenant_api::product_docs {

http::RouteDoc Create();
http::RouteDoc List();
http::RouteDoc Show();
http::RouteDoc Update();
http::RouteDoc Remove();

}  // namespace tenantd::tenant_api::product_docs
