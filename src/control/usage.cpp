// Usage rows of the control store (control_store.h, "Usage").
#include <algorithm>
#include <mutex>

#include "control/control_store.h"
#include "control/control_store_impl.h"

namespace tenantd::control {

base::Status ControlStore::AddUsage(const std::vector<UsageRecord>& records) {
  if (records.empty()) return {};
  std::lock_guard lock(impl_->mu);
  storage::sqlite::Connection& db = *impl_->db;
  TENANTD_TRY(storage::sqlite::Transaction tx, db.Begin());
  // INSERT … SELECT … WHERE EXISTS: a tenant purged between the request and
  // the flush has no row to add to (and the foreign key would fail the whole
  // batch); its usage goes with it.
  TENANTD_TRY(storage::sqlite::Statement st,
              db.Prepare("INSERT INTO usage_daily (tenant_id, day, requests, bytes_in, bytes_out,"
                         " stored_bytes, file_count)"
                         " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7"
                         " WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?1)"
                         " ON CONFLICT (tenant_id, day) DO UPDATE SET"
                         " requests = requests + excluded.requests,"
                         " bytes_in = bytes_in + excluded.bytes_in,"
                         " bytes_out = bytes_out + excluded.bytes_out,"
                         " stored_bytes = coalesce(excluded.stored_bytes, stored_bytes),"
                         " file_count = coalesce(excluded.file_count, file_count)"));
  for (const UsageRecord& r : records) {
    st.Bind(1, r.tenant_id)
        .Bind(2, r.day)
        .Bind(3, r.requests)
        .Bind(4, r.bytes_in)
        .Bind(5, r.bytes_out);
    if (r.stored_bytes) {
      st.Bind(6, *r.stored_bytes);
    } else {
      st.Bind(6, std::nullopt);
    }
    if (r.file_count) {
      st.Bind(7, *r.file_count);
    } else {
      st.Bind(7, std::nullopt);
    }
    TENANTD_RETURN_IF_ERROR(st.Step());
    st.Reset();
  }
  return tx.Commit();
}

base::Result<UsagePage> ControlStore::ListUsage(std::string_view tenant_id, std::string_view from,
                                                std::string_view to, std::string_view after,
                                                int limit) {
  limit = std::clamp(limit, 1, 500);
  std::lock_guard lock(impl_->mu);
  // Days are "YYYY-MM-DD": text order is date order, and "" / "9" bound
  // nothing.
  TENANTD_TRY(storage::sqlite::Statement st,
              impl_->db->Prepare("SELECT day, requests, bytes_in, bytes_out, stored_bytes,"
                                 " file_count FROM usage_daily WHERE tenant_id = ? AND day >= ?"
                                 " AND day <= ? AND day > ? ORDER BY day LIMIT ?"));
  st.Bind(1, tenant_id)
      .Bind(2, from)
      .Bind(3, to.empty() ? std::string_view("9") : to)
      .Bind(4, after)
      .Bind(5, limit + 1);
  UsagePage page;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    UsageRecord r;
    r.tenant_id = std::string(tenant_id);
    r.day = st.ColumnText(0);
    r.requests = st.ColumnInt64(1);
    r.bytes_in = st.ColumnInt64(2);
    r.bytes_out = st.ColumnInt64(3);
    if (!st.ColumnIsNull(4)) r.stored_bytes = st.ColumnInt64(4);
    if (!st.ColumnIsNull(5)) r.file_count = st.ColumnInt64(5);
    page.items.push_back(std::move(r));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().day;
  }
  return page;
}

}  // namespace tenantd::control
