#include "tenant_api/upload_handlers.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "base/ids.h"
#include "base/off_loop.h"
#include "base/text.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "files/blob_store.h"
#include "files/file_store.h"
#include "files/filename.h"
#include "files/pending_store.h"
#include "files/tus.h"
#include "files/upload_staging.h"
#include "http/body_reader.h"
#include "http/problem.h"
#include "tenant_api/file_common.h"
#include "tenant_api/upload_locks.h"
#include "tenant_api/upload_sweep.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

namespace tus = files::tus;
using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::Access;

struct UploadHandlers::Appended {
  uint64_t offset = 0;
  std::string file_id;  // set when this append finished the upload
};

namespace {

// How long an unfinished upload lives (api.md §14, Upload-Expires).
constexpr std::chrono::hours kUploadLife{24};
// Upload-Metadata is stored and echoed: a display name and a type need
// far less than this.
constexpr std::size_t kMaxMetadataBytes = 4096;

// Problems whose status is tus's own rather than their error code's.
int TusStatusFor(const base::Error& e) {
  const std::string_view code = e.problem_code;
  if (code == "checksum_mismatch") return tus::kChecksumMismatchStatus;
  if (code == "upload_length_exceeded") return 413;
  if (code == "tus_version_unsupported") return 412;
  return http::HttpStatusFor(e);
}

// Every answer of these routes says which protocol it speaks.
Response TusProblem(const base::Error& e, const RequestContext& ctx) {
  Response res = http::ProblemResponse(TusStatusFor(e), e.problem_code, e.public_message,
                                       ctx.request_id, e.field_errors);
  if (e.code == base::ErrorCode::kUnavailable) res.headers.Add("Retry-After", "1");
  res.headers.Add("Tus-Resumable", std::string(tus::kVersion));
  return res;
}

Response TusNoContent() {
  Response res = Response::NoContent();
  res.headers.Add("Tus-Resumable", std::string(tus::kVersion));
  return res;
}

base::Error NoSuchUpload() { return base::NotFound("No such upload (or it expired)."); }

base::Error Conflict(std::string code, std::string message) {
  return base::MakeError(base::ErrorCode::kFailedPrecondition, std::move(code), std::move(message));
}

// 412 unless the client speaks tus 1.0.0 (the core protocol's rule).
std::optional<Response> CheckVersion(const Request& req, const RequestContext& ctx) {
  const auto version = req.headers.Get("Tus-Resumable");
  if (version && base::TrimAsciiSpace(*version) == tus::kVersion) return std::nullopt;
  Response res =
      TusProblem(base::MakeError(base::ErrorCode::kFailedPrecondition, "tus_version_unsupported",
                                 "This server speaks tus 1.0.0: send Tus-Resumable: 1.0.0."),
                 ctx);
  res.headers.Add("Tus-Version", std::string(tus::kVersion));
  return res;
}

bool IsUploadId(std::string_view id) { return base::IsWellFormedId(id, files::kUploadIdPrefix); }

// Upload-Expires (an HTTP date) of a stored RFC 3339 expiry.
std::string ExpiresHeader(std::string_view expires_at) {
  const auto t = base::ParseRfc3339(expires_at);
  return t ? base::FormatImfFixdate(*t) : std::string();
}

void AddUploadHeaders(Response& res, uint64_t offset, std::string_view expires_at) {
  res.headers.Add("Upload-Offset", std::to_string(offset));
  if (const std::string expires = ExpiresHeader(expires_at); !expires.empty()) {
    res.headers.Add("Upload-Expires", expires);
  }
}

// Reads up to `size` bytes at `offset` of `fd` on the worker pool: the
// staging file of a large upload is not all in the page cache, and disk
// reads must not stall an event loop.
awaitable<base::Result<std::size_t>> ReadAt(boost::asio::thread_pool* blocking, int fd,
                                            std::shared_ptr<std::vector<char>> buffer,
                                            std::size_t size, uint64_t offset) {
  std::function<base::Result<std::size_t>()> read = [fd, buffer, size,
                                                     offset]() -> base::Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::pread(fd, buffer->data(), size, static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return base::Internal("read a staging file");
    }
  };
  co_return co_await base::OffLoop(blocking, std::move(read));
}

}  // namespace

awaitable<Response> UploadHandlers::Options(Request&, RequestContext&) const {
  Response res = TusNoContent();
  res.headers.Add("Tus-Version", std::string(tus::kVersion));
  res.headers.Add("Tus-Extension", std::string(tus::kExtensions));
  res.headers.Add("Tus-Checksum-Algorithm", std::string(tus::kChecksumAlgorithms));
  if (max_upload_size != 0) res.headers.Add("Tus-Max-Size", std::to_string(max_upload_size));
  co_return res;
}

awaitable<Response> UploadHandlers::Create(Request& req, RequestContext& ctx) const {
  if (auto refused = CheckVersion(req, ctx)) co_return std::move(*refused);
  auto bad = [&ctx](std::string message) {
    return TusProblem(base::InvalidArgument("bad_request", std::move(message)), ctx);
  };
  if (req.headers.Get("Upload-Defer-Length")) {
    co_return bad("Upload-Defer-Length is not supported: send Upload-Length.");
  }
  const auto length = tus::ParseOffset(req.headers.Get("Upload-Length").value_or(""));
  if (!length) co_return bad("Upload-Length (the upload's size in bytes) is required.");
  if (max_upload_size != 0 && *length > max_upload_size) {
    co_return TusProblem(BodyProblem(http::BodyError::kTooLarge, max_upload_size), ctx);
  }
  const std::string_view raw_metadata =
      base::TrimAsciiSpace(req.headers.Get("Upload-Metadata").value_or(""));
  if (raw_metadata.size() > kMaxMetadataBytes) {
    co_return bad("Upload-Metadata is longer than " + std::to_string(kMaxMetadataBytes) +
                  " bytes.");
  }
  auto metadata = tus::ParseMetadata(raw_metadata);
  if (!metadata) co_return TusProblem(metadata.error(), ctx);
  const bool with_upload =
      MediaTypeIs(req.headers.Get("Content-Type").value_or(""), tus::kOffsetMediaType);
  http::BodyReader& body = *req.body_reader;
  if (!with_upload && body.content_length().value_or(1) != 0) {
    co_return TusProblem(
        base::MakeError(base::ErrorCode::kInvalidArgument, "unsupported_media_type",
                        "Bytes sent with the creation must be application/offset+octet-stream."),
        ctx);
  }
  const std::string tenant_id = ctx.auth.tenant_id;
  const uint64_t quota = QuotaOf(plans, ctx);

  const base::TimePoint now = clock->Now();
  files::UploadRecord upload;
  upload.id = base::NewId(files::kUploadIdPrefix);
  // Stock clients name the file "filename" (tus-js-client examples, the
  // tus CLI) or "name" (Uppy); the type "filetype" or "type".
  std::optional<std::string> name = tus::MetadataValue(*metadata, "filename");
  if (!name) name = tus::MetadataValue(*metadata, "name");
  std::optional<std::string> type = tus::MetadataValue(*metadata, "filetype");
  if (!type) type = tus::MetadataValue(*metadata, "type");
  upload.filename = files::SanitizeFilename(name.value_or(std::string(files::kDefaultFilename)));
  upload.content_type = StoredContentType(type.value_or("application/octet-stream"));
  upload.metadata = std::string(raw_metadata);
  upload.length = *length;
  upload.created_at = base::FormatRfc3339(now);
  upload.expires_at = base::FormatRfc3339(now + kUploadLife);

  if (auto created = staging.Create(tenant_id, upload.id); !created) {
    co_return TusProblem(created.error(), ctx);
  }
  {
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    base::Status inserted = tx ? base::Status() : base::Status(tx.error());
    if (inserted) inserted = co_await files::InsertUpload(**tx, upload, quota, upload.created_at);
    if (inserted) inserted = co_await (*tx)->Commit();
    if (!inserted) {
      staging.Remove(tenant_id, upload.id);
      co_return TusProblem(inserted.error(), ctx);
    }
  }
  sweep.Watch(tenant_id);

  Response res;
  res.status = 201;
  res.headers.Add("Tus-Resumable", std::string(tus::kVersion));
  res.headers.Add("Location", public_url + "/v1/uploads/" + upload.id);
  if (with_upload || upload.length == 0) {
    // A new id: nobody else can hold its lock, but PATCHes may arrive as
    // soon as the client has the Location, which is only after this.
    auto held = locks.TryLock(tenant_id, upload.id);
    auto appended = co_await Append(req, tenant_id, QuotaOf(plans, ctx), upload);
    if (!appended) {
      // The client cannot resume what it has no Location for.
      auto tx = co_await data.Begin(tenant_id, Access::kWrite);
      if (tx) {
        (void)co_await files::DeleteUpload(**tx, upload.id);
        (void)co_await (*tx)->Commit();
      }
      staging.Remove(tenant_id, upload.id);
      co_return TusProblem(appended.error(), ctx);
    }
    AddUploadHeaders(res, appended->offset, upload.expires_at);
    if (!appended->file_id.empty()) res.headers.Add("X-File-Id", appended->file_id);
  } else if (const std::string expires = ExpiresHeader(upload.expires_at); !expires.empty()) {
    res.headers.Add("Upload-Expires", expires);
  }
  co_return res;
}

awaitable<Response> UploadHandlers::Head(Request& req, RequestContext& ctx) const {
  if (auto refused = CheckVersion(req, ctx)) co_return std::move(*refused);
  const std::string_view id = req.PathParam("id");
  if (!IsUploadId(id)) co_return TusProblem(NoSuchUpload(), ctx);
  std::optional<files::UploadRecord> upload;
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
    if (!tx) co_return TusProblem(tx.error(), ctx);
    const std::string now = base::FormatRfc3339(clock->Now());
    auto found = co_await files::GetUpload(**tx, id, now);
    if (!found) co_return TusProblem(found.error(), ctx);
    upload = std::move(*found);
  }
  if (!upload) co_return TusProblem(NoSuchUpload(), ctx);
  Response res;
  res.status = 200;
  res.headers.Add("Tus-Resumable", std::string(tus::kVersion));
  res.headers.Add("Cache-Control", "no-store");  // the offset changes with every PATCH
  res.headers.Add("Upload-Length", std::to_string(upload->length));
  if (!upload->metadata.empty()) res.headers.Add("Upload-Metadata", upload->metadata);
  AddUploadHeaders(res, upload->received, upload->expires_at);
  co_return res;
}

awaitable<Response> UploadHandlers::Patch(Request& req, RequestContext& ctx) const {
  if (auto refused = CheckVersion(req, ctx)) co_return std::move(*refused);
  const std::string_view id = req.PathParam("id");
  if (!IsUploadId(id)) co_return TusProblem(NoSuchUpload(), ctx);
  if (!MediaTypeIs(req.headers.Get("Content-Type").value_or(""), tus::kOffsetMediaType)) {
    co_return TusProblem(
        base::MakeError(base::ErrorCode::kInvalidArgument, "unsupported_media_type",
                        "A PATCH carries Content-Type: application/offset+octet-stream."),
        ctx);
  }
  const auto offset = tus::ParseOffset(req.headers.Get("Upload-Offset").value_or(""));
  if (!offset) {
    co_return TusProblem(
        base::InvalidArgument("bad_request", "Upload-Offset (where these bytes go) is required."),
        ctx);
  }
  const std::string tenant_id = ctx.auth.tenant_id;
  const auto held = locks.TryLock(tenant_id, id);
  if (!held) {
    co_return TusProblem(Conflict("upload_locked",
                                  "Another request is appending to this upload; ask for its "
                                  "offset (HEAD) and resume from there."),
                         ctx);
  }
  std::optional<files::UploadRecord> upload;
  {
    auto tx = co_await data.Begin(tenant_id, Access::kRead);
    if (!tx) co_return TusProblem(tx.error(), ctx);
    const std::string now = base::FormatRfc3339(clock->Now());
    auto found = co_await files::GetUpload(**tx, id, now);
    if (!found) co_return TusProblem(found.error(), ctx);
    upload = std::move(*found);
  }
  if (!upload) co_return TusProblem(NoSuchUpload(), ctx);
  if (*offset != upload->received) {
    Response res =
        TusProblem(Conflict("offset_mismatch", "Upload-Offset is " + std::to_string(*offset) +
                                                   "; the upload has " +
                                                   std::to_string(upload->received) + " bytes."),
                   ctx);
    res.headers.Add("Upload-Offset", std::to_string(upload->received));
    co_return res;
  }
  auto appended = co_await Append(req, tenant_id, QuotaOf(plans, ctx), *upload);
  if (!appended) co_return TusProblem(appended.error(), ctx);
  Response res = TusNoContent();
  AddUploadHeaders(res, appended->offset, upload->expires_at);
  if (!appended->file_id.empty()) res.headers.Add("X-File-Id", appended->file_id);
  co_return res;
}

awaitable<Response> UploadHandlers::Terminate(Request& req, RequestContext& ctx) const {
  if (auto refused = CheckVersion(req, ctx)) co_return std::move(*refused);
  const std::string_view id = req.PathParam("id");
  if (!IsUploadId(id)) co_return TusProblem(NoSuchUpload(), ctx);
  const std::string tenant_id = ctx.auth.tenant_id;
  const auto held = locks.TryLock(tenant_id, id);
  if (!held) {
    co_return TusProblem(
        Conflict("upload_locked", "A request is appending to this upload; try again after it."),
        ctx);
  }
  {
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    if (!tx) co_return TusProblem(tx.error(), ctx);
    auto deleted = co_await files::DeleteUpload(**tx, id);
    if (!deleted) co_return TusProblem(deleted.error(), ctx);
    if (!*deleted) co_return TusProblem(NoSuchUpload(), ctx);
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return TusProblem(committed.error(), ctx);
    }
  }
  staging.Remove(tenant_id, id);
  co_return TusNoContent();
}

awaitable<base::Result<UploadHandlers::Appended>> UploadHandlers::Append(
    Request& req, const std::string& tenant_id, uint64_t quota,
    const files::UploadRecord& upload) const {
  const uint64_t start = upload.received;
  std::optional<tus::Checksum> checksum;
  if (const auto header = req.headers.Get("Upload-Checksum")) {
    TENANTD_CO_TRY(checksum, tus::ParseChecksum(*header));
  }
  const auto too_long = [&] {
    return base::MakeError(base::ErrorCode::kInvalidArgument, "upload_length_exceeded",
                           "These bytes would take the upload past its Upload-Length of " +
                               std::to_string(upload.length) + ".");
  };
  http::BodyReader& body = *req.body_reader;
  if (const auto length = body.content_length(); length && *length > upload.length - start) {
    co_return too_long();
  }
  TENANTD_CO_TRY(base::UniqueFd fd, staging.OpenAt(tenant_id, upload.id, start));
  std::optional<crypto::DigestStream> digest;
  if (checksum) digest.emplace(checksum->algorithm);

  uint64_t added = 0;
  std::optional<base::Error> failure;
  // Bytes of a body that did not arrive whole still count, unless a
  // checksum was to vouch for the whole body (tus checksum extension).
  bool keep_partial = !checksum;
  std::vector<char> buffer(kUploadChunk);
  for (;;) {
    const http::BodyChunk chunk = co_await body.Read(buffer);
    if (chunk.error != http::BodyError::kNone) {
      failure = BodyProblem(chunk.error, max_upload_size);
      break;
    }
    if (chunk.size == 0) break;
    if (chunk.size > upload.length - start - added) {
      failure = too_long();
      keep_partial = false;
      break;
    }
    const std::string_view bytes(buffer.data(), chunk.size);
    if (auto written = files::UploadStaging::Write(fd.get(), bytes); !written) {
      co_return std::move(written).error();
    }
    if (digest) digest->Update(bytes);
    added += chunk.size;
  }
  if (failure && !keep_partial) co_return std::move(*failure);
  if (!failure && digest && !crypto::ConstantTimeEqual(digest->Finish(), checksum->digest)) {
    // Not acknowledged: the next append cuts these bytes off.
    co_return base::MakeError(base::ErrorCode::kInvalidArgument, "checksum_mismatch",
                              "The body does not match Upload-Checksum; it was not appended.");
  }
  // Durable before acknowledged: the offset never names bytes a crash
  // could take back.
  if (added > 0) {
    if (auto synced = co_await staging.Sync(fd.get()); !synced) co_return std::move(synced).error();
  }
  fd = base::UniqueFd();
  Appended out{start + added, {}};
  if (!failure && out.offset == upload.length) {
    TENANTD_CO_TRY(out.file_id, co_await Finish(tenant_id, quota, upload));
    co_return out;
  }
  if (added > 0) {
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    if (!tx) co_return std::move(tx).error();
    TENANTD_CO_TRY(const bool moved,
                   co_await files::AdvanceUpload(**tx, upload.id, start, out.offset));
    if (!moved) co_return Conflict("offset_mismatch", "The upload moved meanwhile.");
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return std::move(committed).error();
    }
  }
  if (failure) co_return std::move(*failure);
  co_return out;
}

awaitable<base::Result<std::string>> UploadHandlers::Finish(
    const std::string& tenant_id, uint64_t quota, const files::UploadRecord& upload) const {
  TENANTD_CO_TRY(base::UniqueFd fd, staging.OpenRead(tenant_id, upload.id));
  const base::TimePoint now = clock->Now();
  files::FileRecord file;
  file.id = base::NewId(files::kFileIdPrefix);
  file.filename = upload.filename;
  file.content_type = upload.content_type;
  file.size = upload.length;
  file.created_at = base::FormatRfc3339(now);
  TENANTD_CO_TRY(std::unique_ptr<files::BlobUpload> blob,
                 blobs.BeginUpload(tenant_id, file.id, now));
  file.storage_key = blob->storage_key();

  // Streamed into the store (a multipart upload on S3) and hashed on the way.
  crypto::Sha256Stream sha;
  auto buffer = std::make_shared<std::vector<char>>(kUploadChunk * 4);
  uint64_t copied = 0;
  while (copied < upload.length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<uint64_t>(buffer->size(), upload.length - copied));
    TENANTD_CO_TRY(const std::size_t n, co_await ReadAt(blocking, fd.get(), buffer, want, copied));
    if (n == 0) co_return base::Internal("staging file of " + upload.id + " is short");
    const std::string_view bytes(buffer->data(), n);
    sha.Update(bytes);
    if (auto appended = co_await blob->Append(bytes); !appended) {
      co_return std::move(appended).error();
    }
    copied += n;
  }
  file.sha256 = sha.FinishHex();
  if (auto published = co_await blob->Publish(); !published) co_return std::move(published).error();
  {
    TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx,
                   co_await data.Begin(tenant_id, Access::kWrite));
    // Deleted first: its own reservation must not count against the file.
    TENANTD_CO_TRY(const std::optional<files::UploadRecord> gone,
                   co_await files::DeleteUpload(*tx, upload.id));
    if (!gone || gone->received != upload.received) {
      co_return Conflict("offset_mismatch", "The upload moved meanwhile.");
    }
    const std::string now_text = file.created_at;
    base::Status inserted = co_await files::InsertFile(*tx, file, quota, now_text);
    if (inserted) inserted = co_await tx->Commit();
    if (!inserted) co_return std::move(inserted).error();
  }
  blob->Commit();
  staging.Remove(tenant_id, upload.id);
  co_return file.id;
}

}  // namespace tenantd::tenant_api
