#include "tenant_api/file_handlers.h"

#include "tenant_api/file_common.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <vector>

#include "access/tenant_access.h"
#include "auth/directory.h"
#include "base/crash_point.h"
#include "base/ids.h"
#include "base/text.h"
#include "base/time.h"
#include "control/control_store.h"
#include "crypto/crypto.h"
#include "files/blob_store.h"
#include "files/byte_range.h"
#include "files/file_links.h"
#include "files/file_store.h"
#include "files/filename.h"
#include "files/multipart.h"
#include "files/pending_store.h"
#include "files/variant_store.h"
#include "http/body_reader.h"
#include "http/body_source.h"
#include "http/entity_tag.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "ratelimit/tenant_limits.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

namespace asio = boost::asio;
using asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::Access;

namespace {

constexpr std::string_view kLinkMode = "link";

// What an upload accumulates as its bytes arrive, whichever the framing.
struct Receiver {
  files::BlobUpload& upload;
  crypto::Sha256Stream hash;
  uint64_t size = 0;
  uint64_t stored_before = 0;  // the tenant's stored bytes when the upload began
  uint64_t quota = 0;

  awaitable<base::Status> Take(std::string_view data) {
    size += data.size();
    if (quota != 0 && stored_before + size > quota) co_return files::QuotaExceeded(quota);
    hash.Update(data);
    co_return co_await upload.Append(data);
  }
};

// A blob streamed from a remote store, as a response body.
class BlobBody final : public http::BodySource {
 public:
  explicit BlobBody(std::unique_ptr<files::BlobStream> blob) : blob_(std::move(blob)) {}
  awaitable<std::optional<std::size_t>> Read(std::span<char> out) override {
    auto n = co_await blob_->Read(out);
    if (!n) co_return std::nullopt;
    co_return *n;
  }

 private:
  std::unique_ptr<files::BlobStream> blob_;
};

// The HTTP date of a stored RFC 3339 time (Last-Modified).
std::string HttpDateOf(std::string_view rfc3339) {
  const auto t = base::ParseRfc3339(rfc3339);
  return t ? base::FormatImfFixdate(*t) : std::string();
}

// RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any.
bool NoneMatch(std::string_view header, std::string_view opaque) {
  const std::string_view value = base::TrimAsciiSpace(header);
  if (value == "*") return false;
  const auto tags = http::ParseEntityTags(value);
  if (!tags) return true;
  for (const http::EntityTag& tag : *tags) {
    if (tag.opaque == opaque) return false;
  }
  return true;
}

}  // namespace

// The bytes of `file` of tenant `tenant_id` as GET or HEAD asked for
// them: validators, 304, ranges and 416, streamed from the blob store.
awaitable<Response> ServeFile(files::BlobStore& blobs, const Request& req,
                              const RequestContext& ctx, const std::string& tenant_id,
                              const files::FileRecord& file, std::string_view cache_control) {
  const std::string etag = "\"" + file.sha256 + "\"";
  const std::string last_modified = HttpDateOf(file.created_at);
  auto validators = [&](Response& res) {
    res.headers.Add("ETag", etag);
    if (!last_modified.empty()) res.headers.Add("Last-Modified", last_modified);
    res.headers.Add("Accept-Ranges", "bytes");
    res.headers.Add("Cache-Control", std::string(cache_control));
  };
  if (const auto inm = req.headers.Get("If-None-Match"); inm && !NoneMatch(*inm, file.sha256)) {
    Response res;
    res.status = 304;
    validators(res);
    co_return res;
  }

  files::ByteRange range;
  const auto range_header = req.headers.Get("Range");
  const auto if_range = req.headers.Get("If-Range");
  if (range_header && (!if_range || http::IfRangeHolds(*if_range, file.sha256, last_modified))) {
    range = files::ParseRange(*range_header, file.size);
  }
  if (range.kind == files::ByteRange::Kind::kUnsatisfiable) {
    Response res = Problem(
        base::MakeError(base::ErrorCode::kInvalidArgument, "range_not_satisfiable",
                        "The range is outside the file's " + std::to_string(file.size) + " bytes."),
        ctx);
    res.headers.Add("Content-Range", "bytes */" + std::to_string(file.size));
    validators(res);
    co_return res;
  }

  const bool part = range.kind == files::ByteRange::Kind::kPart;
  const uint64_t offset = part ? range.first : 0;
  const uint64_t length = part ? range.length() : file.size;
  auto mismatch = [&](uint64_t stored) {
    return Problem(
        base::Internal("file " + file.id + " has " + std::to_string(stored) + " bytes stored, " +
                       std::to_string(file.size) + " in its metadata"),
        ctx);
  };

  Response res;
  res.content_type = file.content_type;
  validators(res);
  res.headers.Add("Content-Disposition", files::ContentDisposition(file.filename));
  res.headers.Add("X-Content-Type-Options", "nosniff");
  if (part) {
    res.status = 206;
    res.headers.Add("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                         std::to_string(range.last) + "/" +
                                         std::to_string(file.size));
  }
  if (req.method == "HEAD") {
    // The headers only; still a file whose bytes are missing is an error.
    auto size = co_await blobs.Size(tenant_id, file.storage_key);
    if (!size) co_return Problem(size.error(), ctx);
    if (*size != file.size) co_return mismatch(*size);
    res.body.clear();
    res.stream = Response::StreamBody{nullptr, length};
    co_return res;
  }
  auto blob = co_await blobs.Open(tenant_id, file.storage_key, offset, length);
  if (!blob) co_return Problem(blob.error(), ctx);
  if (blob->size != file.size) co_return mismatch(blob->size);
  if (blob->fd.valid()) {
    res.file = Response::FileBody{std::move(blob->fd), offset, length};
  } else {
    res.stream = Response::StreamBody{std::make_shared<BlobBody>(std::move(blob->stream)), length};
  }
  co_return res;
}

awaitable<Response> FileHandlers::Upload(Request& req, RequestContext& ctx) const {
  http::BodyReader& body = *req.body_reader;
  const std::string_view type = req.headers.Get("Content-Type").value_or("");
  const bool raw = MediaTypeIs(type, "application/octet-stream");
  const std::optional<std::string> boundary = raw ? std::nullopt : files::MultipartBoundary(type);
  if (!raw && !boundary) {
    co_return Problem(base::MakeError(base::ErrorCode::kInvalidArgument, "unsupported_media_type",
                                      "Send the file as application/octet-stream with "
                                      "X-Filename, or as multipart/form-data with a file part."),
                      ctx);
  }
  std::optional<std::string> expected_sha;
  if (const auto sha = req.headers.Get("X-Content-Sha256")) {
    const std::string_view v = base::TrimAsciiSpace(*sha);
    const auto decoded = crypto::HexDecode(v);
    if (v.size() != 64 || !decoded) {
      co_return Problem(base::InvalidArgument("bad_request",
                                              "X-Content-Sha256 must be the hex SHA-256 of the "
                                              "body."),
                        ctx);
    }
    expected_sha = crypto::HexEncode(*decoded);
  }

  const uint64_t quota = QuotaOf(plans, ctx);
  uint64_t stored = 0;
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    // Stored files plus what direct and resumable uploads have reserved.
    const std::string now_text = base::FormatRfc3339(clock->Now());
    auto used = co_await files::UsedBytes(**tx, now_text);
    if (!used) co_return Problem(used.error(), ctx);
    stored = *used;
  }
  // Refused before a byte of the body is read when the length says so.
  if (const auto length = body.content_length();
      raw && length && quota != 0 && stored + *length > quota) {
    co_return Problem(files::QuotaExceeded(quota), ctx);
  }

  const base::TimePoint now = clock->Now();
  files::FileRecord file;
  file.id = base::NewId(files::kFileIdPrefix);
  file.created_at = base::FormatRfc3339(now);
  auto upload = blobs.BeginUpload(ctx.auth.tenant_id, file.id, now);
  if (!upload) co_return Problem(upload.error(), ctx);
  Receiver receiver{**upload, {}, 0, stored, quota};

  std::string filename;
  std::string content_type = "application/octet-stream";
  // The file part's bytes of one chunk: the parser hands them over in a
  // callback, and they are stored (which may wait) once it returns.
  std::string part_bytes;
  bool seen_file = false;
  bool in_file = false;
  std::optional<files::MultipartParser> parser;
  if (raw) {
    seen_file = true;
    filename = std::string(req.headers.Get("X-Filename").value_or(files::kDefaultFilename));
  } else {
    parser.emplace(*boundary,
                   files::MultipartParser::Events{
                       [&](const files::MultipartPart& part) -> base::Status {
                         if (part.name != "file") return {};  // other fields are not stored
                         if (seen_file) {
                           return base::InvalidArgument("bad_request",
                                                        "Send one file part per upload.");
                         }
                         seen_file = in_file = true;
                         filename = part.filename.value_or(std::string(files::kDefaultFilename));
                         if (!part.content_type.empty())
                           content_type = StoredContentType(part.content_type);
                         return {};
                       },
                       [&](std::string_view data) -> base::Status {
                         if (in_file) part_bytes.append(data);
                         return {};
                       },
                       [&]() -> base::Status {
                         in_file = false;
                         return {};
                       }});
  }

  // X-Content-Sha256 covers the body exactly as sent (api.md §4), for
  // multipart its framing too: a signer's part headers (filename, type)
  // cannot be changed on the way. A raw body is the file itself.
  std::optional<crypto::Sha256Stream> body_hash;
  if (expected_sha && parser) body_hash.emplace();
  std::vector<char> buffer(kUploadChunk);
  for (;;) {
    const http::BodyChunk chunk = co_await body.Read(buffer);
    if (chunk.error != http::BodyError::kNone) {
      co_return Problem(BodyProblem(chunk.error, max_upload_size), ctx);
    }
    if (chunk.size == 0) break;
    const std::string_view data(buffer.data(), chunk.size);
    if (body_hash) body_hash->Update(data);
    if (parser) {
      if (auto fed = parser->Feed(data); !fed) co_return Problem(fed.error(), ctx);
      const base::Status taken = co_await receiver.Take(part_bytes);
      part_bytes.clear();
      if (!taken) co_return Problem(taken.error(), ctx);
    } else if (auto taken = co_await receiver.Take(data); !taken) {
      co_return Problem(taken.error(), ctx);
    }
  }
  if (parser) {
    if (auto finished = parser->Finish(); !finished) co_return Problem(finished.error(), ctx);
    if (auto taken = co_await receiver.Take(part_bytes); !taken) {
      co_return Problem(taken.error(), ctx);
    }
    if (!seen_file) {
      co_return Problem(base::ValidationFailed({{"file", "The multipart body has no file part."}}),
                        ctx);
    }
  }

  file.sha256 = receiver.hash.FinishHex();
  if (expected_sha &&
      !crypto::ConstantTimeEqual(*expected_sha, body_hash ? body_hash->FinishHex() : file.sha256)) {
    // For a signed request the hash was part of what was signed: the body
    // is not the one the signer sent, an authentication failure as in §4.
    const bool signed_request = ctx.auth.mode == "signature";
    co_return Problem(
        base::MakeError(
            signed_request ? base::ErrorCode::kUnauthenticated : base::ErrorCode::kInvalidArgument,
            "content_hash_mismatch",
            "The body received does not match X-Content-Sha256; nothing was stored."),
        ctx);
  }
  file.size = receiver.size;
  file.filename = files::SanitizeFilename(filename);
  file.content_type = content_type;
  file.storage_key = (*upload)->storage_key();

  files::BlobUpload& blob = **upload;
  const base::Status published = co_await blob.Publish();
  if (!published) co_return Problem(published.error(), ctx);
  base::CrashPoint("file_upload.after_publish");
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    const std::string now_text = base::FormatRfc3339(clock->Now());
    base::Status inserted = co_await files::InsertFile(**tx, file, quota, now_text);
    if (inserted) inserted = co_await (*tx)->Commit();
    if (!inserted) co_return Problem(inserted.error(), ctx);
  }
  base::CrashPoint("file_upload.after_insert");
  blob.Commit();
  Response res = JsonAnswer(
      201,
      boost::json::object{{"file", FileJson(file, PublicPrefix(public_url, ctx.tenant_slug))}});
  res.headers.Add("Location", "/v1/files/" + file.id);
  co_return res;
}

awaitable<Response> FileHandlers::List(Request& req, RequestContext& ctx) const {
  auto limit = http::ParseLimit(req);
  if (!limit) co_return Problem(limit.error(), ctx);
  auto after = http::ParseCursor(req, files::kFileIdPrefix);
  if (!after) co_return Problem(after.error(), ctx);
  // ?status=pending lists the direct uploads not completed yet (api.md §14).
  const std::string status = req.QueryParam("status").value_or("available");
  if (status != "available" && status != "pending") {
    co_return Problem(base::InvalidArgument("bad_request", "status is available or pending."), ctx);
  }
  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
  if (!tx) co_return Problem(tx.error(), ctx);
  std::vector<files::FileRecord> rows;
  if (status == "pending") {
    const std::string now = base::FormatRfc3339(clock->Now());
    auto pending = co_await files::ListPending(**tx, *after, *limit + 1, now);
    if (!pending) co_return Problem(pending.error(), ctx);
    for (files::PendingFile& p : *pending) rows.push_back(std::move(p.file));
  } else {
    auto files = co_await files::ListFiles(**tx, *after, *limit + 1);
    if (!files) co_return Problem(files.error(), ctx);
    rows = std::move(*files);
  }
  const std::vector<files::FileRecord>* page = &rows;
  boost::json::array data;
  const std::size_t shown = std::min(page->size(), static_cast<std::size_t>(*limit));
  const std::string prefix = PublicPrefix(public_url, ctx.tenant_slug);
  for (std::size_t i = 0; i < shown; ++i) data.push_back(FileJson((*page)[i], prefix, status));
  boost::json::value next = nullptr;
  if (page->size() > shown) next = boost::json::string((*page)[shown - 1].id);
  co_return JsonAnswer(200, boost::json::object{{"data", std::move(data)}, {"next_cursor", next}});
}

awaitable<base::Result<files::FileRecord>> FileHandlers::FindOwnFile(Request& req,
                                                                     RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return files::NoSuchFile();
  TENANTD_CO_TRY(auto tx, co_await data.Begin(ctx.auth.tenant_id, Access::kRead));
  TENANTD_CO_TRY(std::optional<files::FileRecord> file, co_await files::GetFile(*tx, id));
  if (!file) co_return files::NoSuchFile();
  co_return std::move(*file);
}

awaitable<Response> FileHandlers::Download(Request& req, RequestContext& ctx) const {
  auto file = co_await FindOwnFile(req, ctx);
  if (!file) co_return Problem(file.error(), ctx);
  co_return co_await ServeFile(blobs, req, ctx, ctx.auth.tenant_id, *file, kPrivateCache);
}

awaitable<Response> FileHandlers::Update(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  auto body = http::ParseJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto errors = http::UnknownFields(*body, {"public"});
  const boost::json::value* flag = body->if_contains("public");
  if (flag == nullptr) {
    errors.push_back(
        {"public", "public is required: true publishes the file, false withdraws it."});
  } else if (!flag->is_bool()) {
    errors.push_back({"public", "public must be true or false."});
  }
  if (!errors.empty()) co_return Problem(base::ValidationFailed(std::move(errors)), ctx);
  std::optional<files::FileRecord> file;
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto updated = co_await files::SetFilePublic(**tx, id, flag->as_bool());
    if (!updated) co_return Problem(updated.error(), ctx);
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return Problem(committed.error(), ctx);
    }
    file = std::move(*updated);
  }
  if (!file) co_return Problem(files::NoSuchFile(), ctx);
  co_return JsonAnswer(
      200,
      boost::json::object{{"file", FileJson(*file, PublicPrefix(public_url, ctx.tenant_slug))}});
}

awaitable<std::optional<Response>> FileHandlers::FindPublicFile(Request& req, RequestContext& ctx,
                                                                files::FileRecord& file) const {
  const std::string_view slug = req.PathParam("tenant_slug");
  const std::string_view id = req.PathParam("file_id");
  // Every way of not being there answers the same 404: an unknown,
  // suspended or deleted tenant, another tenant's file, a private file, a
  // name that is not the file's. Nobody learns which, and none of these
  // answers may be kept by a cache (the file may be published a moment later).
  auto absent = [&ctx] {
    Response res = Problem(files::NoSuchFile(), ctx);
    res.headers.Add("Cache-Control", "no-store");
    return std::optional<Response>(std::move(res));
  };
  if (!IsFileId(id)) co_return absent();
  auto tenant = co_await directory.Tenant(slug);
  if (!tenant) co_return Problem(tenant.error(), ctx);
  // The directory also finds tenants by id: only the slug names one here,
  // so each public file has one URL.
  if (!*tenant || (*tenant)->slug != slug || (*tenant)->status != control::TenantStatus::kActive) {
    co_return absent();
  }
  const std::string tenant_id = (*tenant)->id;
  std::optional<files::FileRecord> found;
  {
    auto tx = co_await data.Begin(tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto got = co_await files::GetFile(**tx, id);
    if (!got) co_return Problem(got.error(), ctx);
    found = std::move(*got);
  }
  // The router decoded the name; the stored one is already sanitized, so
  // no path trick ("..", "%2F") can equal it. Variants' URLs carry no name.
  const bool named = !req.PathParam("filename").empty() || req.PathParam("variant").empty();
  if (!found || !found->is_public || (named && found->filename != req.PathParam("filename"))) {
    co_return absent();
  }
  // What a public file serves counts as the tenant's usage (access log,
  // usage meter), as its authenticated downloads do.
  ctx.tenant_slug = (*tenant)->slug;
  ctx.tenant = *tenant;
  ctx.auth.tenant_id = tenant_id;
  ctx.auth.mode = "public";
  file = std::move(*found);
  co_return std::nullopt;
}

awaitable<Response> FileHandlers::PublicDownload(Request& req, RequestContext& ctx) const {
  files::FileRecord file;
  if (auto refused = co_await FindPublicFile(req, ctx, file)) co_return std::move(*refused);
  co_return co_await ServeFile(blobs, req, ctx, ctx.auth.tenant_id, file, kPublicCache);
}

awaitable<Response> FileHandlers::Remove(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  std::optional<files::FileRecord> deleted;
  std::vector<std::string> variant_keys;
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto removed = co_await files::DeleteFile(**tx, id);
    if (!removed) co_return Problem(removed.error(), ctx);
    auto variants = co_await files::DeleteVariants(**tx, id);
    if (!variants) co_return Problem(variants.error(), ctx);
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return Problem(committed.error(), ctx);
    }
    deleted = std::move(*removed);
    variant_keys = std::move(*variants);
  }
  if (!deleted) co_return Problem(files::NoSuchFile(), ctx);
  // The rows are gone, so the file is gone for clients; the bytes follow.
  variant_keys.push_back(deleted->storage_key);
  for (const std::string& key : variant_keys) {
    if (auto removed = co_await blobs.Remove(ctx.auth.tenant_id, key); !removed) {
      co_return Problem(removed.error(), ctx);
    }
  }
  co_return Response::NoContent();
}

awaitable<Response> FileHandlers::CreateLink(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  auto body = http::ParseOptionalJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto errors = http::UnknownFields(*body, {"expires_in"});
  std::optional<int64_t> expires_in;
  http::ReadInteger(*body, "expires_in", 1, files::kMaxLinkSeconds, expires_in, errors);
  if (!errors.empty()) co_return Problem(base::ValidationFailed(std::move(errors)), ctx);
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto found = co_await files::GetFile(**tx, id);
    if (!found) co_return Problem(found.error(), ctx);
    if (!*found) co_return Problem(files::NoSuchFile(), ctx);
  }
  const auto now = clock->Now();
  const int64_t expires =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() +
      expires_in.value_or(3600);
  const base::TimePoint expires_at{std::chrono::seconds(expires)};
  co_return JsonAnswer(
      201, boost::json::object{{"url", public_url + links.Make(ctx.auth.tenant_id, id, expires)},
                               {"expires_at", base::FormatRfc3339(expires_at)}});
}

awaitable<std::optional<Response>> FileLinkAuth::OnRequest(Request& req,
                                                           RequestContext& ctx) const {
  const std::optional<std::string> signature = req.QueryParam("signature");
  auto refuse = [&](const base::Error& e) {
    return std::optional<Response>(http::ErrorResponse(e, ctx.request_id));
  };
  if (!signature) {
    if (!links_only_) co_return co_await access_.OnRequest(req, ctx);
    co_return refuse(base::MakeError(base::ErrorCode::kPermissionDenied, "invalid_link",
                                     "This route takes a signed URL (expires and signature)."));
  }
  const auto tenant_id = links_.Verify(req.PathParam("id"), req.QueryParam("expires").value_or(""),
                                       *signature, clock_.Now());
  if (!tenant_id) co_return refuse(tenant_id.error());
  auto tenant = co_await directory_.Tenant(*tenant_id);
  if (!tenant) co_return refuse(tenant.error());
  // A link dies with its tenant's access: deleted tenants' links are
  // invalid, suspended tenants' links answer as their other requests do.
  if (!*tenant || (*tenant)->status == control::TenantStatus::kDeleted) {
    co_return refuse(base::MakeError(base::ErrorCode::kPermissionDenied, "invalid_link",
                                     "This download link is not valid."));
  }
  if ((*tenant)->status == control::TenantStatus::kSuspended) {
    co_return refuse(base::MakeError(base::ErrorCode::kPermissionDenied, "tenant_suspended",
                                     "This tenant is suspended."));
  }
  ctx.tenant_slug = (*tenant)->slug;
  ctx.tenant = *tenant;
  const std::string credential = "link:" + std::string(req.PathParam("id"));
  if (auto refused = co_await access_.Admit(req, ctx, **tenant, credential)) {
    co_return std::move(refused);
  }
  ctx.auth.tenant_id = *tenant_id;
  ctx.auth.mode = std::string(kLinkMode);
  ctx.auth.scopes = {scope_};
  co_return std::nullopt;
}

awaitable<std::optional<Response>> PublicFileLimit::OnRequest(Request& req,
                                                              RequestContext& ctx) const {
  // No address (never on a served connection): nothing to count against.
  if (limits_ == nullptr || per_hour_ == 0 || req.remote_ip.empty()) co_return std::nullopt;
  const base::Result<ratelimit::Decision> d =
      co_await limits_->AdmitPublicFile(req.remote_ip, per_hour_, clock_.Steady());
  if (!d) co_return http::ErrorResponse(d.error(), ctx.request_id);
  if (!d->allowed) {
    co_return ratelimit::RateLimitedResponse(
        *d,
        "Too many requests for public files from this address; retry after the time in "
        "Retry-After.",
        ctx.request_id);
  }
  co_return std::nullopt;
}

void FileLinkAuth::OnResponse(const RequestContext& ctx, Response& res) const {
  // RateLimit-* of the admission, and a session's cookie when the access
  // stage ran instead.
  access_.OnResponse(ctx, res);
}

}  // namespace tenantd::tenant_api
