// Where file bytes live (api.md §6, §14). Two stores implement this: the
// local one (LocalBlobStore: <data>/storage/uploads/<tenant_id>/yyyy/mm/dd/
// <file_id>, the embedded default) and an S3-compatible bucket
// (S3BlobStore: tenant-<tenant_id>/yyyy/mm/dd/<file_id>). Metadata is not
// the store's business: it lives in the tenant database, and a file exists
// for clients only once its row does.
//
// Every call that may wait for I/O is a coroutine on the caller's event
// loop and never blocks it (the local store sends its fsyncs to a worker
// pool).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "base/unique_fd.h"

namespace tenantd::files {

// An upload in progress. Nothing of it is visible under its key until
// Publish(); destroying it before Commit() removes every trace (a remote
// store does so in the background, on the executor the upload last used).
class BlobUpload {
 public:
  virtual ~BlobUpload() = default;
  const std::string& storage_key() const { return storage_key_; }

  // Takes bytes as they arrive. Memory stays bounded: a remote store sends
  // a part whenever its buffer is full, and the caller waits meanwhile
  // (back-pressure on the client).
  virtual boost::asio::awaitable<base::Status> Append(std::string_view data) = 0;
  // Makes the bytes durable and places them under the key. Still undone by
  // destruction until Commit().
  virtual boost::asio::awaitable<base::Status> Publish() = 0;
  // The metadata row is committed: the bytes now belong to the file.
  virtual void Commit() = 0;

 protected:
  explicit BlobUpload(std::string storage_key) : storage_key_(std::move(storage_key)) {}

 private:
  std::string storage_key_;
};

// Bytes of a blob as they arrive from a remote store.
class BlobStream {
 public:
  virtual ~BlobStream() = default;
  // Fills up to out.size() bytes; 0 = the end.
  virtual boost::asio::awaitable<base::Result<std::size_t>> Read(std::span<char> out) = 0;
};

struct OpenBlob {
  uint64_t size = 0;  // of the whole blob, whatever range was asked for
  // Local store: the whole file, for the caller to send the range from
  // (sendfile). Remote store: invalid, and `stream` carries the range.
  base::UniqueFd fd;
  std::unique_ptr<BlobStream> stream;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Starts storing the bytes of a new file; its key is derived from the
  // creation day and the id ("2026/11/23/fil_…").
  base::Result<std::unique_ptr<BlobUpload>> BeginUpload(std::string_view tenant_id,
                                                        std::string_view file_id,
                                                        base::TimePoint created);
  // Starts storing bytes under `storage_key` (IsStorageKey): a file's, or
  // one of its image variants'.
  virtual base::Result<std::unique_ptr<BlobUpload>> BeginUploadAt(std::string_view tenant_id,
                                                                  std::string storage_key) = 0;
  // Opens `length` bytes from `offset` (length 0 = to the end). kNotFound
  // when the bytes are missing.
  virtual boost::asio::awaitable<base::Result<OpenBlob>> Open(std::string_view tenant_id,
                                                              std::string_view storage_key,
                                                              uint64_t offset, uint64_t length) = 0;
  // The size of the stored bytes; kNotFound when they are missing.
  virtual boost::asio::awaitable<base::Result<uint64_t>> Size(std::string_view tenant_id,
                                                              std::string_view storage_key) = 0;
  // Removes one file's bytes; absent bytes are not an error.
  virtual boost::asio::awaitable<base::Status> Remove(std::string_view tenant_id,
                                                      std::string_view storage_key) = 0;
  // Removes every file of a tenant (purge).
  virtual boost::asio::awaitable<base::Status> RemoveTenant(std::string_view tenant_id) = 0;

  // Name/value pairs of PresignedUrl, not encoded.
  using Params = std::vector<std::pair<std::string, std::string>>;
  // A URL that performs `method` (PUT or GET) on the blob under
  // `storage_key` without credentials until `expires_seconds` after `now`
  // (api.md §14 "Direct upload and download URLs"), so the bytes bypass
  // tenantd; nullopt when the store cannot make one (the local store:
  // tenantd then signs a URL of its own). `query` adds signed query
  // parameters (response-content-disposition), `headers` signed headers the
  // client must send as given (Content-Type, Content-Length).
  virtual std::optional<std::string> PresignedUrl(std::string_view method,
                                                  std::string_view tenant_id,
                                                  std::string_view storage_key, base::TimePoint now,
                                                  int64_t expires_seconds, const Params& query,
                                                  const Params& headers) const {
    (void)method, (void)tenant_id, (void)storage_key, (void)now, (void)expires_seconds, (void)query,
        (void)headers;
    return std::nullopt;
  }
};

// True for keys of the shape BeginUpload makes, and for those keys with a
// variant's suffix (".256x256.webp", files/variant_store.h). Keys come from
// tenant databases (which a restore can bring from elsewhere), so they are
// checked before they become part of a path or an object name.
bool IsStorageKey(std::string_view key);

// The key BeginUpload gives a file: "yyyy/mm/dd/<file_id>" of its UTC
// creation day.
std::string StorageKeyFor(std::string_view file_id, base::TimePoint created);

}  // namespace tenantd::files
