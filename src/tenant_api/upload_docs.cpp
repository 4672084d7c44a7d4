#include "tenant_api/upload_docs.h"

namespace tenantd::tenant_api::upload_docs {
namespace {

constexpr const char* kTag = "Resumable uploads";
constexpr const char* kBinary = R"({"type":"string","format":"binary"})";
constexpr const char* kDecimal = R"({"type":"string","pattern":"^(0|[1-9][0-9]*)$"})";

http::ParamDoc Version() {
  return {"Tus-Resumable", "header", "The protocol version: 1.0.0 (else 412)",
          R"({"type":"string","const":"1.0.0"})", true};
}

http::ParamDoc IdParam() { return {"id", "path", "The upload id (upl_…)"}; }

// The problems every route but OPTIONS may answer.
std::vector<http::ProblemDoc> Common(std::vector<http::ProblemDoc> more) {
  more.push_back({412, "tus_version_unsupported"});
  more.push_back({503, "tenant_restoring"});
  return more;
}

}  // namespace

http::RouteDoc Options() {
  return {.operation_id = "describeUploads",
          .summary = "What this tus server supports (no credentials)",
          .description =
              "Answers `Tus-Version: 1.0.0`, `Tus-Extension: creation,creation-with-upload,"
              "termination,checksum,expiration`, `Tus-Checksum-Algorithm: sha1,sha256` and, "
              "when MAX_UPLOAD_SIZE is set, `Tus-Max-Size`.",
          .tag = kTag,
          .responses = {{204, "The server's capabilities, in headers", ""}}};
}

http::RouteDoc Create() {
  return {
      .operation_id = "createUpload",
      .summary = "Start a resumable upload (tus creation, creation-with-upload)",
      .description =
          "`Upload-Length` is the file's size; it counts against the storage quota until "
          "the upload finishes or expires (24 hours, `Upload-Expires`). `Upload-Metadata` "
          "names the file (`filename`, `filetype`). With `Content-Type: "
          "application/offset+octet-stream` the body is the first bytes. The answer's "
          "`Location` is the upload; a finished upload answers `X-File-Id`, the file it "
          "became.",
      .tag = kTag,
      .params = {Version(),
                 {"Upload-Length", "header", "The upload's size in bytes", kDecimal, true},
                 {"Upload-Metadata", "header",
                  "Comma-separated `key base64value` pairs: filename, filetype"},
                 {"Upload-Checksum", "header", "`sha1 <base64>` or `sha256 <base64>` of the body"}},
      .request = {{"application/offset+octet-stream", kBinary}},
      .request_required = false,
      .responses = {{201, "Created: Location, Upload-Expires (Upload-Offset, X-File-Id)", ""}},
      .problems = Common({{400, "bad_request"},
                          {400, "checksum_algorithm_unsupported"},
                          {413, "payload_too_large"},
                          {413, "quota_exceeded"},
                          {413, "upload_length_exceeded"},
                          {415, "unsupported_media_type"},
                          {460, "checksum_mismatch"}})};
}

http::RouteDoc Head() {
  return {.operation_id = "showUpload",
          .summary = "An upload's offset (tus)",
          .tag = kTag,
          .params = {Version(), IdParam()},
          .responses = {{200, "Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires", ""}},
          .problems = Common({{404, "not_found"}})};
}

http::RouteDoc Patch() {
  return {
      .operation_id = "appendToUpload",
      .summary = "Append bytes at Upload-Offset (tus)",
      .description =
          "The offset must be the upload's (else 409 `offset_mismatch`); one PATCH per "
          "upload at a time (else 409 `upload_locked`). Bytes of a body cut off mid-way are "
          "kept, unless `Upload-Checksum` was to cover the whole body. The PATCH that "
          "brings the last byte answers `X-File-Id`: the upload is now that file.",
      .tag = kTag,
      .params = {Version(),
                 IdParam(),
                 {"Upload-Offset", "header", "Where these bytes go", kDecimal, true},
                 {"Upload-Checksum", "header", "`sha1 <base64>` or `sha256 <base64>` of the body"}},
      .request = {{"application/offset+octet-stream", kBinary}},
      .responses = {{204, "Appended: Upload-Offset, Upload-Expires (X-File-Id)", ""}},
      .problems = Common({{400, "bad_request"},
                          {400, "checksum_algorithm_unsupported"},
                          {404, "not_found"},
                          {404, "upload_lost"},
                          {408, "request_timeout"},
                          {409, "offset_mismatch"},
                          {409, "upload_locked"},
                          {413, "payload_too_large"},
                          {413, "quota_exceeded"},
                          {413, "upload_length_exceeded"},
                          {415, "unsupported_media_type"},
                          {460, "checksum_mismatch"}})};
}

http::RouteDoc Terminate() {
  return {.operation_id = "terminateUpload",
          .summary = "Abandon an upload and its bytes (tus termination)",
          .tag = kTag,
          .params = {Version(), IdParam()},
          .responses = {{204, "Terminated (later requests: 404)", ""}},
          .problems = Common({{404, "not_found"}, {409, "upload_locked"}})};
}

}  // namespace tenantd::tenant_api::upload_docs
