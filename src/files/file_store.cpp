#include "files/file_store.h"

#include <utility>

#include "files/pending_store.h"

namespace tenantd::files {
namespace {

using boost::asio::awaitable;

#define TENANTD_FILE_COLUMNS \
  "id, filename, content_type, size, sha256, storage_key, created_at, public"

// Constant texts: on SQLite each is prepared once per connection.
constexpr std::string_view kInsertSql =
    "INSERT INTO files (" TENANTD_FILE_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr std::string_view kSelectSql = "SELECT " TENANTD_FILE_COLUMNS " FROM files WHERE id = $1";
constexpr std::string_view kListSql =
    "SELECT " TENANTD_FILE_COLUMNS " FROM files WHERE id > $1 ORDER BY id LIMIT $2";
constexpr std::string_view kSetPublicSql =
    "UPDATE files SET public = $2 WHERE id = $1 RETURNING " TENANTD_FILE_COLUMNS;
constexpr std::string_view kDeleteSql =
    "DELETE FROM files WHERE id = $1 RETURNING " TENANTD_FILE_COLUMNS;
constexpr std::string_view kTotalsSql = "SELECT files, bytes FROM file_totals WHERE id = 1";

#undef TENANTD_FILE_COLUMNS

FileRecord ReadFile(const storage::Row& row) {
  FileRecord f;
  f.id = row.Text(0);
  f.filename = row.Text(1);
  f.content_type = row.Text(2);
  f.size = static_cast<uint64_t>(row.Int64(3));
  f.sha256 = row.Text(4);
  f.storage_key = row.Text(5);
  f.created_at = row.Text(6);
  f.is_public = row.Int64(7) != 0;
  return f;
}

std::optional<FileRecord> FirstFile(const storage::Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return ReadFile(rows.front());
}

}  // namespace

base::Error NoSuchFile() { return base::NotFound("No such file."); }

base::Error QuotaExceeded(uint64_t quota_bytes) {
  return base::MakeError(base::ErrorCode::kResourceExhausted, "quota_exceeded",
                         "This upload would take the tenant's stored files over its plan's "
                         "quota of " +
                             std::to_string(quota_bytes) + " bytes.");
}

Async<FileTotals> ReadTotals(storage::Transaction& tx) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kTotalsSql));
  FileTotals totals;
  if (!rows.empty()) {
    totals.files = static_cast<uint64_t>(rows.front().Int64(0));
    totals.bytes = static_cast<uint64_t>(rows.front().Int64(1));
  }
  co_return totals;
}

awaitable<base::Status> InsertFile(storage::Transaction& tx, const FileRecord& file,
                                   uint64_t quota_bytes, std::string_view now) {
  if (quota_bytes != 0) {
    TENANTD_CO_TRY(const uint64_t used, co_await UsedBytes(tx, now));
    if (used + file.size > quota_bytes) co_return QuotaExceeded(quota_bytes);
  }
  // Named before the co_await (GCC 12 and temporaries of co_await expressions).
  storage::Params params = storage::MakeParams(
      file.id, file.filename, file.content_type, static_cast<int64_t>(file.size), file.sha256,
      file.storage_key, file.created_at, int64_t{file.is_public ? 1 : 0});
  co_return co_await tx.Exec(kInsertSql, std::move(params));
}

Async<std::optional<FileRecord>> GetFile(storage::Transaction& tx, std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kSelectSql, id));
  co_return FirstFile(rows);
}

Async<std::vector<FileRecord>> ListFiles(storage::Transaction& tx, std::string_view after_id,
                                         int limit) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kListSql, after_id, limit));
  std::vector<FileRecord> out;
  out.reserve(rows.size());
  for (const storage::Row& row : rows.rows) out.push_back(ReadFile(row));
  co_return out;
}

Async<std::optional<FileRecord>> SetFilePublic(storage::Transaction& tx, std::string_view id,
                                               bool is_public) {
  storage::Params params = storage::MakeParams(id, int64_t{is_public ? 1 : 0});
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kSetPublicSql, std::move(params)));
  co_return FirstFile(rows);
}

Async<std::optional<FileRecord>> DeleteFile(storage::Transaction& tx, std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kDeleteSql, id));
  co_return FirstFile(rows);
}

}  // namespace tenantd::files
