#include "files/variant_store.h"

#include <utility>

#include "files/file_store.h"
#include "files/pending_store.h"

namespace tenantd::files {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kSelectSql =
    "SELECT file_id, variant, size, sha256, storage_key, created_at FROM file_variants "
    "WHERE file_id = $1 AND variant = $2";
constexpr std::string_view kInsertSql =
    "INSERT INTO file_variants (file_id, variant, size, sha256, storage_key, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (file_id, variant) DO NOTHING RETURNING file_id";
constexpr std::string_view kDeleteOneSql =
    "DELETE FROM file_variants WHERE file_id = $1 AND variant = $2";
constexpr std::string_view kDeleteAllSql =
    "DELETE FROM file_variants WHERE file_id = $1 RETURNING storage_key";

}  // namespace

std::string VariantStorageKey(std::string_view file_key, std::string_view variant) {
  return std::string(file_key) + "." + std::string(variant);
}

awaitable<base::Result<std::optional<VariantRecord>>> GetVariant(storage::Transaction& tx,
                                                                 std::string_view file_id,
                                                                 std::string_view variant) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kSelectSql, file_id, variant));
  if (rows.empty()) co_return std::optional<VariantRecord>();
  const storage::Row& row = rows.front();
  VariantRecord v;
  v.file_id = row.Text(0);
  v.variant = row.Text(1);
  v.size = static_cast<uint64_t>(row.Int64(2));
  v.sha256 = row.Text(3);
  v.storage_key = row.Text(4);
  v.created_at = row.Text(5);
  co_return std::optional<VariantRecord>(std::move(v));
}

awaitable<base::Result<bool>> InsertVariant(storage::Transaction& tx, const VariantRecord& v,
                                            uint64_t quota_bytes, std::string_view now) {
  if (quota_bytes != 0) {
    TENANTD_CO_TRY(const uint64_t used, co_await UsedBytes(tx, now));
    if (used + v.size > quota_bytes) co_return QuotaExceeded(quota_bytes);
  }
  // Named before the co_await (GCC 12 and temporaries of co_await expressions).
  storage::Params params = storage::MakeParams(v.file_id, v.variant, static_cast<int64_t>(v.size),
                                               v.sha256, v.storage_key, v.created_at);
  TENANTD_CO_TRY(storage::Rows inserted, co_await tx.Query(kInsertSql, std::move(params)));
  co_return !inserted.empty();
}

awaitable<base::Status> DeleteVariant(storage::Transaction& tx, std::string_view file_id,
                                      std::string_view variant) {
  co_return co_await tx.Exec(kDeleteOneSql, file_id, variant);
}

awaitable<base::Result<std::vector<std::string>>> DeleteVariants(storage::Transaction& tx,
                                                                 std::string_view file_id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kDeleteAllSql, file_id));
  std::vector<std::string> keys;
  for (const storage::Row& row : rows.rows) keys.push_back(row.Text(0));
  co_return keys;
}

}  // namespace tenantd::files
