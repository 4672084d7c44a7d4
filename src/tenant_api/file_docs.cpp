#include "tenant_api/file_docs.h"

#include "auth/auth_doc.h"
#include "tenant_api/file_handlers.h"

namespace tenantd::tenant_api {
namespace file_docs {
namespace {

constexpr const char* kFile = R"({
  "title": "File", "type": "object",
  "required": ["id", "filename", "size", "content_type", "sha256", "created_at", "public",
               "status"],
  "properties": {
    "id": {"type": "string", "pattern": "^fil_"},
    "filename": {"type": "string", "description": "Display name only, never a path"},
    "size": {"type": "integer", "minimum": 0},
    "content_type": {"type": "string"},
    "sha256": {"type": "string", "pattern": "^([0-9a-f]{64})?$",
               "description": "Empty only for a pending file whose hash was not announced"},
    "created_at": {"type": "string", "format": "date-time"},
    "public": {"type": "boolean", "description": "Served without credentials at public_url"},
    "status": {"type": "string", "enum": ["available", "pending"],
               "description": "pending: a direct upload that POST /v1/files/{id}/complete has not completed yet"},
    "public_url": {"type": "string",
                   "description": "Only when public: /public/{tenant_slug}/{id}/{filename}, absolute under TENANTD_PUBLIC_URL when set"}
  }})";

constexpr const char* kBinary = R"({"type":"string","format":"binary"})";

http::ParamDoc IdParam() { return {"id", "path", "The file id (fil_…)"}; }

std::vector<http::ParamDoc> ListParams() {
  std::vector<http::ParamDoc> params = http::PageParams();
  params.push_back({"status", "query",
                    "`pending`: the direct uploads not completed yet instead of the files",
                    R"({"type":"string","enum":["available","pending"],"default":"available"})"});
  return params;
}

}  // namespace

http::RouteDoc Upload() {
  return {
      .operation_id = "uploadFile",
      .summary = "Upload a file (streamed; any size)",
      .description =
          "Raw bytes with `Content-Type: application/octet-stream` and `X-Filename`, "
          "or `multipart/form-data` with a part named `file`. Nothing is stored unless "
          "the whole body arrives and passes the size, quota and hash checks.",
      .tag = "Files",
      .params = {{"X-Filename", "header", "Display name of a raw upload (default `file`)"},
                 {"X-Content-Sha256", "header", "Hex SHA-256 of the bytes, checked at the end",
                  R"({"type":"string","pattern":"^[0-9a-fA-F]{64}$"})"}},
      .request =
          {{"application/octet-stream", kBinary},
           {"multipart/form-data",
            R"({"type":"object","required":["file"],"properties":{"file":{"type":"string","format":"binary"}}})"}},
      .responses = {{201, "The stored file, with Location", http::Envelope("file", kFile)}},
      .problems = {{400, "bad_request"},
                   {400, "content_hash_mismatch"},
                   {408, "request_timeout"},
                   {413, "payload_too_large"},
                   {413, "quota_exceeded"},
                   {415, "unsupported_media_type"},
                   {422, "validation_failed"},
                   {503, "tenant_restoring"}}};
}

http::RouteDoc List() {
  return {.operation_id = "listFiles",
          .summary = "List files in creation order",
          .tag = "Files",
          .params = ListParams(),
          .responses = {{200, "A page of files", http::PageOf(kFile)}},
          .problems = {{400, "bad_request"}, {503, "tenant_restoring"}}};
}

http::RouteDoc Download() {
  return {.operation_id = "downloadFile",
          .summary = "Download a file (ranges, conditional requests; HEAD too)",
          .description =
              "With credentials, or without any through a presigned link "
              "(`?expires=…&signature=…` from POST /v1/files/{id}/links).",
          .tag = "Files",
          .params = {IdParam(),
                     {"Range", "header", "bytes=a-b, bytes=a- or bytes=-n"},
                     {"If-Range", "header", "The ETag or Last-Modified the range is valid for"},
                     {"If-None-Match", "header", "An ETag: 304 when it is current"},
                     {"expires", "query", "Presigned link: expiry (Unix seconds)"},
                     {"signature", "query", "Presigned link: its signature"}},
          .responses = {{200, "The bytes", kBinary, "application/octet-stream"},
                        {206, "The requested range (Content-Range)", kBinary,
                         "application/octet-stream"},
                        {304, "Not modified", ""}},
          .problems = {{404, "not_found"},
                       {403, "invalid_link"},
                       {403, "link_expired"},
                       {416, "range_not_satisfiable"},
                       {503, "tenant_restoring"}}};
}

http::RouteDoc Update() {
  return {
      .operation_id = "updateFile",
      .summary = "Publish or withdraw a file",
      .description =
          "`{\"public\": true}` serves the file without credentials at its "
          "`public_url`; `{\"public\": false}` withdraws it, from the next request on.",
      .tag = "Files",
      .params = {IdParam()},
      .request =
          {{"application/json",
            R"({"title":"FileUpdate","type":"object","additionalProperties":false,"required":["public"],"properties":{"public":{"type":"boolean"}}})"}},
      .responses = {{200, "The file as it now is", http::Envelope("file", kFile)}},
      .problems = {{400, "invalid_json"},
                   {404, "not_found"},
                   {415, "unsupported_media_type"},
                   {422, "validation_failed"},
                   {503, "tenant_restoring"}}};
}

http::RouteDoc PublicDownload() {
  return {
      .operation_id = "downloadPublicFile",
      .summary =
          "Download a public file (no credentials; ranges, conditional requests; "
          "HEAD too)",
      .description =
          "Served while the file is public and its tenant active, with "
          "`Cache-Control: public, max-age=86400`; anything else (unknown tenant or file, "
          "a private file, another name) is the same 404. Rate limited per client IP.",
      .tag = "Files",
      .params = {{"tenant_slug", "path", "The tenant's slug"},
                 {"file_id", "path", "The file id (fil_…)"},
                 {"filename", "path", "The file's name, URL-encoded"},
                 {"Range", "header", "bytes=a-b, bytes=a- or bytes=-n"},
                 {"If-Range", "header", "The ETag or Last-Modified the range is valid for"},
                 {"If-None-Match", "header", "An ETag: 304 when it is current"}},
      .responses = {{200, "The bytes", kBinary, "application/octet-stream"},
                    {206, "The requested range (Content-Range)", kBinary,
                     "application/octet-stream"},
                    {304, "Not modified", ""}},
      .problems = {{404, "not_found"}, {416, "range_not_satisfiable"}, {503, "tenant_restoring"}}};
}

namespace {

// What a variant route answers besides its problems.
std::vector<http::ResponseDoc> VariantResponses() {
  std::vector<http::ResponseDoc> out;
  for (const char* type : {"image/webp", "image/png", "image/jpeg"}) {
    out.push_back({200, "The scaled image", kBinary, type});
    out.push_back({206, "The requested range (Content-Range)", kBinary, type});
  }
  out.push_back({304, "Not modified", ""});
  return out;
}

const char* const kVariantDescription =
    "The image scaled to fit inside W×H (aspect kept, never enlarged, metadata stripped), made "
    "on the first request and kept (its bytes count against the quota), then served like the "
    "file (ETag, 304, ranges). Only the sizes of TENANTD_IMAGE_VARIANTS exist (others 404); "
    "images are recognised by their bytes (JPEG, PNG, WebP, GIF, TIFF; anything else 415); "
    "images over 50 megapixels or otherwise hostile are 422 image_rejected.";

std::vector<http::ProblemDoc> VariantProblems() {
  return {{404, "not_found"},
          {413, "quota_exceeded"},
          {415, "unsupported_media_type"},
          {416, "range_not_satisfiable"},
          {422, "image_rejected"},
          {503, "variant_busy"},
          {503, "tenant_restoring"}};
}

http::ParamDoc VariantParam() {
  return {"variant", "path", "<W>x<H>.<png|webp|jpeg>, e.g. 256x256.webp",
          R"({"type":"string","pattern":"^[1-9][0-9]{0,3}x[1-9][0-9]{0,3}\\.(png|webp|jpeg)$"})",
          true};
}

}  // namespace

http::RouteDoc Variant() {
  return {.operation_id = "getFileVariant",
          .summary = "An image file scaled to a configured size (HEAD too)",
          .description = kVariantDescription,
          .tag = "Files",
          .params = {IdParam(),
                     VariantParam(),
                     {"Range", "header", "bytes=a-b, bytes=a- or bytes=-n"},
                     {"If-None-Match", "header", "An ETag: 304 when it is current"}},
          .responses = VariantResponses(),
          .problems = VariantProblems()};
}

http::RouteDoc PublicVariant() {
  return {.operation_id = "getPublicFileVariant",
          .summary = "A public image file scaled to a configured size (no credentials; HEAD too)",
          .description = std::string(kVariantDescription) +
                         " Served while the file is public and its tenant active, with "
                         "`Cache-Control: public, max-age=86400`.",
          .tag = "Files",
          .params = {{"tenant_slug", "path", "The tenant's slug"},
                     {"file_id", "path", "The file id (fil_…)"},
                     VariantParam(),
                     {"Range", "header", "bytes=a-b, bytes=a- or bytes=-n"},
                     {"If-None-Match", "header", "An ETag: 304 when it is current"}},
          .responses = VariantResponses(),
          .problems = VariantProblems()};
}

http::RouteDoc Remove() {
  return {.operation_id = "deleteFile",
          .summary = "Delete a file, its bytes and its image variants",
          .tag = "Files",
          .params = {IdParam()},
          .responses = {{204, "Deleted", ""}},
          .problems = {{404, "not_found"}, {503, "tenant_restoring"}}};
}

http::RouteDoc CreateLink() {
  return {
      .operation_id = "createFileLink",
      .summary = "A presigned download link for one file",
      .tag = "Files",
      .params = {IdParam()},
      .request =
          {{"application/json",
            R"({"title":"FileLinkInput","type":"object","additionalProperties":false,"properties":{"expires_in":{"type":"integer","minimum":1,"maximum":604800,"default":3600}}})"}},
      .request_required = false,
      .responses =
          {{201, "The link",
            R"({"title":"FileLink","type":"object","required":["url","expires_at"],"properties":{"url":{"type":"string"},"expires_at":{"type":"string","format":"date-time"}}})"}},
      .problems = {{404, "not_found"}, {503, "tenant_restoring"}}};
}

http::RouteDoc CreateUploadUrl() {
  return {
      .operation_id = "createFileUploadUrl",
      .summary = "A URL to upload a file's bytes to directly",
      .description =
          "Makes a pending file and a URL that accepts one PUT of its bytes without "
          "credentials for 15 minutes: on S3 a presigned PUT to the object, on the local "
          "store a tenantd URL. Send the `upload.headers` with the PUT, then "
          "`POST /v1/files/{id}/complete`. The size counts against the quota until the "
          "file is completed or its URL expires (then it is removed).",
      .tag = "Files",
      .request =
          {{"application/json",
            R"({"title":"FileUploadUrlInput","type":"object","additionalProperties":false,"required":["filename","size"],"properties":{"filename":{"type":"string"},"content_type":{"type":"string","default":"application/octet-stream"},"size":{"type":"integer","minimum":0},"sha256":{"type":"string","pattern":"^[0-9a-fA-F]{64}$"}}})"}},
      .responses =
          {{201, "The pending file and where to PUT its bytes",
            std::string(R"({"type":"object","required":["file","upload"],"properties":{"file":)") +
                kFile +
                R"(,"upload":{"title":"FileUploadUrl","type":"object","required":["url","method","headers","expires_at"],"properties":{"url":{"type":"string"},"method":{"type":"string","enum":["PUT"]},"headers":{"type":"object","additionalProperties":{"type":"string"}},"expires_at":{"type":"string","format":"date-time"}}}}})"}},
      .problems = {{400, "invalid_json"},
                   {413, "payload_too_large"},
                   {413, "quota_exceeded"},
                   {415, "unsupported_media_type"},
                   {422, "validation_failed"},
                   {503, "tenant_restoring"}}};
}

http::RouteDoc PutContent() {
  return {.operation_id = "putFileContent",
          .summary = "The local store's upload URL: the bytes of a pending file",
          .description =
              "Reached through the `upload.url` of POST /v1/files/upload-url (its `expires` and "
              "`signature` are the credential). Exactly the announced size; checked against "
              "the announced sha256. One PUT per URL.",
          .tag = "Files",
          .params = {IdParam(),
                     {"expires", "query", "Expiry (Unix seconds)", R"({"type":"string"})", true},
                     {"signature", "query", "The URL's signature", R"({"type":"string"})", true}},
          .request = {{"application/octet-stream", kBinary}},
          .responses = {{204, "Stored; ETag is the sha256", ""}},
          .problems = {{400, "size_mismatch"},
                       {400, "content_hash_mismatch"},
                       {404, "not_found"},
                       {408, "request_timeout"},
                       {409, "upload_url_used"},
                       {503, "tenant_restoring"}}};
}

http::RouteDoc Complete() {
  return {.operation_id = "completeFileUpload",
          .summary = "Check a direct upload's bytes and make the file available",
          .description =
              "Checks that the bytes arrived with the announced size (and sha256, when one was "
              "given). Completing a completed file answers it again.",
          .tag = "Files",
          .params = {IdParam()},
          .responses = {{200, "The file, now available", http::Envelope("file", kFile)}},
          .problems = {{404, "not_found"},
                       {409, "upload_missing"},
                       {409, "size_mismatch"},
                       {409, "content_hash_mismatch"},
                       {413, "quota_exceeded"},
                       {503, "tenant_restoring"}}};
}

http::RouteDoc CreateDownloadUrl() {
  return {
      .operation_id = "createFileDownloadUrl",
      .summary = "A URL that downloads one file without credentials",
      .description =
          "On S3 a presigned GET of the object (its Content-Disposition and Content-Type "
          "set by the URL); on the local store the presigned link of POST "
          "/v1/files/{id}/links.",
      .tag = "Files",
      .params = {IdParam(),
                 {"expires_in", "query", "Seconds the URL lives (default 3600)",
                  R"({"type":"integer","minimum":1,"maximum":604800,"default":3600})"}},
      .responses =
          {{200, "The URL",
            R"({"title":"FileDownloadUrl","type":"object","required":["url","expires_at"],"properties":{"url":{"type":"string"},"expires_at":{"type":"string","format":"date-time"}}})"}},
      .problems = {{400, "bad_request"}, {404, "not_found"}, {503, "tenant_restoring"}}};
}

}  // namespace file_docs

void PublicFileLimit::Describe(http::RouteDoc& doc) const {
  doc.problems.push_back({429, "rate_limited"});
  doc.problems.push_back({503, "rate_limiter_unavailable"});
}

// A presigned link is an alternative to every tenant credential.
void FileLinkAuth::Describe(http::RouteDoc& doc) const {
  if (links_only_) {
    doc.security.push_back({});  // the URL's signature only
    doc.problems.push_back({403, "invalid_link"});
    doc.problems.push_back({403, "link_expired"});
    doc.problems.push_back({403, "tenant_suspended"});
    doc.problems.push_back({429, "rate_limited"});
    return;
  }
  doc.security = auth::TenantSecurity();
  doc.security.push_back({});  // no credentials: the link's signature
  for (http::ProblemDoc& p : auth::TenantAuthProblems()) doc.problems.push_back(std::move(p));
}

}  // namespace tenantd::tenant_api
