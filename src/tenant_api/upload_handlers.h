// Resumable uploads: tus 1.0.0 on /v1/uploads (api.md §14, docs/api.md
// "Resumable uploads") with the extensions creation, creation-with-upload,
// termination, checksum (sha1, sha256) and expiration.
//
// An upload is a row (files/pending_store.h: its declared length reserved
// against the quota, `received` acknowledged bytes, an expiry 24 hours
// after creation) and a staging file (files/upload_staging.h). A PATCH
// appends at the acknowledged offset, fsyncs, then moves the offset, so
// the offset only ever names durable bytes: when the client goes away
// mid-body the bytes that arrived are kept (unless an Upload-Checksum
// covers the body, which then cannot be verified); after a crash the
// bytes past the offset are cut off by the next PATCH. The PATCH that
// brings the last byte streams the staging file into the blob store
// (hashing it on the way) and turns the upload into a file of §6 in one
// transaction (answering X-File-Id); if that fails the offset stays where
// it was, and the client's retry sends the last chunk again.
#pragma once

#include <cstdint>
#include <string>

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
class UploadStaging;
struct UploadRecord;
}  // namespace tenantd::files
namespace tenantd::auth {
class Directory;
}

namespace tenantd::tenant_api {

class UploadLocks;
class UploadSweep;

struct UploadHandlers {
  tenant_db::TenantData& data;
  files::BlobStore& blobs;
  const files::UploadStaging& staging;
  UploadLocks& locks;
  UploadSweep& sweep;  // told about every tenant with an upload
  const config::Plans& plans;
  // Reads of staging files when an upload finishes (null: inline).
  boost::asio::thread_pool* blocking = nullptr;
  uint64_t max_upload_size = 0;  // MAX_UPLOAD_SIZE: Tus-Max-Size (0 = none announced)
  std::string public_url;        // TENANTD_PUBLIC_URL: Location absolute under it
  const base::Clock* clock = &base::ServerClock();

  using Fn = boost::asio::awaitable<http::Response> (UploadHandlers::*)(
      http::Request&, http::RequestContext&) const;
  http::Handler Bind(Fn fn) const {
    return [self = *this, fn](http::Request& req, http::RequestContext& ctx) {
      return (self.*fn)(req, ctx);
    };
  }

  // OPTIONS /v1/uploads (no credentials): what this server speaks.
  boost::asio::awaitable<http::Response> Options(http::Request& req,
                                                 http::RequestContext& ctx) const;
  // POST /v1/uploads: Upload-Length, Upload-Metadata; with
  // Content-Type: application/offset+octet-stream also the first bytes.
  boost::asio::awaitable<http::Response> Create(http::Request& req,
                                                http::RequestContext& ctx) const;
  // HEAD /v1/uploads/{id}: Upload-Offset, Upload-Length.
  boost::asio::awaitable<http::Response> Head(http::Request& req, http::RequestContext& ctx) const;
  // PATCH /v1/uploads/{id}: appends at Upload-Offset.
  boost::asio::awaitable<http::Response> Patch(http::Request& req, http::RequestContext& ctx) const;
  // DELETE /v1/uploads/{id}: termination.
  boost::asio::awaitable<http::Response> Terminate(http::Request& req,
                                                   http::RequestContext& ctx) const;

 private:
  struct Appended;
  // Appends the request body to `upload` at its offset (the caller holds
  // the upload's lock) and finishes the upload when it is complete.
  // `quota`: the tenant's plan quota (QuotaOf).
  boost::asio::awaitable<base::Result<Appended>> Append(http::Request& req,
                                                        const std::string& tenant_id,
                                                        uint64_t quota,
                                                        const files::UploadRecord& upload) const;
  // The complete staging file becomes a file, within `quota`; answers its id.
  boost::asio::awaitable<base::Result<std::string>> Finish(const std::string& tenant_id,
                                                           uint64_t quota,
                                                           const files::UploadRecord& upload) const;
};

}  // namespace tenantd::tenant_api
