// Where file bytes live (api.md §6). The local store keeps them under
// <data>/storage/uploads/<tenant_id>/yyyy/mm/dd/<file_id>; an S3-compatible
// store can implement the same interface later (an upload then becomes a
// multipart upload, Publish its completion, Open a ranged GET). Metadata is
// not the store's business: it lives in the tenant database, and a file
// exists for clients only once its row does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "base/unique_fd.h"

namespace tenantd::files {

// An upload in progress. Nothing of it is visible under its key until
// Publish(); destroying it before Commit() removes every trace.
class BlobUpload {
 public:
  virtual ~BlobUpload() = default;
  const std::string& storage_key() const { return storage_key_; }

  // Appends bytes as they arrive (into the page cache: cheap enough for
  // an event-loop thread).
  virtual base::Status Append(std::string_view data) = 0;
  // Makes the bytes durable and places them under the key. Blocks (fsync):
  // call it off the event loop. Still undone by destruction until Commit().
  virtual base::Status Publish() = 0;
  // The metadata row is committed: the bytes now belong to the file.
  virtual void Commit() = 0;

 protected:
  explicit BlobUpload(std::string storage_key) : storage_key_(std::move(storage_key)) {}

 private:
  std::string storage_key_;
};

struct OpenBlob {
  base::UniqueFd fd;
  uint64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Starts storing the bytes of a new file; its key is derived from the
  // creation day and the id ("2026/11/23/fil_…").
  virtual base::Result<std::unique_ptr<BlobUpload>> BeginUpload(std::string_view tenant_id,
                                                                std::string_view file_id,
                                                                base::TimePoint created) = 0;
  // kNotFound when the bytes are missing.
  virtual base::Result<OpenBlob> Open(std::string_view tenant_id, std::string_view storage_key) = 0;
  // Removes one file's bytes; absent bytes are not an error.
  virtual base::Status Remove(std::string_view tenant_id, std::string_view storage_key) = 0;
  // Removes every file of a tenant (purge).
  virtual base::Status RemoveTenant(std::string_view tenant_id) = 0;
};

// True for keys of the shape BeginUpload makes. Keys come from tenant
// databases (which a restore can bring from elsewhere), so they are checked
// before they become part of a path.
bool IsStorageKey(std::string_view key);

}  // namespace tenantd::files
