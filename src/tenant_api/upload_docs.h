// OpenAPI descriptions of the tus 1.0 routes (api.md §14 "Resumable uploads").
#pragma once

#include "http/route_doc.h"

namespace tenantd::tenant_api::upload_docs {

http::RouteDoc Options();
http::RouteDoc Create();
http::RouteDoc Head();
http::RouteDoc Patch();
http::RouteDoc Terminate();

}  // namespace tenantd::tenant_api::upload_docs
