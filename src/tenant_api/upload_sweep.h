// Removes the files on their way in that expired (api.md §14): pending
// direct uploads (their URL lived 15 minutes) and tus uploads (24 hours),
// with their bytes: the blob a direct upload may have stored, the staging
// file of a tus upload. Readers already ignore expired rows
// (files/pending_store.h), so the sweep only reclaims space and quota rows.
//
// Only tenants that may have such rows are visited: every route that
// creates one calls Watch(), and at start-up the server watches every
// tenant once (rows may survive a restart). A tenant left with none is
// dropped from the watch list.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace tenantd::tenant_db {
class TenantData;
}
namespace tenantd::files {
class BlobStore;
class UploadStaging;
}  // namespace tenantd::files

namespace tenantd::tenant_api {

class UploadSweep {
 public:
  UploadSweep(tenant_db::TenantData& data, files::BlobStore& blobs,
              const files::UploadStaging& staging, const base::Clock& clock = base::ServerClock())
      : data_(data), blobs_(blobs), staging_(staging), clock_(clock) {}

  // Thread-safe.
  void Watch(std::string_view tenant_id);
  std::size_t watched() const;

  // One pass over the watched tenants. Returns what to log (one line per
  // tenant that had something removed or failed). Run on a background
  // thread's private loop (storage::RunToCompletion), one pass at a time.
  boost::asio::awaitable<std::vector<std::string>> Run();

 private:
  boost::asio::awaitable<std::string> SweepTenant(const std::string& tenant_id, bool& done);

  tenant_db::TenantData& data_;
  files::BlobStore& blobs_;
  const files::UploadStaging& staging_;
  const base::Clock& clock_;
  mutable std::mutex mu_;
  std::set<std::string> watched_;
};

}  // namespace tenantd::tenant_api
