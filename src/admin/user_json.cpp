#include "admin/user_json.h"

namespace tenantd::admin {
namespace {

boost::json::value OptionalTime(const std::optional<base::TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::string(base::FormatRfc3339(*t));
}

}  // namespace

boost::json::object UserToJson(const control::User& u) {
  return boost::json::object{
      {"id", u.id},
      {"email", u.email},
      {"name", u.name},
      {"status", control::ToString(u.status)},
      {"account_id", u.account_id},
      {"personal_tenant_id", u.personal_tenant_id},
      {"email_verified_at", OptionalTime(u.email_verified_at)},
      {"last_sign_in_at", OptionalTime(u.last_sign_in_at)},
      {"created_at", base::FormatRfc3339(u.created_at)},
      {"updated_at", base::FormatRfc3339(u.updated_at)},
  };
}

boost::json::object MembershipToJson(const control::TenantMembership& m) {
  return boost::json::object{
      {"tenant_id", m.membership.tenant_id},
      {"slug", m.tenant_slug},
      {"name", m.tenant_name},
      {"kind", m.tenant_kind},
      {"role", m.membership.role},
  };
}

}  // namespace tenantd::admin
