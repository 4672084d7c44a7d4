#include "tenant_api/json.h"

namespace tenantd::tenant_api {
namespace {

boost::json::value OptionalTime(const std::optional<base::TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::value(base::FormatRfc3339(*t));
}

boost::json::array ToArray(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

}  // namespace

boost::json::array ScopesJson(const http::AuthFacts& auth) {
  return ToArray(auth.all_scopes ? control::AllScopes() : auth.scopes);
}

boost::json::object ApiKeyJson(const control::ApiKey& k, std::optional<base::TimePoint> pending) {
  std::optional<base::TimePoint> last_used = k.last_used_at;
  if (pending && (!last_used || *last_used < *pending)) last_used = pending;
  return boost::json::object{
      {"id", k.id},
      {"name", k.name},
      {"type", k.type},
      {"environment", k.environment},
      {"prefix", k.prefix},
      {"scopes", ToArray(k.type == "secret" ? control::AllScopes() : k.scopes)},
      {"created_at", base::FormatRfc3339(k.created_at)},
      {"last_used_at", OptionalTime(last_used)},
      {"expires_at", OptionalTime(k.expires_at)},
      {"revoked_at", OptionalTime(k.revoked_at)},
  };
}

boost::json::object SessionJson(const session::SessionRecord& s, bool current) {
  boost::json::object o{
      {"id", s.id},
      {"tenant_id", s.tenant_id},
      {"auth_mode", s.auth_mode},
      {"created_at", base::FormatRfc3339(s.created_at)},
      {"last_seen_at", base::FormatRfc3339(s.last_seen_at)},
      {"expires_at", base::FormatRfc3339(s.expires_at)},
      {"ip", s.ip},
      {"user_agent", s.user_agent},
      {"current", current},
  };
  if (!s.key_id.empty()) o["key_id"] = s.key_id;
  if (!s.user_id.empty()) o["user_id"] = s.user_id;
  return o;
}

}  // namespace tenantd::tenant_api
