// The blob store in an S3-compatible bucket (api.md §14): a file's bytes
// are the object tenant-<tenant_id>/yyyy/mm/dd/<file_id>.
//
// An upload keeps at most one part in memory (part_size, 8 MiB by
// default). A file smaller than that is one signed PUT at Publish; a larger
// one becomes a multipart upload, a part sent whenever the buffer fills
// (the client waits meanwhile), completed at Publish. An upload destroyed
// before Commit aborts its multipart upload or deletes its published
// object, in the background. A crash can still leave an unfinished
// multipart upload (invisible, but billed): give the bucket a lifecycle
// rule that aborts incomplete multipart uploads after a day
// (docs/operations.md).
#pragma once

#include <memory>

#include "files/blob_store.h"

namespace tenantd::s3 {
class S3Client;
}

namespace tenantd::files {

class S3BlobStore : public BlobStore {
 public:
  // The smallest part S3 accepts (all but the last part of an upload).
  static constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;

  explicit S3BlobStore(std::shared_ptr<s3::S3Client> client,
                       std::size_t part_size = 8 * 1024 * 1024);

  // "tenant-<tenant_id>/<storage_key>"
  static std::string ObjectKey(std::string_view tenant_id, std::string_view storage_key);

  base::Result<std::unique_ptr<BlobUpload>> BeginUploadAt(std::string_view tenant_id,
                                                          std::string storage_key) override;
  boost::asio::awaitable<base::Result<OpenBlob>> Open(std::string_view tenant_id,
                                                      std::string_view storage_key, uint64_t offset,
                                                      uint64_t length) override;
  boost::asio::awaitable<base::Result<uint64_t>> Size(std::string_view tenant_id,
                                                      std::string_view storage_key) override;
  boost::asio::awaitable<base::Status> Remove(std::string_view tenant_id,
                                              std::string_view storage_key) override;
  boost::asio::awaitable<base::Status> RemoveTenant(std::string_view tenant_id) override;
  // A SigV4 presigned URL of the object (query-string authentication).
  std::optional<std::string> PresignedUrl(std::string_view method, std::string_view tenant_id,
                                          std::string_view storage_key, base::TimePoint now,
                                          int64_t expires_seconds, const Params& query,
                                          const Params& headers) const override;

  s3::S3Client& client() { return *client_; }

 private:
  std::shared_ptr<s3::S3Client> client_;
  std::size_t part_size_;
};

}  // namespace tenantd::files
