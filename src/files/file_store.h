// File metadata in the tenant's own data (table `files`,
// src/tenant_db/migrations/0003_files.sql and 0004_public_files.sql). Like products, every function
// works in one transaction on the tenant's data (tenant_db::TenantData::
// Begin), so a tenant only ever reaches its own rows; the caller commits.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "storage/database.h"

namespace tenantd::files {

inline constexpr std::string_view kFileIdPrefix = "fil";

struct FileRecord {
  std::string id;  // "fil_…"
  std::string filename;
  std::string content_type;
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
  std::string storage_key;
  std::string created_at;  // RFC 3339 UTC, milliseconds
  // Served without credentials at /public/<slug>/<id>/<filename> (api.md
  // §14); new files are private. InsertFile stores it as given.
  bool is_public = false;
};

struct FileTotals {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

template <class T>
using Async = boost::asio::awaitable<base::Result<T>>;

// kNotFound "not_found", shared by every route that names a file.
base::Error NoSuchFile();

Async<FileTotals> ReadTotals(storage::Transaction& tx);

// Inserts `file` unless the tenant's stored bytes, plus what pending files
// and resumable uploads unexpired at `now` have reserved (pending_store.h,
// UsedBytes), would then exceed `quota_bytes` (0 = no quota): 413
// quota_exceeded. In a write transaction the check and the insert hold the
// tenant's write lock together, so concurrent uploads cannot together pass
// the quota. A pending file or upload becoming this file is deleted first
// in the same transaction, so its own reservation does not count twice.
boost::asio::awaitable<base::Status> InsertFile(storage::Transaction& tx, const FileRecord& file,
                                                uint64_t quota_bytes, std::string_view now);

Async<std::optional<FileRecord>> GetFile(storage::Transaction& tx, std::string_view id);

// Files after `after_id` in creation order, at most `limit`.
Async<std::vector<FileRecord>> ListFiles(storage::Transaction& tx, std::string_view after_id,
                                         int limit);

// Publishes (`is_public`) or withdraws the file and returns its row as it
// now is; nullopt when there is no such file. Commit to make it visible:
// the public route reads the row on every request, so the next request
// after the commit sees the change.
Async<std::optional<FileRecord>> SetFilePublic(storage::Transaction& tx, std::string_view id,
                                               bool is_public);

// Deletes the row and returns it (its storage key names the bytes to remove).
Async<std::optional<FileRecord>> DeleteFile(storage::Transaction& tx, std::string_view id);

// 413 quota_exceeded, with the quota in the message.
base::Error QuotaExceeded(uint64_t quota_bytes);

}  // namespace tenantd::files
