#include "admin/tenant_json.h"

namespace tenantd::admin {

boost::json::object TenantToJson(const control::Tenant& t) {
  return boost::json::object{
      {"id", t.id},
      {"slug", t.slug},
      {"name", t.name},
      {"plan", t.plan},
      {"status", control::ToString(t.status)},
      {"isolation", t.isolation},
      {"created_at", base::FormatRfc3339(t.created_at)},
      {"updated_at", base::FormatRfc3339(t.updated_at)},
  };
}

}  // namespace tenantd::admin
