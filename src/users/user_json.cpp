#include "users/user_json.h"

#include <boost/json.hpp>

#include "base/time.h"

namespace tenantd::users {
namespace {

boost::json::value OptionalTime(const std::optional<base::TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::value(base::FormatRfc3339(*t));
}

}  // namespace

boost::json::object UserJson(const control::User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"status", control::ToString(u.status)},
          {"account_id", u.account_id},
          {"personal_tenant_id", u.personal_tenant_id},
          {"email_verified_at", OptionalTime(u.email_verified_at)},
          {"last_sign_in_at", OptionalTime(u.last_sign_in_at)},
          {"created_at", base::FormatRfc3339(u.created_at)},
          {"updated_at", base::FormatRfc3339(u.updated_at)}};
}

boost::json::object TenantBrief(const control::Tenant& t) {
  return {{"id", t.id},     {"slug", t.slug}, {"name", t.name},
          {"kind", t.kind}, {"plan", t.plan}, {"status", control::ToString(t.status)}};
}

boost::json::object MembershipJson(const control::TenantMembership& m) {
  return {{"tenant_id", m.membership.tenant_id},
          {"slug", m.tenant_slug},
          {"name", m.tenant_name},
          {"kind", m.tenant_kind},
          {"role", m.membership.role}};
}

boost::json::object MemberJson(const control::Member& m) {
  return {{"user_id", m.membership.user_id},
          {"email", m.email},
          {"name", m.name},
          {"role", m.membership.role},
          {"is_primary_contact", m.membership.is_primary_contact},
          {"is_billing_contact", m.membership.is_billing_contact},
          {"created_at", base::FormatRfc3339(m.membership.created_at)}};
}

boost::json::object RoleJson(const control::Role& r) {
  boost::json::array scopes;
  for (const std::string& s : r.scopes) scopes.emplace_back(s);
  boost::json::object o{
      {"id", r.id}, {"name", r.name}, {"scopes", std::move(scopes)}, {"built_in", r.built_in}};
  if (!r.built_in) {
    o["created_at"] = base::FormatRfc3339(r.created_at);
    o["updated_at"] = base::FormatRfc3339(r.updated_at);
  }
  return o;
}

boost::json::object UserSessionJson(const session::SessionRecord& s, bool current) {
  return {{"id", s.id},
          {"tenant_id", s.tenant_id},
          {"created_at", base::FormatRfc3339(s.created_at)},
          {"last_seen_at", base::FormatRfc3339(s.last_seen_at)},
          {"expires_at", base::FormatRfc3339(s.expires_at)},
          {"ip", s.ip},
          {"user_agent", s.user_agent},
          {"current", current}};
}

http::Response Json(int status, const boost::json::value& v) {
  return http::Response::Json(status, boost::json::serialize(v));
}

}  // namespace tenantd::users
