// The file routes of api.md §6, behind the tenant access stage
// (downloads also accept presigned links, see FileLinkAuth); of §14 the
// direct upload and download URLs (the local store's upload URL behind its
// signature alone) and the public files behind their per-IP limit alone
// (PublicFileLimit).
#pragma once

#include <optional>

#include "access/tenant_access.h"
#include "auth/require_scope.h"
#include "http/router.h"
#include "tenant_api/file_handlers.h"

namespace tenantd::tenant_api {

class FileRoutes {
 public:
  // Everything `handlers` and the others refer to must outlive the router.
  // `public_file_rate`: public file requests an hour per client IP, 0 = no limit.
  FileRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
             FileHandlers handlers, uint64_t public_file_rate);
  // Adds the routes; this object must outlive `router` (it owns the stages).
  void Register(http::Router& router) const;

 private:
  const access::TenantAccess& access_;
  FileHandlers handlers_;
  FileLinkAuth link_auth_;
  // The local store's one-time upload URLs: their signature only.
  std::optional<FileLinkAuth> upload_link_auth_;
  PublicFileLimit public_limit_;
  auth::RequireScope files_read_, files_write_;
};

}  // namespace tenantd::tenant_api
