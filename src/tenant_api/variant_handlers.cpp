// Image variants (api.md §14): a scaled copy of an image file, made on its
// first request on the worker pool (libvips, images/image_variant.h),
// stored in the blob store beside the file and recorded in the tenant's
// `file_variants`, then served like the file itself (ETag, 304, ranges).
// A variant whose bytes went missing (a restore brings back rows, not
// derived bytes) is simply made again.
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <vector>

#include "base/off_loop.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "files/blob_store.h"
#include "files/file_store.h"
#include "files/variant_store.h"
#include "images/image_variant.h"
#include "images/variant_spec.h"
#include "storage/errors.h"
#include "tenant_api/file_common.h"
#include "tenant_api/file_handlers.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

namespace asio = boost::asio;
using asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::Access;

namespace {

// Images larger than this are not read into memory to be scaled: 64 MiB
// holds a 50-megapixel JPEG many times over, and bounds what one variant
// request costs in memory.
constexpr uint64_t kMaxSourceBytes = 64ull << 20;

// How long a request waits for another one making the same variant.
constexpr std::chrono::seconds kFlightWait{30};

base::Error NoSuchVariant() {
  return base::NotFound(
      "No such variant: variants are <W>x<H>.<png|webp|jpeg> in the configured sizes.");
}

base::Error TooLarge() {
  return base::MakeError(base::ErrorCode::kInvalidArgument, "image_rejected",
                         "The image cannot be processed: it is larger than " +
                             std::to_string(kMaxSourceBytes >> 20) + " MiB.");
}

// "photo.jpg" + "256x256.webp" -> "photo-256x256.webp".
std::string VariantFilename(std::string_view filename, std::string_view variant) {
  const std::size_t dot = filename.rfind('.');
  const std::string_view stem =
      dot == 0 || dot == std::string_view::npos ? filename : filename.substr(0, dot);
  const std::size_t ext = variant.find('.');
  return std::string(stem) + "-" + std::string(variant.substr(0, ext)) +
         std::string(variant.substr(ext));
}

// The variant as a file, for ServeFile.
files::FileRecord AsFile(const files::FileRecord& of, const files::VariantRecord& v,
                         const images::VariantSpec& spec) {
  files::FileRecord f;
  f.id = of.id;
  f.filename = VariantFilename(of.filename, v.variant);
  f.content_type = std::string(images::ContentType(spec.format));
  f.size = v.size;
  f.sha256 = v.sha256;
  f.storage_key = v.storage_key;
  f.created_at = v.created_at;
  f.is_public = of.is_public;
  return f;
}

// The whole file's bytes: read on the worker pool from the local store's
// descriptor, or streamed from a remote store.
awaitable<base::Result<std::string>> ReadWhole(files::BlobStore& blobs, asio::thread_pool& blocking,
                                               const std::string& tenant_id,
                                               const files::FileRecord& file) {
  TENANTD_CO_TRY(files::OpenBlob blob, co_await blobs.Open(tenant_id, file.storage_key, 0, 0));
  if (blob.size > kMaxSourceBytes) co_return TooLarge();
  if (blob.fd.valid()) {
    const int fd = blob.fd.get();
    const std::size_t size = static_cast<std::size_t>(blob.size);
    std::function<base::Result<std::string>()> read = [fd, size]() -> base::Result<std::string> {
      std::string bytes(size, '\0');
      std::size_t done = 0;
      while (done < size) {
        const ssize_t n = ::pread(fd, bytes.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return base::Internal("variant: reading the image failed");
        done += static_cast<std::size_t>(n);
      }
      return bytes;
    };
    co_return co_await base::OffLoop(&blocking, std::move(read));
  }
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(blob.size));
  std::vector<char> chunk(kUploadChunk);
  for (;;) {
    TENANTD_CO_TRY(const std::size_t n, co_await blob.stream->Read(std::span<char>(chunk)));
    if (n == 0) break;
    if (bytes.size() + n > kMaxSourceBytes) co_return TooLarge();
    bytes.append(chunk.data(), n);
  }
  co_return bytes;
}

// Holds a VariantFlights key for as long as it lives.
class Flight {
 public:
  Flight(VariantFlights& flights, std::string key) : flights_(flights), key_(std::move(key)) {}
  ~Flight() {
    if (held_) flights_.Finish(key_);
  }
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;

  // Waits (without blocking the loop) until no other request of this
  // process is making the variant; false after kFlightWait.
  awaitable<bool> Take() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + kFlightWait;
    while (!(held_ = flights_.Start(key_))) {
      if (std::chrono::steady_clock::now() > deadline) co_return false;
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return true;
  }

 private:
  VariantFlights& flights_;
  std::string key_;
  bool held_ = false;
};

}  // namespace

bool VariantFlights::Start(const std::string& key) {
  std::lock_guard lock(mu_);
  return making_.insert(key).second;
}

void VariantFlights::Finish(const std::string& key) {
  std::lock_guard lock(mu_);
  making_.erase(key);
}

awaitable<Response> FileHandlers::ServeVariant(Request& req, RequestContext& ctx,
                                               const std::string& tenant_id,
                                               const files::FileRecord& file,
                                               std::string_view cache_control) const {
  const std::optional<images::VariantSpec> spec =
      images::ParseVariantName(req.PathParam("variant"));
  bool configured = false;
  if (spec && image_sizes != nullptr) {
    for (const images::Size& size : *image_sizes) configured = configured || size == spec->size;
  }
  if (!configured) co_return Problem(NoSuchVariant(), ctx);
  // The canonical name, whatever the request spelled.
  const std::string name = images::VariantName(*spec);

  // Once made, a variant is served as stored; its bytes gone missing, it is
  // forgotten and made once more.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<files::VariantRecord> variant;
    {
      auto tx = co_await data.Begin(tenant_id, Access::kRead);
      if (!tx) co_return Problem(tx.error(), ctx);
      auto found = co_await files::GetVariant(**tx, file.id, name);
      if (!found) co_return Problem(found.error(), ctx);
      variant = std::move(*found);
    }
    if (!variant) {
      Flight flight(*variant_flights, tenant_id + "/" + file.id + "/" + name);
      if (!co_await flight.Take()) {
        co_return Problem(base::MakeError(base::ErrorCode::kUnavailable, "variant_busy",
                                          "The variant is still being made; retry shortly."),
                          ctx);
      }
      auto made = co_await MakeVariant(tenant_id, QuotaOf(plans, ctx), file, *spec, name);
      if (!made) co_return Problem(made.error(), ctx);
      variant = std::move(*made);
    }
    Response res = co_await ServeFile(blobs, req, ctx, tenant_id, AsFile(file, *variant, *spec),
                                      cache_control);
    if (res.status != 404 || attempt == 1) co_return res;
    auto tx = co_await data.Begin(tenant_id, Access::kWrite);
    if (!tx) co_return Problem(tx.error(), ctx);
    if (auto forgot = co_await files::DeleteVariant(**tx, file.id, name); !forgot) {
      co_return Problem(forgot.error(), ctx);
    }
    if (auto committed = co_await (*tx)->Commit(); !committed) {
      co_return Problem(committed.error(), ctx);
    }
  }
  co_return Problem(NoSuchVariant(), ctx);  // not reached
}

awaitable<base::Result<files::VariantRecord>> FileHandlers::MakeVariant(
    const std::string& tenant_id, uint64_t quota, const files::FileRecord& file,
    const images::VariantSpec& spec, const std::string& name) const {
  // Made by another request while this one waited for it?
  {
    TENANTD_CO_TRY(auto tx, co_await data.Begin(tenant_id, Access::kRead));
    TENANTD_CO_TRY(std::optional<files::VariantRecord> found,
                   co_await files::GetVariant(*tx, file.id, name));
    if (found) co_return std::move(*found);
  }
  TENANTD_CO_TRY(std::string source, co_await ReadWhole(blobs, blocking, tenant_id, file));
  std::function<base::Result<std::string>()> scale = [&source, spec] {
    return images::MakeVariant(source, spec);
  };
  TENANTD_CO_TRY(std::string bytes, co_await base::OffLoop(&blocking, std::move(scale)));
  source = std::string();  // the original's memory back before the upload

  const base::TimePoint now = clock->Now();
  files::VariantRecord v;
  v.file_id = file.id;
  v.variant = name;
  v.size = bytes.size();
  v.sha256 = crypto::Sha256Hex(bytes);
  v.storage_key = files::VariantStorageKey(file.storage_key, name);
  v.created_at = base::FormatRfc3339(now);

  TENANTD_CO_TRY(std::unique_ptr<files::BlobUpload> upload,
                 blobs.BeginUploadAt(tenant_id, v.storage_key));
  TENANTD_CO_RETURN_IF_ERROR(co_await upload->Append(bytes));
  TENANTD_CO_RETURN_IF_ERROR(co_await upload->Publish());
  const std::string now_text = base::FormatRfc3339(now);
  TENANTD_CO_TRY(auto tx, co_await data.Begin(tenant_id, Access::kWrite));
  TENANTD_CO_TRY(const bool inserted, co_await files::InsertVariant(*tx, v, quota, now_text));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  // Inserted or not, the bytes stay: another node that made the variant
  // meanwhile wrote the same bytes under the same key.
  (void)inserted;
  upload->Commit();
  co_return v;
}

awaitable<Response> FileHandlers::Variant(Request& req, RequestContext& ctx) const {
  auto file = co_await FindOwnFile(req, ctx);
  if (!file) co_return Problem(file.error(), ctx);
  co_return co_await ServeVariant(req, ctx, ctx.auth.tenant_id, *file, kPrivateCache);
}

awaitable<Response> FileHandlers::PublicVariant(Request& req, RequestContext& ctx) const {
  files::FileRecord file;
  if (auto refused = co_await FindPublicFile(req, ctx, file)) co_return std::move(*refused);
  co_return co_await ServeVariant(req, ctx, ctx.auth.tenant_id, file, kPublicCache);
}

}  // namespace tenantd::tenant_api
