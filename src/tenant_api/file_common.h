// What the file routes share (file_handlers.cpp, direct_url_handlers.cpp,
// upload_handlers.cpp): problem answers, the file's JSON, media types,
// the tenant's quota. Internal to tenant_api.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "config/plans.h"
#include "files/file_store.h"
#include "http/body_reader.h"
#include "http/message.h"
#include "http/stage.h"

namespace tenantd::auth {
class Directory;
}
namespace tenantd::files {
class BlobStore;
}

namespace tenantd::tenant_api {

// Read size per step of an upload: big enough that syscalls and hashing
// calls stay few per megabyte, small enough that memory per upload is flat.
inline constexpr std::size_t kUploadChunk = 256 * 1024;

// problem+json of `e`; 503s carry Retry-After.
http::Response Problem(const base::Error& e, const http::RequestContext& ctx);

bool IsFileId(std::string_view id);

// A media type without parameters, compared case-insensitively.
bool MediaTypeIs(std::string_view header, std::string_view type);

// A declared type is stored and echoed as the download's Content-Type:
// only a plain `type/subtype` token pair is kept, else
// application/octet-stream.
std::string StoredContentType(std::string_view declared);

// Where the tenant's public files are served: "<TENANTD_PUBLIC_URL>/public/<slug>/".
std::string PublicPrefix(std::string_view public_url, std::string_view tenant_slug);

// The file as answered; `public_prefix` from PublicPrefix, for the
// public_url of a public file. `status`: "available", or "pending" for a
// direct upload not yet completed (api.md §14).
boost::json::object FileJson(const files::FileRecord& f, std::string_view public_prefix,
                             std::string_view status = "available");

http::Response JsonAnswer(int status, const boost::json::value& v);

// The plan quota of the stored files of the request's tenant (ctx.tenant,
// which the access stage set; 0 = none). A plan missing from the
// configuration (removed after tenants were put on it) gets the `free`
// plan's quota rather than none.
uint64_t QuotaOf(const config::Plans& plans, const http::RequestContext& ctx);

// Cache-Control of each way to download: a tenant's file behind
// credentials or a link may be shared by no cache; a public file (and its
// variants) may be kept by any for a day (api.md §14).
inline constexpr std::string_view kPrivateCache = "private";
inline constexpr std::string_view kPublicCache = "public, max-age=86400";

// The bytes of `file` of tenant `tenant_id` as GET or HEAD asked for
// them: validators, 304, ranges and 416, streamed from the blob store
// (file_handlers.cpp). A 404 means the bytes are missing.
boost::asio::awaitable<http::Response> ServeFile(files::BlobStore& blobs, const http::Request& req,
                                                 const http::RequestContext& ctx,
                                                 const std::string& tenant_id,
                                                 const files::FileRecord& file,
                                                 std::string_view cache_control);

// The problem of a body that could not be read to its end.
base::Error BodyProblem(http::BodyError error, uint64_t max_upload_size);

}  // namespace tenantd::tenant_api
