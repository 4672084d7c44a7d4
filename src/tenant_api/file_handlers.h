// /v1/files (api.md §6, docs/api.md "Files"): streaming uploads into the
// blob store with the metadata row written last, downloads with ranges and
// conditional requests sent with sendfile, presigned links; and public
// files (api.md §14): published with PATCH, served without credentials
// under /public/, limited per client IP.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "config/plans.h"
#include "http/stage.h"

namespace boost::asio {
class thread_pool;
}
namespace tenantd::tenant_db {
class TenantData;
}
namespace tenantd::files {
class BlobStore;
class FileLinks;
struct FileRecord;
struct VariantRecord;
}  // namespace tenantd::files
namespace tenantd::images {
struct Size;
struct VariantSpec;
}  // namespace tenantd::images
namespace tenantd::ratelimit {
class TenantLimits;
}
namespace tenantd::auth {
class Directory;
class AuthFailureCounters;
}  // namespace tenantd::auth
namespace tenantd::access {
class TenantAccess;
}

namespace tenantd::tenant_api {

class UploadSweep;

// The image variants this process is making ("<tenant>/<file>/<variant>"):
// a second request for one waits for the first rather than make it again
// (both would write the same blob). Thread-safe.
class VariantFlights {
 public:
  // false: another request is making it.
  bool Start(const std::string& key);
  void Finish(const std::string& key);

 private:
  std::mutex mu_;
  std::unordered_set<std::string> making_;  // guarded by mu_
};

struct FileHandlers {
  tenant_db::TenantData& data;  // the tenant's file rows
  files::BlobStore& blobs;
  const files::FileLinks& links;
  auth::Directory& directory;
  const config::Plans& plans;
  // Runs what blocks (fsync of a finished upload) off the event loop.
  boost::asio::thread_pool& blocking;
  uint64_t max_upload_size = 0;  // MAX_UPLOAD_SIZE, for messages (the server enforces it)
  ratelimit::TenantLimits* limits = nullptr;  // public files' per-IP limit; null = none
  // TENANTD_PUBLIC_URL: presigned links and public files' URLs absolute
  // under it; "" = relative.
  std::string public_url;
  const base::Clock* clock = &base::ServerClock();  // link expiry, timestamps
  // Direct uploads (api.md §14): the local store's one-time PUT URLs are
  // signed with these (a key apart from `links`); null = no direct uploads.
  const files::FileLinks* upload_links = nullptr;
  // Told about every tenant with a pending file, so expired ones are swept.
  UploadSweep* sweep = nullptr;
  // Image variants (api.md §14): the sizes that may be made (null = none),
  // and those being made. Made on `blocking`, like the fsyncs.
  const std::vector<images::Size>* image_sizes = nullptr;
  VariantFlights* variant_flights = nullptr;

  using Fn = boost::asio::awaitable<http::Response> (FileHandlers::*)(http::Request&,
                                                                      http::RequestContext&) const;
  http::Handler Bind(Fn fn) const {
    return [self = *this, fn](http::Request& req, http::RequestContext& ctx) {
      return (self.*fn)(req, ctx);
    };
  }

  // POST /v1/files: application/octet-stream + X-Filename, or multipart/form-data.
  boost::asio::awaitable<http::Response> Upload(http::Request& req,
                                                http::RequestContext& ctx) const;
  // GET /v1/files?limit&after
  boost::asio::awaitable<http::Response> List(http::Request& req, http::RequestContext& ctx) const;
  // GET and HEAD /v1/files/{id}: Range, If-Range, If-None-Match.
  boost::asio::awaitable<http::Response> Download(http::Request& req,
                                                  http::RequestContext& ctx) const;
  // PATCH /v1/files/{id} {"public": bool}: publishes or withdraws the file.
  boost::asio::awaitable<http::Response> Update(http::Request& req,
                                                http::RequestContext& ctx) const;
  // GET and HEAD /public/{tenant_slug}/{file_id}/{filename}, no credentials:
  // a public file of an active tenant under its exact name, else 404.
  boost::asio::awaitable<http::Response> PublicDownload(http::Request& req,
                                                        http::RequestContext& ctx) const;
  // GET and HEAD /v1/files/{id}/variants/{variant} (variant_handlers.cpp):
  // the image scaled to fit "<W>x<H>.<png|webp|jpeg>", made on first request.
  boost::asio::awaitable<http::Response> Variant(http::Request& req,
                                                 http::RequestContext& ctx) const;
  // GET and HEAD /public/{tenant_slug}/{file_id}/variants/{variant}: a
  // public file's variant, no credentials.
  boost::asio::awaitable<http::Response> PublicVariant(http::Request& req,
                                                       http::RequestContext& ctx) const;
  // DELETE /v1/files/{id}
  boost::asio::awaitable<http::Response> Remove(http::Request& req,
                                                http::RequestContext& ctx) const;
  // POST /v1/files/{id}/links {"expires_in": seconds}
  boost::asio::awaitable<http::Response> CreateLink(http::Request& req,
                                                    http::RequestContext& ctx) const;

  // The file {id} of the request's tenant; 404 not_found when there is none.
  boost::asio::awaitable<base::Result<files::FileRecord>> FindOwnFile(
      http::Request& req, http::RequestContext& ctx) const;
  // The public file a /public/ request names, into `file` (ctx then carries
  // its tenant); else the answer, 404 for every way of not being there.
  boost::asio::awaitable<std::optional<http::Response>> FindPublicFile(
      http::Request& req, http::RequestContext& ctx, files::FileRecord& file) const;
  // The variant the request names of `file` (of tenant `tenant_id`), made
  // if it is not yet; `cache_control` as for the file itself.
  boost::asio::awaitable<http::Response> ServeVariant(http::Request& req, http::RequestContext& ctx,
                                                      const std::string& tenant_id,
                                                      const files::FileRecord& file,
                                                      std::string_view cache_control) const;
  // Makes variant `name` of `file` and records it within `quota` (or finds
  // it made by a request that got there first).
  boost::asio::awaitable<base::Result<files::VariantRecord>> MakeVariant(
      const std::string& tenant_id, uint64_t quota, const files::FileRecord& file,
      const images::VariantSpec& spec, const std::string& name) const;

  // Direct upload and download URLs (api.md §14; direct_url_handlers.cpp).
  // POST /v1/files/upload-url {"filename","content_type","size","sha256"?}
  boost::asio::awaitable<http::Response> CreateUploadUrl(http::Request& req,
                                                         http::RequestContext& ctx) const;
  // PUT /v1/files/{id}/content?expires&signature: the local store's
  // one-time upload URL.
  boost::asio::awaitable<http::Response> PutContent(http::Request& req,
                                                    http::RequestContext& ctx) const;
  // POST /v1/files/{id}/complete
  boost::asio::awaitable<http::Response> Complete(http::Request& req,
                                                  http::RequestContext& ctx) const;
  // GET /v1/files/{id}/download-url?expires_in
  boost::asio::awaitable<http::Response> CreateDownloadUrl(http::Request& req,
                                                           http::RequestContext& ctx) const;
};

// The authentication of GET/HEAD /v1/files/{id}: a request carrying a
// `signature` query parameter is a presigned link, checked here and
// granted files:read on that one file (a bad or expired link is 403 and
// never falls back to other credentials); any other request goes through
// the tenant authentication stage as usual. Link downloads count against
// the tenant's plan limit like its other requests (api.md §7), the link
// standing in for the credential.
//
// The local store's one-time upload URLs (PUT /v1/files/{id}/content, api.md
// §14) use the same stage with `links_only`: a signature is then the only
// way in, and it grants `scope` (files:write) on that one file.
class FileLinkAuth : public http::Stage {
 public:
  // Everything passed must outlive the stage.
  FileLinkAuth(const access::TenantAccess& access, const files::FileLinks& links,
               auth::Directory& directory, std::string scope = "files:read",
               bool links_only = false, const base::Clock& clock = base::ServerClock())
      : access_(access),
        links_(links),
        directory_(directory),
        scope_(std::move(scope)),
        links_only_(links_only),
        clock_(clock) {}
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void OnResponse(const http::RequestContext& ctx, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;  // file_docs.cpp

 private:
  const access::TenantAccess& access_;
  const files::FileLinks& links_;
  auth::Directory& directory_;
  std::string scope_;
  bool links_only_;
  const base::Clock& clock_;  // link expiry
};

// The rate limit of public files: `per_hour` requests an hour per client
// IP (http::Request::remote_ip, so behind trusted proxies the client they
// name), checked before anything is looked up; 429 rate_limited with
// Retry-After past it. Admitted answers carry no RateLimit headers: they
// may be kept by shared caches and served to other clients.
class PublicFileLimit : public http::Stage {
 public:
  // `limits` null or `per_hour` 0: no limit.
  PublicFileLimit(ratelimit::TenantLimits* limits, uint64_t per_hour,
                  const base::Clock& clock = base::ServerClock())
      : limits_(limits), per_hour_(per_hour), clock_(clock) {}
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void Describe(http::RouteDoc& doc) const override;  // file_docs.cpp

 private:
  ratelimit::TenantLimits* limits_;
  uint64_t per_hour_;
  const base::Clock& clock_;
};

}  // namespace tenantd::tenant_api
