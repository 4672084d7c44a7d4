#include "tenant_api/file_routes.h"

#include "tenant_api/file_docs.h"

namespace tenantd::tenant_api {

FileRoutes::FileRoutes(const access::TenantAccess& access, auth::AuthFailureCounters& failures,
                       FileHandlers handlers, uint64_t public_file_rate)
    : access_(access),
      handlers_(handlers),
      link_auth_(access, handlers.links, handlers.directory),
      public_limit_(handlers.limits, public_file_rate),
      files_read_("files:read", failures),
      files_write_("files:write", failures) {
  if (handlers.upload_links != nullptr) {
    upload_link_auth_.emplace(access, *handlers.upload_links, handlers.directory, "files:write",
                              /*links_only=*/true);
  }
}

void FileRoutes::Register(http::Router& router) const {
  const http::Stage* a = &access_;
  http::RouteOptions upload;
  upload.stream_body = true;
  upload.max_body_bytes = static_cast<std::size_t>(handlers_.max_upload_size);  // 0 = none
  router.Add("POST", "/v1/files", {a, &files_write_}, handlers_.Bind(&FileHandlers::Upload),
             file_docs::Upload(), upload);
  router.Add("GET", "/v1/files", {a, &files_read_}, handlers_.Bind(&FileHandlers::List),
             file_docs::List());
  router.Add("GET", "/v1/files/{id}", {&link_auth_, &files_read_},
             handlers_.Bind(&FileHandlers::Download), file_docs::Download());
  router.Add("PATCH", "/v1/files/{id}", {a, &files_write_}, handlers_.Bind(&FileHandlers::Update),
             file_docs::Update());
  router.Add("DELETE", "/v1/files/{id}", {a, &files_write_}, handlers_.Bind(&FileHandlers::Remove),
             file_docs::Remove());
  router.Add("POST", "/v1/files/{id}/links", {a, &files_read_},
             handlers_.Bind(&FileHandlers::CreateLink), file_docs::CreateLink());
  // Direct upload and download URLs (api.md §14).
  router.Add("POST", "/v1/files/upload-url", {a, &files_write_},
             handlers_.Bind(&FileHandlers::CreateUploadUrl), file_docs::CreateUploadUrl());
  if (upload_link_auth_) {
    router.Add("PUT", "/v1/files/{id}/content", {&*upload_link_auth_, &files_write_},
               handlers_.Bind(&FileHandlers::PutContent), file_docs::PutContent(), upload);
  }
  router.Add("POST", "/v1/files/{id}/complete", {a, &files_write_},
             handlers_.Bind(&FileHandlers::Complete), file_docs::Complete());
  router.Add("GET", "/v1/files/{id}/download-url", {a, &files_read_},
             handlers_.Bind(&FileHandlers::CreateDownloadUrl), file_docs::CreateDownloadUrl());
  // HEAD too (the router serves HEAD from GET).
  router.Add("GET", "/public/{tenant_slug}/{file_id}/{filename}", {&public_limit_},
             handlers_.Bind(&FileHandlers::PublicDownload), file_docs::PublicDownload());
  router.Add("GET", "/v1/files/{id}/variants/{variant}", {a, &files_read_},
             handlers_.Bind(&FileHandlers::Variant), file_docs::Variant());
  router.Add("GET", "/public/{tenant_slug}/{file_id}/variants/{variant}", {&public_limit_},
             handlers_.Bind(&FileHandlers::PublicVariant), file_docs::PublicVariant());
}

}  // namespace tenantd::tenant_api
