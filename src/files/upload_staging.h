// Where the bytes of tus uploads in progress wait (api.md §14 "Resumable
// uploads"): one file per upload, <data>/storage/uploads/<tenant_id>/tus/
// <upload_id>, mode 0600, on either blob store. Only the first `received`
// bytes (uploads row, pending_store.h) count: each append opens the file
// at that offset and cuts off whatever lies past it, which after a crash
// or a refused checksum are bytes nobody acknowledged. When the last byte
// arrives the whole file is streamed into the blob store (on S3 as a
// multipart upload) and removed.
//
// The folder sits inside the tenant's upload tree so a purge removes it
// with the tenant; backups copy only files that have metadata rows, so
// staging files never enter an archive.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace boost::asio {
class thread_pool;
}

namespace tenantd::files {

class UploadStaging {
 public:
  // `blocking` runs fsyncs; null runs them on the caller's thread.
  UploadStaging(std::filesystem::path data_dir, boost::asio::thread_pool* blocking);

  std::filesystem::path PathOf(std::string_view tenant_id, std::string_view upload_id) const;

  // An empty staging file for a new upload (its folder made as needed).
  base::Status Create(std::string_view tenant_id, std::string_view upload_id) const;
  // The file open for writing at `offset`, everything past it cut off.
  // kNotFound "upload_lost" when the file is missing or shorter than
  // `offset` (its bytes were lost, e.g. by a restore of the tenant).
  base::Result<base::UniqueFd> OpenAt(std::string_view tenant_id, std::string_view upload_id,
                                      uint64_t offset) const;
  base::Result<base::UniqueFd> OpenRead(std::string_view tenant_id,
                                        std::string_view upload_id) const;
  // Writes all of `data` at the file's position (into the page cache: cheap
  // enough for an event-loop thread, as in LocalBlobStore).
  static base::Status Write(int fd, std::string_view data);
  // Makes what was written durable, on the worker pool.
  boost::asio::awaitable<base::Status> Sync(int fd) const;
  // Removes the file; a missing one is not an error.
  void Remove(std::string_view tenant_id, std::string_view upload_id) const;
  // Tenants that have a staging folder (the sweep's start after a restart).
  std::vector<std::string> Tenants() const;

 private:
  std::filesystem::path uploads_;
  boost::asio::thread_pool* blocking_;
};

}  // namespace tenantd::files
