// OpenAPI descriptions of the public endpoints (api.md §2) and of the API
// description itself (api.md §18).
#pragma once

#include "http/route_doc.h"

namespace tenantd::app::public_docs {

http::RouteDoc Welcome();
http::RouteDoc Health();
http::RouteDoc Ready();
http::RouteDoc Metrics();
http::RouteDoc OpenApi();
http::RouteDoc Viewer();
http::RouteDoc ViewerAsset();

}  // namespace tenantd::app::public_docs
