#include "tenant_api/upload_routes.h"

#include "tenant_api/upload_docs.h"

namespace tenantd::tenant_api {

UploadRoutes::UploadRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
                           UploadHandlers handlers)
    : access_(access), handlers_(std::move(handlers)), files_write_("files:write", failures) {}

void UploadRoutes::Register(http::Router& router) const {
  const std::vector<const http::Stage*> write = {&access_, &files_write_};
  // Bodies are streamed, bounded by MAX_UPLOAD_SIZE (0 = none) and, per
  // upload, by its Upload-Length.
  http::RouteOptions append;
  append.stream_body = true;
  append.max_body_bytes = static_cast<std::size_t>(handlers_.max_upload_size);
  router.Add("OPTIONS", "/v1/uploads", {}, handlers_.Bind(&UploadHandlers::Options),
             upload_docs::Options());
  router.Add("POST", "/v1/uploads", write, handlers_.Bind(&UploadHandlers::Create),
             upload_docs::Create(), append);
  router.Add("HEAD", "/v1/uploads/{id}", write, handlers_.Bind(&UploadHandlers::Head),
             upload_docs::Head());
  router.Add("PATCH", "/v1/uploads/{id}", write, handlers_.Bind(&UploadHandlers::Patch),
             upload_docs::Patch(), append);
  router.Add("DELETE", "/v1/uploads/{id}", write, handlers_.Bind(&UploadHandlers::Terminate),
             upload_docs::Terminate());
}

}  // namespace tenantd::tenant_api
