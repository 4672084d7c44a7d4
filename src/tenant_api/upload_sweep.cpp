#include "tenant_api/upload_sweep.h"

#include "base/time.h"
#include "files/blob_store.h"
#include "files/pending_store.h"
#include "files/upload_staging.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

using boost::asio::awaitable;

namespace {

// Rows removed per transaction: a tenant with very many expired rows is
// swept over several short transactions instead of one long write lock.
constexpr int kBatch = 200;

}  // namespace

void UploadSweep::Watch(std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  watched_.emplace(tenant_id);
}

std::size_t UploadSweep::watched() const {
  std::lock_guard lock(mu_);
  return watched_.size();
}

awaitable<std::vector<std::string>> UploadSweep::Run() {
  std::vector<std::string> tenants;
  {
    std::lock_guard lock(mu_);
    tenants.assign(watched_.begin(), watched_.end());
  }
  std::vector<std::string> lines;
  for (const std::string& tenant_id : tenants) {
    bool done = false;
    std::string line = co_await SweepTenant(tenant_id, done);
    if (!line.empty()) lines.push_back(std::move(line));
    if (done) {
      // Dropped unless a route watched it again meanwhile: then the next
      // pass looks once more, which costs one query.
      std::lock_guard lock(mu_);
      watched_.erase(tenant_id);
    }
  }
  co_return lines;
}

awaitable<std::string> UploadSweep::SweepTenant(const std::string& tenant_id, bool& done) {
  const std::string now = base::FormatRfc3339(clock_.Now());
  std::size_t pending_removed = 0;
  std::size_t uploads_removed = 0;
  for (;;) {
    files::Expired expired;
    bool left = true;
    {
      auto tx = co_await data_.Begin(tenant_id, tenant_db::Access::kWrite);
      if (!tx) {
        // Dropped from the list either way: a purged tenant has nothing
        // left, and one being restored or migrated is watched again by its
        // next upload or the next start (readers ignore expired rows
        // meanwhile, so only disk space waits).
        done = true;
        const base::Error& e = tx.error();
        if (e.code == base::ErrorCode::kNotFound || e.code == base::ErrorCode::kUnavailable) {
          co_return std::string();
        }
        co_return "could not sweep expired uploads of " + tenant_id + ": " + e.log_detail;
      }
      auto taken = co_await files::TakeExpired(**tx, now, kBatch);
      if (!taken)
        co_return "could not sweep expired uploads of " + tenant_id + ": " +
            taken.error().log_detail;
      auto any = co_await files::HasTransfers(**tx);
      if (!any)
        co_return "could not sweep expired uploads of " + tenant_id + ": " + any.error().log_detail;
      if (auto committed = co_await (*tx)->Commit(); !committed) {
        co_return "could not sweep expired uploads of " + tenant_id + ": " +
            committed.error().log_detail;
      }
      expired = std::move(*taken);
      left = *any;
    }
    // The rows are gone first: a crash now leaves bytes no row names (a
    // later purge or an S3 lifecycle rule takes them), never a row whose
    // bytes are gone.
    for (const std::string& key : expired.pending_keys) {
      if (files::IsStorageKey(key)) (void)co_await blobs_.Remove(tenant_id, key);
    }
    for (const std::string& id : expired.upload_ids) staging_.Remove(tenant_id, id);
    pending_removed += expired.pending_keys.size();
    uploads_removed += expired.upload_ids.size();
    if (!expired.more) {
      done = !left;
      break;
    }
  }
  if (pending_removed == 0 && uploads_removed == 0) co_return std::string();
  co_return "removed " + std::to_string(pending_removed) + " expired pending file(s) and " +
      std::to_string(uploads_removed) + " expired resumable upload(s) of " + tenant_id;
}

}  // namespace tenantd::tenant_api
