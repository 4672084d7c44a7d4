// The tus 1.0 routes of api.md §14 on /v1/uploads (UploadHandlers): OPTIONS
// without credentials, the rest behind the tenant access stage
// and files:write.
#pragma once

#include "access/tenant_access.h"
#include "auth/require_scope.h"
#include "http/router.h"
#include "tenant_api/upload_handlers.h"

namespace tenantd::tenant_api {

class UploadRoutes {
 public:
  // Everything `handlers` refers to must outlive the router.
  UploadRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
               UploadHandlers handlers);
  // Adds the routes; this object must outlive `router` (it owns the stages).
  void Register(http::Router& router) const;

 private:
  const access::TenantAccess& access_;
  UploadHandlers handlers_;
  auth::RequireScope files_write_;
};

}  // namespace tenantd::tenant_api
