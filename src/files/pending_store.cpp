#include "files/pending_store.h"

#include <utility>

#include "storage/errors.h"

namespace tenantd::files {
namespace {

using boost::asio::awaitable;

#define TENANTD_PENDING_COLUMNS \
  "id, filename, content_type, size, sha256, storage_key, created_at, expires_at, received_sha256"
#define TENANTD_UPLOAD_COLUMNS \
  "id, filename, content_type, metadata, length, received, created_at, expires_at"

// Constant texts: on SQLite each is prepared once per connection.
constexpr std::string_view kReservedSql =
    "SELECT (SELECT COALESCE(SUM(size), 0) FROM pending_files WHERE expires_at > $1) + "
    "(SELECT COALESCE(SUM(length), 0) FROM uploads WHERE expires_at > $1)";
constexpr std::string_view kInsertPendingSql = "INSERT INTO pending_files (" TENANTD_PENDING_COLUMNS
                                               ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kGetPendingSql =
    "SELECT " TENANTD_PENDING_COLUMNS " FROM pending_files WHERE id = $1 AND expires_at > $2";
constexpr std::string_view kListPendingSql =
    "SELECT " TENANTD_PENDING_COLUMNS
    " FROM pending_files WHERE id > $1 AND expires_at > $3 ORDER BY id LIMIT $2";
constexpr std::string_view kMarkReceivedSql =
    "UPDATE pending_files SET received_sha256 = $2 "
    "WHERE id = $1 AND received_sha256 = '' AND expires_at > $3 RETURNING id";
constexpr std::string_view kTakePendingSql =
    "DELETE FROM pending_files WHERE id = $1 RETURNING " TENANTD_PENDING_COLUMNS;
constexpr std::string_view kInsertUploadSql =
    "INSERT INTO uploads (" TENANTD_UPLOAD_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr std::string_view kGetUploadSql =
    "SELECT " TENANTD_UPLOAD_COLUMNS " FROM uploads WHERE id = $1 AND expires_at > $2";
constexpr std::string_view kAdvanceUploadSql =
    "UPDATE uploads SET received = $3 WHERE id = $1 AND received = $2 RETURNING id";
constexpr std::string_view kDeleteUploadSql =
    "DELETE FROM uploads WHERE id = $1 RETURNING " TENANTD_UPLOAD_COLUMNS;
constexpr std::string_view kExpiredPendingSql =
    "DELETE FROM pending_files WHERE id IN "
    "(SELECT id FROM pending_files WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2) "
    "RETURNING storage_key";
constexpr std::string_view kExpiredUploadsSql =
    "DELETE FROM uploads WHERE id IN "
    "(SELECT id FROM uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2) RETURNING id";
constexpr std::string_view kAnyLeftSql =
    "SELECT EXISTS (SELECT 1 FROM pending_files) OR EXISTS (SELECT 1 FROM uploads)";

#undef TENANTD_PENDING_COLUMNS
#undef TENANTD_UPLOAD_COLUMNS

PendingFile ReadPending(const storage::Row& row) {
  PendingFile p;
  p.file.id = row.Text(0);
  p.file.filename = row.Text(1);
  p.file.content_type = row.Text(2);
  p.file.size = static_cast<uint64_t>(row.Int64(3));
  p.file.sha256 = row.Text(4);
  p.file.storage_key = row.Text(5);
  p.file.created_at = row.Text(6);
  p.expires_at = row.Text(7);
  p.received_sha256 = row.Text(8);
  return p;
}

UploadRecord ReadUpload(const storage::Row& row) {
  UploadRecord u;
  u.id = row.Text(0);
  u.filename = row.Text(1);
  u.content_type = row.Text(2);
  u.metadata = row.Text(3);
  u.length = static_cast<uint64_t>(row.Int64(4));
  u.received = static_cast<uint64_t>(row.Int64(5));
  u.created_at = row.Text(6);
  u.expires_at = row.Text(7);
  return u;
}

template <class T, class Read>
std::optional<T> First(const storage::Rows& rows, Read read) {
  if (rows.empty()) return std::nullopt;
  return read(rows.front());
}

// The quota check both inserts share.
awaitable<base::Status> CheckQuota(storage::Transaction& tx, uint64_t size, uint64_t quota_bytes,
                                   std::string_view now) {
  if (quota_bytes == 0) co_return storage::Ok();
  TENANTD_CO_TRY(const uint64_t used, co_await UsedBytes(tx, now));
  if (used + size > quota_bytes) co_return QuotaExceeded(quota_bytes);
  co_return storage::Ok();
}

}  // namespace

Async<uint64_t> UsedBytes(storage::Transaction& tx, std::string_view now) {
  TENANTD_CO_TRY(const FileTotals totals, co_await ReadTotals(tx));
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kReservedSql, now));
  const uint64_t reserved = rows.empty() ? 0 : static_cast<uint64_t>(rows.front().Int64(0));
  co_return totals.bytes + reserved;
}

awaitable<base::Status> InsertPending(storage::Transaction& tx, const PendingFile& pending,
                                      uint64_t quota_bytes, std::string_view now) {
  if (auto fits = co_await CheckQuota(tx, pending.file.size, quota_bytes, now); !fits) {
    co_return std::move(fits).error();
  }
  const FileRecord& f = pending.file;
  // Named before the co_await (GCC 12 and temporaries of co_await expressions).
  storage::Params params =
      storage::MakeParams(f.id, f.filename, f.content_type, static_cast<int64_t>(f.size), f.sha256,
                          f.storage_key, f.created_at, pending.expires_at, pending.received_sha256);
  co_return co_await tx.Exec(kInsertPendingSql, std::move(params));
}

Async<std::optional<PendingFile>> GetPending(storage::Transaction& tx, std::string_view id,
                                             std::string_view now) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kGetPendingSql, id, now));
  co_return First<PendingFile>(rows, ReadPending);
}

Async<std::vector<PendingFile>> ListPending(storage::Transaction& tx, std::string_view after_id,
                                            int limit, std::string_view now) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kListPendingSql, after_id, limit, now));
  std::vector<PendingFile> out;
  out.reserve(rows.size());
  for (const storage::Row& row : rows.rows) out.push_back(ReadPending(row));
  co_return out;
}

Async<bool> MarkReceived(storage::Transaction& tx, std::string_view id, std::string_view sha256,
                         std::string_view now) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kMarkReceivedSql, id, sha256, now));
  co_return !rows.empty();
}

Async<std::optional<PendingFile>> TakePending(storage::Transaction& tx, std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kTakePendingSql, id));
  co_return First<PendingFile>(rows, ReadPending);
}

awaitable<base::Status> InsertUpload(storage::Transaction& tx, const UploadRecord& upload,
                                     uint64_t quota_bytes, std::string_view now) {
  if (auto fits = co_await CheckQuota(tx, upload.length, quota_bytes, now); !fits) {
    co_return std::move(fits).error();
  }
  storage::Params params = storage::MakeParams(upload.id, upload.filename, upload.content_type,
                                               upload.metadata, static_cast<int64_t>(upload.length),
                                               static_cast<int64_t>(upload.received),
                                               upload.created_at, upload.expires_at);
  co_return co_await tx.Exec(kInsertUploadSql, std::move(params));
}

Async<std::optional<UploadRecord>> GetUpload(storage::Transaction& tx, std::string_view id,
                                             std::string_view now) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kGetUploadSql, id, now));
  co_return First<UploadRecord>(rows, ReadUpload);
}

Async<bool> AdvanceUpload(storage::Transaction& tx, std::string_view id, uint64_t from,
                          uint64_t to) {
  storage::Params params =
      storage::MakeParams(id, static_cast<int64_t>(from), static_cast<int64_t>(to));
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kAdvanceUploadSql, std::move(params)));
  co_return !rows.empty();
}

Async<std::optional<UploadRecord>> DeleteUpload(storage::Transaction& tx, std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kDeleteUploadSql, id));
  co_return First<UploadRecord>(rows, ReadUpload);
}

Async<Expired> TakeExpired(storage::Transaction& tx, std::string_view now, int limit) {
  Expired out;
  TENANTD_CO_TRY(storage::Rows pending, co_await tx.Query(kExpiredPendingSql, now, limit));
  for (const storage::Row& row : pending.rows) out.pending_keys.push_back(row.Text(0));
  TENANTD_CO_TRY(storage::Rows uploads, co_await tx.Query(kExpiredUploadsSql, now, limit));
  for (const storage::Row& row : uploads.rows) out.upload_ids.push_back(row.Text(0));
  out.more = pending.size() >= static_cast<std::size_t>(limit) ||
             uploads.size() >= static_cast<std::size_t>(limit);
  co_return out;
}

Async<bool> HasTransfers(storage::Transaction& tx) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kAnyLeftSql));
  co_return !rows.empty() && rows.front().Int64(0) != 0;
}

}  // namespace tenantd::files
