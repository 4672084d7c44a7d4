// Files on their way in (api.md §14), in the tenant's own data (tables
// `pending_files` and `uploads`, src/tenant_db/migrations/0005_uploads.sql):
// direct uploads waiting for /complete, and tus resumable uploads. Like
// file_store.h, every function works in the caller's transaction from
// tenant_db::TenantData::Begin; the caller commits.
//
// Times are RFC 3339 UTC texts with milliseconds (base::FormatRfc3339), so
// comparing them as text compares the times. A row whose expires_at is not
// after `now` is gone for every reader here, whether or not housekeeping
// has removed it yet: expiry never waits for the sweep.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "files/file_store.h"
#include "storage/database.h"

namespace tenantd::files {

inline constexpr std::string_view kUploadIdPrefix = "upl";

// A direct upload: `file` as it will be once completed (sha256 = what the
// client announced, "" = none).
struct PendingFile {
  FileRecord file;
  std::string expires_at;
  // What the local store's one-time PUT received (lowercase hex); "" when
  // nothing arrived through tenantd (nothing yet, or a presigned S3 PUT).
  std::string received_sha256;
};

// A tus upload: `received` of `length` bytes are acknowledged.
struct UploadRecord {
  std::string id;  // "upl_…"
  std::string filename;
  std::string content_type;
  std::string metadata;  // Upload-Metadata as sent
  uint64_t length = 0;
  uint64_t received = 0;
  std::string created_at;
  std::string expires_at;
};

// The bytes a new file or upload competes with for the quota: the stored
// files plus every unexpired pending file and upload (at their declared
// sizes, since their bytes may still arrive).
Async<uint64_t> UsedBytes(storage::Transaction& tx, std::string_view now);

// Inserts unless UsedBytes + the new size would exceed `quota_bytes`
// (0 = none): 413 quota_exceeded. Call in a write transaction (the check
// and the insert then hold the tenant's write lock together).
boost::asio::awaitable<base::Status> InsertPending(storage::Transaction& tx,
                                                   const PendingFile& pending, uint64_t quota_bytes,
                                                   std::string_view now);
Async<std::optional<PendingFile>> GetPending(storage::Transaction& tx, std::string_view id,
                                             std::string_view now);
// Unexpired pending files after `after_id` in creation order, at most `limit`.
Async<std::vector<PendingFile>> ListPending(storage::Transaction& tx, std::string_view after_id,
                                            int limit, std::string_view now);
// Records what the one-time PUT stored; false when the file is no longer
// pending, or its bytes already arrived (the URL is spent).
Async<bool> MarkReceived(storage::Transaction& tx, std::string_view id, std::string_view sha256,
                         std::string_view now);
// Deletes the row (the file is completed, or given up) and returns it.
Async<std::optional<PendingFile>> TakePending(storage::Transaction& tx, std::string_view id);

// As InsertPending, for an upload of `upload.length` bytes.
boost::asio::awaitable<base::Status> InsertUpload(storage::Transaction& tx,
                                                  const UploadRecord& upload, uint64_t quota_bytes,
                                                  std::string_view now);
Async<std::optional<UploadRecord>> GetUpload(storage::Transaction& tx, std::string_view id,
                                             std::string_view now);
// Moves the acknowledged offset from `from` to `to`; false when it was not
// `from` any more (or the upload is gone).
Async<bool> AdvanceUpload(storage::Transaction& tx, std::string_view id, uint64_t from,
                          uint64_t to);
// Deletes the row and returns it (termination, or the upload became a file).
Async<std::optional<UploadRecord>> DeleteUpload(storage::Transaction& tx, std::string_view id);

// What expired by `now`, removed from the tables: the blob-store keys of
// pending files (their bytes may have arrived) and the ids of uploads
// (their staging files). At most `limit` of each per call.
struct Expired {
  std::vector<std::string> pending_keys;
  std::vector<std::string> upload_ids;
  bool more = false;  // either list was cut at `limit`
};
Async<Expired> TakeExpired(storage::Transaction& tx, std::string_view now, int limit);

// Whether any pending file or upload is left, expired or not.
Async<bool> HasTransfers(storage::Transaction& tx);

}  // namespace tenantd::files
