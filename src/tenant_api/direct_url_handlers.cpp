// Direct upload and download URLs (api.md §14): the bytes go between the
// client and the blob store without passing through tenantd where the store
// allows it (S3 presigned URLs); on the local store tenantd signs URLs of
// its own that work without credentials until they expire.
//
// A direct upload is a pending file (files/pending_store.h) until
// /complete has checked its bytes; pending files never appear among the
// tenant's files, and those never completed expire with their URL and are
// swept with their bytes (UploadSweep).
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <vector>

#include "auth/directory.h"
#include "base/ids.h"
#include "base/off_loop.h"
#include "base/text.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "files/blob_store.h"
#include "files/file_links.h"
#include "files/file_store.h"
#include "files/filename.h"
#include "files/pending_store.h"
#include "files/tus.h"
#include "http/body_reader.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "tenant_api/file_common.h"
#include "tenant_api/file_handlers.h"
#include "tenant_api/upload_sweep.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

namespace asio = boost::asio;
using asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::Access;

namespace {

// How long an upload URL lives (api.md §14), and with it the pending file.
constexpr std::chrono::seconds kUploadUrlLife{15 * 60};

int64_t UnixSeconds(base::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

base::Error Conflict(std::string code, std::string message) {
  return base::MakeError(base::ErrorCode::kFailedPrecondition, std::move(code), std::move(message));
}

// The hex SHA-256 and size of a stored blob, read back in bounded memory:
// from the local file on the worker pool (disk reads never stall an event
// loop), or streamed from a remote store.
struct Digest {
  std::string sha256;
  uint64_t size = 0;
};
awaitable<base::Result<Digest>> HashBlob(files::BlobStore& blobs, asio::thread_pool& blocking,
                                         std::string_view tenant_id, std::string_view storage_key) {
  TENANTD_CO_TRY(files::OpenBlob blob, co_await blobs.Open(tenant_id, storage_key, 0, 0));
  if (blob.fd.valid()) {
    std::function<base::Result<Digest>()> hash =
        [fd = std::make_shared<base::UniqueFd>(std::move(blob.fd))]() -> base::Result<Digest> {
      crypto::Sha256Stream sha;
      std::vector<char> buffer(kUploadChunk);
      Digest d;
      for (;;) {
        const ssize_t n =
            ::pread(fd->get(), buffer.data(), buffer.size(), static_cast<off_t>(d.size));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return base::Internal("read a stored file to hash it");
        if (n == 0) break;
        sha.Update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        d.size += static_cast<uint64_t>(n);
      }
      d.sha256 = sha.FinishHex();
      return d;
    };
    co_return co_await base::OffLoop(&blocking, std::move(hash));
  }
  crypto::Sha256Stream sha;
  std::vector<char> buffer(kUploadChunk);
  Digest d;
  for (;;) {
    TENANTD_CO_TRY(const std::size_t n, co_await blob.stream->Read(buffer));
    if (n == 0) break;
    sha.Update(std::string_view(buffer.data(), n));
    d.size += n;
  }
  d.sha256 = sha.FinishHex();
  co_return d;
}

}  // namespace

awaitable<Response> FileHandlers::CreateUploadUrl(Request& req, RequestContext& ctx) const {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto errors = http::UnknownFields(*body, {"filename", "content_type", "size", "sha256"});
  std::optional<std::string> filename, content_type, sha256;
  std::optional<int64_t> size;
  http::ReadString(*body, "filename", filename, errors);
  http::ReadString(*body, "content_type", content_type, errors);
  http::ReadString(*body, "sha256", sha256, errors);
  http::ReadInteger(*body, "size", 0, INT64_MAX, size, errors);
  if (!filename) errors.push_back({"filename", "filename is required."});
  if (!size && !body->contains("size")) errors.push_back({"size", "size is required (bytes)."});
  std::optional<std::string> expected_sha;
  if (sha256) {
    const auto raw = crypto::HexDecode(*sha256);
    if (sha256->size() != 64 || !raw) {
      errors.push_back({"sha256", "sha256 must be the hex SHA-256 of the file."});
    } else {
      expected_sha = crypto::HexEncode(*raw);
    }
  }
  if (!errors.empty()) co_return Problem(base::ValidationFailed(std::move(errors)), ctx);
  if (max_upload_size != 0 && static_cast<uint64_t>(*size) > max_upload_size) {
    co_return Problem(BodyProblem(http::BodyError::kTooLarge, max_upload_size), ctx);
  }
  const uint64_t quota = QuotaOf(plans, ctx);

  const base::TimePoint now = clock->Now();
  const auto expires = std::chrono::time_point_cast<std::chrono::seconds>(now + kUploadUrlLife);
  files::PendingFile pending;
  files::FileRecord& file = pending.file;
  file.id = base::NewId(files::kFileIdPrefix);
  file.filename = files::SanitizeFilename(*filename);
  file.content_type = StoredContentType(content_type.value_or("application/octet-stream"));
  file.size = static_cast<uint64_t>(*size);
  file.sha256 = expected_sha.value_or("");
  file.storage_key = files::StorageKeyFor(file.id, now);
  file.created_at = base::FormatRfc3339(now);
  pending.expires_at = base::FormatRfc3339(expires);
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    base::Status inserted = co_await files::InsertPending(**tx, pending, quota, file.created_at);
    if (inserted) inserted = co_await (*tx)->Commit();
    if (!inserted) co_return Problem(inserted.error(), ctx);
  }
  if (sweep != nullptr) sweep->Watch(ctx.auth.tenant_id);

  // The client sends these as given; S3 checks both (they are signed).
  const std::string length = std::to_string(file.size);
  const files::BlobStore::Params headers = {{"Content-Type", file.content_type},
                                            {"Content-Length", length}};
  const int64_t life = std::chrono::duration_cast<std::chrono::seconds>(expires - now).count();
  std::optional<std::string> url =
      blobs.PresignedUrl("PUT", ctx.auth.tenant_id, file.storage_key, now, life, {}, headers);
  if (!url && upload_links != nullptr) {
    url = public_url + "/v1/files/" + file.id + "/content?" +
          upload_links->MakeQuery(ctx.auth.tenant_id, file.id, UnixSeconds(expires));
  }
  if (!url) co_return Problem(base::Internal("no way to make an upload URL"), ctx);
  boost::json::object header_json;
  for (const auto& [name, value] : headers) header_json[name] = value;
  Response res = JsonAnswer(
      201, boost::json::object{
               {"file", FileJson(file, PublicPrefix(public_url, ctx.tenant_slug), "pending")},
               {"upload", boost::json::object{{"url", *url},
                                              {"method", "PUT"},
                                              {"headers", std::move(header_json)},
                                              {"expires_at", pending.expires_at}}}});
  co_return res;
}

awaitable<Response> FileHandlers::PutContent(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  const std::string tenant_id = ctx.auth.tenant_id;
  const std::string now_text = base::FormatRfc3339(clock->Now());
  std::optional<files::PendingFile> pending;
  {
    auto tx = co_await data.Begin(tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto found = co_await files::GetPending(**tx, id, now_text);
    if (!found) co_return Problem(found.error(), ctx);
    pending = std::move(*found);
  }
  if (!pending) co_return Problem(files::NoSuchFile(), ctx);
  if (!pending->received_sha256.empty()) {
    co_return Problem(Conflict("upload_url_used", "This upload URL was used already."), ctx);
  }
  const uint64_t expected = pending->file.size;
  auto size_mismatch = [&](uint64_t got) {
    return Problem(base::InvalidArgument("size_mismatch",
                                         "The upload URL is for " + std::to_string(expected) +
                                             " bytes; the body has " + std::to_string(got) + "."),
                   ctx);
  };
  http::BodyReader& body = *req.body_reader;
  if (const auto length = body.content_length(); length && *length != expected) {
    co_return size_mismatch(*length);
  }
  const auto created = base::ParseRfc3339(pending->file.created_at);
  if (!created) co_return Problem(base::Internal("pending file with a bad created_at"), ctx);
  auto upload = blobs.BeginUpload(tenant_id, pending->file.id, *created);
  if (!upload) co_return Problem(upload.error(), ctx);
  if ((*upload)->storage_key() != pending->file.storage_key) {
    co_return Problem(base::Internal("pending file's storage key does not match its id"), ctx);
  }
  crypto::Sha256Stream sha;
  uint64_t received = 0;
  std::vector<char> buffer(kUploadChunk);
  for (;;) {
    const http::BodyChunk chunk = co_await body.Read(buffer);
    if (chunk.error != http::BodyError::kNone) {
      co_return Problem(BodyProblem(chunk.error, max_upload_size), ctx);
    }
    if (chunk.size == 0) break;
    received += chunk.size;
    if (received > expected) co_return size_mismatch(received);
    const std::string_view bytes(buffer.data(), chunk.size);
    sha.Update(bytes);
    if (auto appended = co_await (*upload)->Append(bytes); !appended) {
      co_return Problem(appended.error(), ctx);
    }
  }
  if (received != expected) co_return size_mismatch(received);
  const std::string digest = sha.FinishHex();
  if (!pending->file.sha256.empty() && !crypto::ConstantTimeEqual(digest, pending->file.sha256)) {
    co_return Problem(base::InvalidArgument("content_hash_mismatch",
                                            "The body does not match the sha256 given for it; "
                                            "nothing was stored."),
                      ctx);
  }
  if (auto published = co_await (*upload)->Publish(); !published) {
    co_return Problem(published.error(), ctx);
  }
  {
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    const std::string later = base::FormatRfc3339(clock->Now());
    auto marked = co_await files::MarkReceived(**tx, id, digest, later);
    if (!marked) co_return Problem(marked.error(), ctx);
    if (!*marked) {
      co_return Problem(Conflict("upload_url_used", "This upload URL was used already."), ctx);
    }
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return Problem(committed.error(), ctx);
    }
  }
  (*upload)->Commit();
  Response res = Response::NoContent();
  res.headers.Add("ETag", "\"" + digest + "\"");
  co_return res;
}

awaitable<Response> FileHandlers::Complete(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  const std::string tenant_id = ctx.auth.tenant_id;
  const std::string prefix = PublicPrefix(public_url, ctx.tenant_slug);
  const uint64_t quota = QuotaOf(plans, ctx);
  std::optional<files::PendingFile> pending;
  {
    auto tx = co_await data.Begin(tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    const std::string now_text = base::FormatRfc3339(clock->Now());
    auto found = co_await files::GetPending(**tx, id, now_text);
    if (!found) co_return Problem(found.error(), ctx);
    pending = std::move(*found);
    if (!pending) {
      // Completed already (a retry after a lost answer): the same answer.
      auto file = co_await files::GetFile(**tx, id);
      if (!file) co_return Problem(file.error(), ctx);
      if (!*file) co_return Problem(files::NoSuchFile(), ctx);
      co_return JsonAnswer(200, boost::json::object{{"file", FileJson(**file, prefix)}});
    }
  }
  files::FileRecord file = pending->file;
  if (!pending->received_sha256.empty()) {
    // The one-time PUT counted and hashed every byte as it stored them.
    file.sha256 = pending->received_sha256;
  } else {
    auto size = co_await blobs.Size(tenant_id, file.storage_key);
    if (!size && size.error().code == base::ErrorCode::kNotFound) {
      co_return Problem(Conflict("upload_missing",
                                 "No bytes have arrived for this file yet: PUT them to the "
                                 "upload URL first."),
                        ctx);
    }
    if (!size) co_return Problem(size.error(), ctx);
    if (*size != file.size) {
      co_return Problem(Conflict("size_mismatch", "The stored object has " + std::to_string(*size) +
                                                      " bytes, not the " +
                                                      std::to_string(file.size) + " announced."),
                        ctx);
    }
    auto digest = co_await HashBlob(blobs, blocking, tenant_id, file.storage_key);
    if (!digest) co_return Problem(digest.error(), ctx);
    if (digest->size != file.size ||
        (!file.sha256.empty() && !crypto::ConstantTimeEqual(digest->sha256, file.sha256))) {
      co_return Problem(
          Conflict("content_hash_mismatch", "The stored bytes do not match the sha256 announced."),
          ctx);
    }
    file.sha256 = digest->sha256;
  }
  {
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    // Taken first, so its own reservation is not counted against it.
    auto taken = co_await files::TakePending(**tx, id);
    if (!taken) co_return Problem(taken.error(), ctx);
    if (!*taken) co_return Problem(files::NoSuchFile(), ctx);  // completed meanwhile
    const std::string now_text = base::FormatRfc3339(clock->Now());
    base::Status inserted = co_await files::InsertFile(**tx, file, quota, now_text);
    if (inserted) inserted = co_await (*tx)->Commit();
    if (!inserted) co_return Problem(inserted.error(), ctx);
  }
  co_return JsonAnswer(200, boost::json::object{{"file", FileJson(file, prefix)}});
}

awaitable<Response> FileHandlers::CreateDownloadUrl(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsFileId(id)) co_return Problem(files::NoSuchFile(), ctx);
  int64_t expires_in = 3600;
  if (const auto param = req.QueryParam("expires_in")) {
    // A plain decimal, as tus's offsets are.
    const auto parsed = files::tus::ParseOffset(*param);
    if (!parsed || *parsed < 1 || *parsed > static_cast<uint64_t>(files::kMaxLinkSeconds)) {
      co_return Problem(
          base::InvalidArgument("bad_request", "expires_in must be whole seconds from 1 to " +
                                                   std::to_string(files::kMaxLinkSeconds) + "."),
          ctx);
    }
    expires_in = static_cast<int64_t>(*parsed);
  }
  std::optional<files::FileRecord> file;
  {
    auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
    if (!tx) co_return Problem(tx.error(), ctx);
    auto found = co_await files::GetFile(**tx, id);
    if (!found) co_return Problem(found.error(), ctx);
    file = std::move(*found);
  }
  if (!file) co_return Problem(files::NoSuchFile(), ctx);
  const base::TimePoint now = clock->Now();
  const int64_t expires = UnixSeconds(now) + expires_in;
  const files::BlobStore::Params query = {
      {"response-content-disposition", files::ContentDisposition(file->filename)},
      {"response-content-type", file->content_type}};
  std::optional<std::string> url =
      blobs.PresignedUrl("GET", ctx.auth.tenant_id, file->storage_key, now, expires_in, query, {});
  if (!url) url = public_url + links.Make(ctx.auth.tenant_id, file->id, expires);
  const base::TimePoint expires_at{std::chrono::seconds(expires)};
  co_return JsonAnswer(
      200, boost::json::object{{"url", *url}, {"expires_at", base::FormatRfc3339(expires_at)}});
}

}  // namespace tenantd::tenant_api
