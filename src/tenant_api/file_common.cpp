#include "tenant_api/file_common.h"

#include <boost/json/serialize.hpp>

#include "base/ids.h"
#include "base/text.h"
#include "control/control_store.h"
#include "http/problem.h"

namespace tenantd::tenant_api {

http::Response Problem(const base::Error& e, const http::RequestContext& ctx) {
  http::Response res = http::ErrorResponse(e, ctx.request_id);
  if (e.code == base::ErrorCode::kUnavailable) res.headers.Add("Retry-After", "1");
  return res;
}

bool IsFileId(std::string_view id) { return base::IsWellFormedId(id, files::kFileIdPrefix); }

// A media type without parameters, compared case-insensitively.
bool MediaTypeIs(std::string_view header, std::string_view type) {
  std::string_view t = base::TrimAsciiSpace(header.substr(0, header.find(';')));
  if (t.size() != type.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i] >= 'A' && t[i] <= 'Z' ? static_cast<char>(t[i] - 'A' + 'a') : t[i];
    if (c != type[i]) return false;
  }
  return true;
}

// A part's declared type is stored and echoed as the download's
// Content-Type: only a plain `type/subtype` token pair is kept.
std::string StoredContentType(std::string_view declared) {
  const std::string_view t = base::TrimAsciiSpace(declared.substr(0, declared.find(';')));
  const std::size_t slash = t.find('/');
  bool ok = !t.empty() && t.size() <= 127 && slash != std::string_view::npos && slash > 0 &&
            slash + 1 < t.size();
  for (char c : t) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("/!#$&^_.+-").find(c) != std::string_view::npos);
  }
  return ok ? std::string(t) : std::string("application/octet-stream");
}

// Where the tenant's public files are served: "<TENANTD_PUBLIC_URL>/public/<slug>/".
std::string PublicPrefix(std::string_view public_url, std::string_view tenant_slug) {
  return std::string(public_url) + "/public/" + http::PercentEncode(tenant_slug) + "/";
}

// `public_prefix` from PublicPrefix, for the public_url of a public file.
boost::json::object FileJson(const files::FileRecord& f, std::string_view public_prefix,
                             std::string_view status) {
  boost::json::object out{{"id", f.id},
                          {"filename", f.filename},
                          {"size", f.size},
                          {"content_type", f.content_type},
                          {"sha256", f.sha256},
                          {"created_at", f.created_at},
                          {"public", f.is_public},
                          {"status", status}};
  if (f.is_public) {
    out["public_url"] = std::string(public_prefix) + f.id + "/" + http::PercentEncode(f.filename);
  }
  return out;
}

http::Response JsonAnswer(int status, const boost::json::value& v) {
  return http::Response::Json(status, boost::json::serialize(v));
}

// The plan quota of the tenant's stored files (0 = none). A plan missing
// from the configuration (removed after tenants were put on it) gets the
// `free` plan's quota rather than none.
uint64_t QuotaOf(const config::Plans& plans, const http::RequestContext& ctx) {
  // Every stage in front of a file route sets ctx.tenant; were one to
  // forget, the smallest quota is the safe answer, not a crash.
  const config::Plan* plan = ctx.tenant ? plans.Find(ctx.tenant->plan) : nullptr;
  if (plan == nullptr) plan = plans.Find("free");
  return plan == nullptr ? uint64_t{0} : plan->storage_bytes;
}

base::Error BodyProblem(http::BodyError error, uint64_t max_upload_size) {
  switch (error) {
    case http::BodyError::kTooLarge:
      return base::MakeError(base::ErrorCode::kResourceExhausted, "payload_too_large",
                             "The upload exceeds the largest accepted file (MAX_UPLOAD_SIZE, " +
                                 std::to_string(max_upload_size) + " bytes).");
    case http::BodyError::kTimeout:
      return base::MakeError(base::ErrorCode::kInvalidArgument, "request_timeout",
                             "The upload stalled.");
    case http::BodyError::kMalformed:
      return base::InvalidArgument("bad_request", "The request body is malformed.");
    case http::BodyError::kClientGone:
    case http::BodyError::kNone:
      break;
  }
  return base::InvalidArgument("bad_request", "The upload was interrupted.");
}

}  // namespace tenantd::tenant_api
