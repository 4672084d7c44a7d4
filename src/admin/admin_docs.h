// OpenAPI descriptions of the platform administration routes (api.md §3).
#pragma once

#include "http/route_doc.h"

namespace tenantd::admin::admin_docs {

http::RouteDoc CreateTenant();
http::RouteDoc ListTenants();
http::RouteDoc ShowTenant();
http::RouteDoc PatchTenant();
http::RouteDoc DeleteTenant();
http::RouteDoc RotateCredentials();

http::RouteDoc ListUsers();
http::RouteDoc ShowUser();
http::RouteDoc PatchUser();

http::RouteDoc CreateBackup();
http::RouteDoc ListBackups();
http::RouteDoc Restore();
http::RouteDoc Usage();

}  // namespace tenantd::admin::admin_docs
