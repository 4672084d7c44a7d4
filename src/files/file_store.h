// File metadata in the tenant's own database (table `files`,
// src/tenant_db/migrations/0003_files.sql). Like products, every function
// works on one tenant's storage::sqlite::Connection leased from the pool, so a tenant
// only ever reaches its own rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "storage/sqlite/connection.h"

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
};

struct FileTotals {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// kNotFound "not_found", shared by every route that names a file.
base::Error NoSuchFile();

base::Result<FileTotals> ReadTotals(storage::sqlite::Connection& db);

// Inserts `file` unless the tenant's stored bytes would then exceed
// `quota_bytes` (0 = no quota): 413 quota_exceeded. Checked and written in
// one transaction, so concurrent uploads cannot together pass the quota.
base::Status InsertFile(storage::sqlite::Connection& db, const FileRecord& file,
                        uint64_t quota_bytes);

base::Result<std::optional<FileRecord>> GetFile(storage::sqlite::Connection& db,
                                                std::string_view id);

// Files after `after_id` in creation order, at most `limit`.
base::Result<std::vector<FileRecord>> ListFiles(storage::sqlite::Connection& db,
                                                std::string_view after_id, int limit);

// Deletes the row and returns it (its storage key names the bytes to remove).
base::Result<std::optional<FileRecord>> DeleteFile(storage::sqlite::Connection& db,
                                                   std::string_view id);

// 413 quota_exceeded, with the quota in the message.
base::Error QuotaExceeded(uint64_t quota_bytes);

}  // namespace tenantd::files
