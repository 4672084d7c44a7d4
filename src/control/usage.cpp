// Usage rows of the control store (control_store.h, "Usage").
#include <algorithm>

#include "control/control_store.h"
#include "control/control_store_impl.h"

namespace tenantd::control {

AsyncStatus ControlStore::AddUsage(std::vector<UsageRecord> records) {
  if (records.empty()) co_return storage::Ok();
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  for (const UsageRecord& r : records) {
    // INSERT … SELECT … WHERE EXISTS: a tenant purged between the request
    // and the flush has no row to add to (and the foreign key would fail
    // the whole batch); its usage goes with it. The casts give PostgreSQL
    // the types of parameters in a select list.
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
        "INSERT INTO usage_daily (tenant_id, day, requests, bytes_in, bytes_out,"
        " stored_bytes, file_count)"
        " SELECT $1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS BIGINT),"
        " CAST($6 AS BIGINT), CAST($7 AS BIGINT)"
        " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1)"
        " ON CONFLICT (tenant_id, day) DO UPDATE SET"
        " requests = usage_daily.requests + excluded.requests,"
        " bytes_in = usage_daily.bytes_in + excluded.bytes_in,"
        " bytes_out = usage_daily.bytes_out + excluded.bytes_out,"
        " stored_bytes = coalesce(excluded.stored_bytes, usage_daily.stored_bytes),"
        " file_count = coalesce(excluded.file_count, usage_daily.file_count)",
        r.tenant_id, r.day, r.requests, r.bytes_in, r.bytes_out, r.stored_bytes, r.file_count));
  }
  co_return co_await tx->Commit();
}

Async<UsagePage> ControlStore::ListUsage(std::string_view tenant_id, std::string_view from,
                                         std::string_view to, std::string_view after, int limit) {
  limit = std::clamp(limit, 1, 500);
  // Days are "YYYY-MM-DD": text order is date order, and "" / "9" bound
  // nothing.
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query(
                     "SELECT day, requests, bytes_in, bytes_out, stored_bytes, file_count"
                     " FROM usage_daily WHERE tenant_id = $1 AND day >= $2 AND day <= $3"
                     " AND day > $4 ORDER BY day LIMIT $5",
                     tenant_id, from, to.empty() ? std::string_view("9") : to, after, limit + 1));
  UsagePage page;
  for (const storage::Row& row : rows.rows) {
    UsageRecord r;
    r.tenant_id = std::string(tenant_id);
    r.day = row.Text(0);
    r.requests = row.Int64(1);
    r.bytes_in = row.Int64(2);
    r.bytes_out = row.Int64(3);
    r.stored_bytes = row.OptionalInt64(4);
    r.file_count = row.OptionalInt64(5);
    page.items.push_back(std::move(r));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().day;
  }
  co_return page;
}

}  // namespace tenantd::control
