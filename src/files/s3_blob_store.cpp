#include "files/s3_blob_store.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>
#include <vector>

#include "base/ids.h"
#include "s3/s3_client.h"

namespace tenantd::files {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::string_view kTenantPrefix = "ten";
constexpr std::string_view kFilePrefix = "fil";

base::Status CheckKey(std::string_view tenant_id, std::string_view storage_key) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix) || !IsStorageKey(storage_key)) {
    return base::Internal("S3 blob store: malformed tenant id or storage key");
  }
  return {};
}

// What an abandoned upload leaves to undo, done after it is gone.
awaitable<void> Undo(std::shared_ptr<s3::S3Client> client, std::string key, std::string upload_id,
                     bool published) {
  if (!upload_id.empty() && !published) (void)co_await client->AbortMultipart(key, upload_id);
  if (published) (void)co_await client->Delete(key);
}

class S3Upload final : public BlobUpload {
 public:
  S3Upload(std::string storage_key, std::string object_key, std::shared_ptr<s3::S3Client> client,
           std::size_t part_size)
      : BlobUpload(std::move(storage_key)),
        object_key_(std::move(object_key)),
        client_(std::move(client)),
        part_size_(part_size) {
    buffer_.reserve(part_size_);
  }

  ~S3Upload() override {
    if (committed_ || !executor_ || (upload_id_.empty() && !published_)) return;
    asio::co_spawn(*executor_, Undo(client_, object_key_, upload_id_, published_), asio::detached);
  }

  awaitable<base::Status> Append(std::string_view data) override {
    executor_ = co_await asio::this_coro::executor;
    while (!data.empty()) {
      const std::size_t take = std::min(data.size(), part_size_ - buffer_.size());
      buffer_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buffer_.size() == part_size_) {
        if (auto sent = co_await SendPart(); !sent) co_return sent;
      }
    }
    co_return base::Status();
  }

  awaitable<base::Status> Publish() override {
    executor_ = co_await asio::this_coro::executor;
    if (upload_id_.empty()) {
      // Everything fitted one part: a single PUT.
      if (auto put = co_await client_->Put(object_key_, buffer_); !put) co_return put;
    } else {
      if (!buffer_.empty()) {
        if (auto sent = co_await SendPart(); !sent) co_return sent;
      }
      if (auto done = co_await client_->CompleteMultipart(object_key_, upload_id_, parts_); !done) {
        co_return done;
      }
    }
    published_ = true;
    buffer_ = std::string();
    co_return base::Status();
  }

  void Commit() override { committed_ = true; }

 private:
  awaitable<base::Status> SendPart() {
    if (upload_id_.empty()) {
      auto id = co_await client_->CreateMultipart(object_key_);
      if (!id) co_return id.error();
      upload_id_ = std::move(*id);
    }
    const int number = static_cast<int>(parts_.size()) + 1;
    auto etag = co_await client_->UploadPart(object_key_, upload_id_, number, buffer_);
    if (!etag) co_return etag.error();
    parts_.push_back({number, std::move(*etag)});
    buffer_.clear();
    co_return base::Status();
  }

  std::string object_key_;
  std::shared_ptr<s3::S3Client> client_;
  std::size_t part_size_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<s3::CompletedPart> parts_;
  std::optional<asio::any_io_executor> executor_;
  bool published_ = false;
  bool committed_ = false;
};

class S3BlobStream final : public BlobStream {
 public:
  explicit S3BlobStream(std::unique_ptr<s3::ObjectStream> stream) : stream_(std::move(stream)) {}
  awaitable<base::Result<std::size_t>> Read(std::span<char> out) override {
    co_return co_await stream_->Read(out);
  }

 private:
  std::unique_ptr<s3::ObjectStream> stream_;
};

}  // namespace

S3BlobStore::S3BlobStore(std::shared_ptr<s3::S3Client> client, std::size_t part_size)
    : client_(std::move(client)), part_size_(std::max(part_size, kMinPartSize)) {}

std::string S3BlobStore::ObjectKey(std::string_view tenant_id, std::string_view storage_key) {
  return "tenant-" + std::string(tenant_id) + "/" + std::string(storage_key);
}

base::Result<std::unique_ptr<BlobUpload>> S3BlobStore::BeginUploadAt(std::string_view tenant_id,
                                                                     std::string key) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix) || !IsStorageKey(key)) {
    return base::Internal("BeginUpload: malformed tenant id or storage key");
  }
  std::string object = ObjectKey(tenant_id, key);
  return std::unique_ptr<BlobUpload>(
      new S3Upload(std::move(key), std::move(object), client_, part_size_));
}

awaitable<base::Result<OpenBlob>> S3BlobStore::Open(std::string_view tenant_id,
                                                    std::string_view storage_key, uint64_t offset,
                                                    uint64_t length) {
  if (auto ok = CheckKey(tenant_id, storage_key); !ok) co_return ok.error();
  // Arguments of a co_await expression stay plain locals: GCC 12 mishandles
  // non-trivial temporaries there.
  const std::string key = ObjectKey(tenant_id, storage_key);
  auto stream = co_await client_->Get(key, offset, length);
  if (!stream) co_return stream.error();
  OpenBlob blob;
  blob.size = (*stream)->object_size();
  blob.stream = std::make_unique<S3BlobStream>(std::move(*stream));
  co_return blob;
}

awaitable<base::Result<uint64_t>> S3BlobStore::Size(std::string_view tenant_id,
                                                    std::string_view storage_key) {
  if (auto ok = CheckKey(tenant_id, storage_key); !ok) co_return ok.error();
  const std::string key = ObjectKey(tenant_id, storage_key);
  auto info = co_await client_->Head(key);
  if (!info) co_return info.error();
  if (!*info) co_return base::NotFound("No such file.");
  co_return (*info)->size;
}

awaitable<base::Status> S3BlobStore::Remove(std::string_view tenant_id,
                                            std::string_view storage_key) {
  if (auto ok = CheckKey(tenant_id, storage_key); !ok) co_return ok;
  const std::string key = ObjectKey(tenant_id, storage_key);
  co_return co_await client_->Delete(key);
}

awaitable<base::Status> S3BlobStore::RemoveTenant(std::string_view tenant_id) {
  if (!base::IsWellFormedId(tenant_id, kTenantPrefix)) {
    co_return base::Internal("RemoveTenant: malformed tenant id");
  }
  const std::string prefix = "tenant-" + std::string(tenant_id) + "/";
  // Deleting while listing would shift pages: list a page, delete it, and
  // list from the start again until nothing is left.
  for (;;) {
    auto page = co_await client_->List(prefix);
    if (!page) co_return page.error();
    if (page->keys.empty()) co_return base::Status();
    for (const std::string& key : page->keys) {
      if (auto removed = co_await client_->Delete(key); !removed) co_return removed;
    }
  }
}

std::optional<std::string> S3BlobStore::PresignedUrl(std::string_view method,
                                                     std::string_view tenant_id,
                                                     std::string_view storage_key,
                                                     base::TimePoint now, int64_t expires_seconds,
                                                     const Params& query,
                                                     const Params& headers) const {
  return client_->PresignedUrl(method, ObjectKey(tenant_id, storage_key), now, expires_seconds,
                               query, headers);
}

}  // namespace tenantd::files
