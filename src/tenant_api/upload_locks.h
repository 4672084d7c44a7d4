// Per-upload locks of the tus routes (api.md §14): while one PATCH (or
// DELETE) of an upload runs, another one for the same upload is refused
// with 409 rather than queued. The client computed its Upload-Offset from
// a HEAD before the running PATCH moved it, so after waiting it would be
// refused anyway; a 409 sends stock clients (tus-js-client) back to HEAD at
// once, and a stalled first request cannot pile up waiters. The lock is
// per process: a tus upload's staged bytes live on the node that took them
// (files/upload_staging.h), so its requests must reach that node anyway.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace tenantd::tenant_api {

class UploadLocks {
 public:
  // Held while alive.
  class Held {
   public:
    Held(UploadLocks& locks, std::string key) : locks_(&locks), key_(std::move(key)) {}
    Held(Held&& other) noexcept : locks_(other.locks_), key_(std::move(other.key_)) {
      other.locks_ = nullptr;
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    Held& operator=(Held&&) = delete;
    ~Held() {
      if (locks_ != nullptr) locks_->Release(key_);
    }

   private:
    UploadLocks* locks_;
    std::string key_;
  };

  // nullopt when the upload is locked already. Thread-safe.
  std::optional<Held> TryLock(std::string_view tenant_id, std::string_view upload_id) {
    std::string key(tenant_id);
    key += '/';
    key += upload_id;
    std::lock_guard lock(mu_);
    if (!held_.insert(key).second) return std::nullopt;
    return std::optional<Held>(std::in_place, *this, std::move(key));
  }

 private:
  void Release(const std::string& key) {
    std::lock_guard lock(mu_);
    held_.erase(key);
  }

  std::mutex mu_;
  std::set<std::string> held_;
};

}  // namespace tenantd::tenant_api
