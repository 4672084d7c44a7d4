#include "files/file_store.h"

namespace tenantd::files {
namespace {

#define TENANTD_FILE_COLUMNS "id, filename, content_type, size, sha256, storage_key, created_at"

constexpr std::string_view kInsertSql =
    "INSERT INTO files (" TENANTD_FILE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kSelectSql = "SELECT " TENANTD_FILE_COLUMNS " FROM files WHERE id = ?";
constexpr std::string_view kListSql =
    "SELECT " TENANTD_FILE_COLUMNS " FROM files WHERE id > ? ORDER BY id LIMIT ?";
constexpr std::string_view kDeleteSql =
    "DELETE FROM files WHERE id = ? RETURNING " TENANTD_FILE_COLUMNS;
constexpr std::string_view kTotalsSql = "SELECT files, bytes FROM file_totals WHERE id = 1";

#undef TENANTD_FILE_COLUMNS

FileRecord ReadFile(const storage::sqlite::Statement& st) {
  FileRecord f;
  f.id = st.ColumnText(0);
  f.filename = st.ColumnText(1);
  f.content_type = st.ColumnText(2);
  f.size = static_cast<uint64_t>(st.ColumnInt64(3));
  f.sha256 = st.ColumnText(4);
  f.storage_key = st.ColumnText(5);
  f.created_at = st.ColumnText(6);
  return f;
}

}  // namespace

base::Error NoSuchFile() { return base::NotFound("No such file."); }

base::Error QuotaExceeded(uint64_t quota_bytes) {
  return base::MakeError(base::ErrorCode::kResourceExhausted, "quota_exceeded",
                         "This upload would take the tenant's stored files over its plan's "
                         "quota of " +
                             std::to_string(quota_bytes) + " bytes.");
}

base::Result<FileTotals> ReadTotals(storage::sqlite::Connection& db) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kTotalsSql));
  TENANTD_TRY(const bool row, st.Step());
  FileTotals totals;
  if (row) {
    totals.files = static_cast<uint64_t>(st.ColumnInt64(0));
    totals.bytes = static_cast<uint64_t>(st.ColumnInt64(1));
  }
  return totals;
}

base::Status InsertFile(storage::sqlite::Connection& db, const FileRecord& file,
                        uint64_t quota_bytes) {
  TENANTD_TRY(storage::sqlite::Transaction tx, db.Begin());
  if (quota_bytes != 0) {
    TENANTD_TRY(const FileTotals totals, ReadTotals(db));
    if (totals.bytes + file.size > quota_bytes) return QuotaExceeded(quota_bytes);
  }
  {
    TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kInsertSql));
    st.Bind(1, file.id)
        .Bind(2, file.filename)
        .Bind(3, file.content_type)
        .Bind(4, static_cast<int64_t>(file.size))
        .Bind(5, file.sha256)
        .Bind(6, file.storage_key)
        .Bind(7, file.created_at);
    TENANTD_TRY(const bool row, st.Step());
    (void)row;
  }
  return tx.Commit();
}

base::Result<std::optional<FileRecord>> GetFile(storage::sqlite::Connection& db,
                                                std::string_view id) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kSelectSql));
  st.Bind(1, id);
  TENANTD_TRY(const bool row, st.Step());
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFile(st));
}

base::Result<std::vector<FileRecord>> ListFiles(storage::sqlite::Connection& db,
                                                std::string_view after_id, int limit) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kListSql));
  st.Bind(1, after_id).Bind(2, limit);
  std::vector<FileRecord> out;
  for (;;) {
    TENANTD_TRY(const bool row, st.Step());
    if (!row) break;
    out.push_back(ReadFile(st));
  }
  return out;
}

base::Result<std::optional<FileRecord>> DeleteFile(storage::sqlite::Connection& db,
                                                   std::string_view id) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kDeleteSql));
  st.Bind(1, id);
  TENANTD_TRY(const bool row, st.Step());
  if (!row) return std::optional<FileRecord>();
  FileRecord deleted = ReadFile(st);
  TENANTD_TRY(const bool more, st.Step());  // finish the statement: the delete commits
  (void)more;
  return std::optional<FileRecord>(std::move(deleted));
}

}  // namespace tenantd::files
