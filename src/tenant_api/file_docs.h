// OpenAPI descriptions of the file routes (api.md §6, §14 direct URLs and
// public files).
#pragma once

#include "http/route_doc.h"

namespace tenantd::tenant_api::file_docs {

http::RouteDoc Upload();
http::RouteDoc List();
http::RouteDoc Download();
http::RouteDoc Update();
http::RouteDoc PublicDownload();
http::RouteDoc Variant();
http::RouteDoc PublicVariant();
http::RouteDoc Remove();
http::RouteDoc CreateLink();
http::RouteDoc CreateUploadUrl();
http::RouteDoc PutContent();
http::RouteDoc Complete();
http::RouteDoc CreateDownloadUrl();

}  // namespace tenantd::tenant_api::file_docs
