// The file routes of api.md §6, behind the tenant authentication stage
// (downloads also accept presigned links, see FileLinkAuth).
#pragma once

#include "auth/tenant_auth.h"
#include "http/router.h"
#include "tenant_api/file_handlers.h"

namespace tenantd::tenant_api {

class FileRoutes {
 public:
  // Everything `handlers` and the others refer to must outlive the router.
  FileRoutes(const auth::TenantAuth& auth, auth::AuthFailureCounters& failures,
             FileHandlers handlers);
  // Adds the routes; this object must outlive `router` (it owns the stages).
  void Register(http::Router& router) const;

 private:
  const auth::TenantAuth& auth_;
  FileHandlers handlers_;
  FileLinkAuth link_auth_;
  auth::RequireScope files_read_, files_write_;
};

}  // namespace tenantd::tenant_api
