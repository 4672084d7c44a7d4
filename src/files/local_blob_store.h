// The blob store on the local file system (the embedded default).
//
// An upload is written to <data>/storage/tmp/<tenant>.<yyyy-mm-dd>.<file>.part
// (O_EXCL, mode 0600). Publish fsyncs it and hard-links it to its final
// name under uploads/ (fsyncing the directories it created or changed);
// Commit, after the metadata row is committed, removes the temporary name.
// So after a crash every upload that had not finished still has its
// temporary name, and Recover() (at start-up, before serving) removes it,
// along with its final name when no metadata row claims it: nothing
// half-written survives, and nothing committed is lost.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "files/blob_store.h"

namespace boost::asio {
class thread_pool;
}

namespace tenantd::files {

class LocalBlobStore : public BlobStore {
 public:
  // `blocking` runs what blocks (the fsyncs of Publish); null runs it on
  // the caller's thread (tools and tests without an event loop to spare).
  explicit LocalBlobStore(std::filesystem::path data_dir,
                          boost::asio::thread_pool* blocking = nullptr);

  // <data>/storage/uploads/<tenant_id>
  static std::filesystem::path TenantDir(const std::filesystem::path& data_dir,
                                         std::string_view tenant_id);

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

  // The same, for callers without an event loop (purge from the CLI).
  base::Status RemoveTenantNow(std::string_view tenant_id);

  // Answers whether a committed metadata row names this file of this tenant.
  using HasMetadata =
      std::function<base::Result<bool>(std::string_view tenant_id, std::string_view file_id)>;
  struct Recovered {
    std::size_t temporaries = 0;  // unfinished uploads cleaned up
    std::size_t published = 0;    // of which the final name was removed too
  };
  // Cleans up after uploads a crash interrupted (see above). Run before
  // serving, while no upload is in progress.
  base::Result<Recovered> Recover(const HasMetadata& has_metadata);

 private:
  base::Result<OpenBlob> OpenNow(std::string_view tenant_id, std::string_view storage_key);

  std::filesystem::path uploads_;
  std::filesystem::path tmp_;
  boost::asio::thread_pool* blocking_;
};

}  // namespace tenantd::files
