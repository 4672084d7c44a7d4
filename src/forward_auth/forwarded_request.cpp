#include "forward_auth/forwarded_request.h"

#include <strings.h>

#include "control/control_store.h"

namespace tenantd::forward_auth {
namespace {

constexpr std::size_t kMaxMethodChars = 20;
constexpr std::size_t kMaxTargetBytes = 8192;  // the request-line limit of api.md §1
constexpr std::size_t kMaxRequiredScopes = 16;
constexpr std::size_t kMaxResourceChars = 40;

base::Error Invalid(std::string detail) {
  return base::InvalidArgument("invalid_original_request", std::move(detail));
}

bool IsMethod(std::string_view m) {
  if (m.empty() || m.size() > kMaxMethodChars) return false;
  for (char c : m) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Origin form only ("/path?query"), printable, within the request-line limit.
bool IsOriginTarget(std::string_view t) {
  if (t.empty() || t.front() != '/' || t.size() > kMaxTargetBytes) return false;
  for (char c : t) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

bool IsScopeName(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > kMaxResourceChars) return false;
  for (char c : s.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  const std::string_view access = s.substr(colon + 1);
  return access == "read" || access == "write";
}

namespace {

// Adds the scopes of `list` (spaces or commas between them) to `out`.
base::Status AddScopes(std::string_view list, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < list.size()) {
    const std::size_t end = list.find_first_of(" ,", i);
    const std::string_view scope = list.substr(i, end == std::string_view::npos ? end : end - i);
    i = end == std::string_view::npos ? list.size() : end + 1;
    if (scope.empty()) continue;
    if (!IsScopeName(scope) || out.size() == kMaxRequiredScopes) {
      return base::InvalidArgument("invalid_required_scope",
                                   "X-Required-Scope and ?scope= name at most 16 scopes of the "
                                   "form <resource>:<read|write>, "
                                   "separated by spaces or commas.");
    }
    out.emplace_back(scope);
  }
  return {};
}

bool IsHeaderSafe(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

base::Result<http::Request> OriginalRequest(const http::Request& check) {
  http::Request original;
  const std::string_view path = check.Path();
  const auto nginx_uri = check.headers.Get("X-Original-URI");
  const auto traefik_uri = check.headers.Get("X-Forwarded-Uri");
  if (path.size() > kCheckPath.size()) {
    // Envoy: the original target is what follows the check path, as sent.
    original.method = check.method;
    original.target = check.target.substr(kCheckPath.size());
  } else if (nginx_uri) {
    original.method = std::string(check.headers.Get("X-Original-Method").value_or(""));
    original.target = std::string(*nginx_uri);
  } else if (traefik_uri) {
    original.method = std::string(check.headers.Get("X-Forwarded-Method").value_or(""));
    original.target = std::string(*traefik_uri);
  } else {
    return Invalid(
        "Name the original request: X-Original-Method and X-Original-URI (nginx), "
        "X-Forwarded-Method and X-Forwarded-Uri (Traefik), or append its path to "
        "/auth/v1/check (Envoy); see docs/forward-auth.md.");
  }
  if (!IsMethod(original.method)) {
    return Invalid("The original method must be an upper-case HTTP method such as GET.");
  }
  if (!IsOriginTarget(original.target)) {
    return Invalid("The original target must be a path (and query) starting with '/'.");
  }

  // Host first, so the stage's lookup finds the original one.
  const auto forwarded_host = check.headers.Get("X-Forwarded-Host");
  const auto host = forwarded_host ? forwarded_host : check.headers.Get("Host");
  if (host) original.headers.Add("Host", std::string(*host));
  for (const http::Header& h : check.headers.items()) {
    if (strcasecmp(h.name.c_str(), "Host") != 0) original.headers.Add(h.name, h.value);
  }
  original.remote_ip = check.remote_ip;  // the client, as the trusted proxy named it
  original.peer_ip = check.peer_ip;
  const auto proto = check.headers.Get("X-Forwarded-Proto");
  original.is_tls = proto ? strcasecmp(std::string(*proto).c_str(), "https") == 0 : check.is_tls;
  original.body_elsewhere = true;
  return original;
}

base::Result<std::vector<std::string>> RequiredScopes(const http::Request& check) {
  std::vector<std::string> scopes;
  for (const http::Header& h : check.headers.items()) {
    if (strcasecmp(h.name.c_str(), "X-Required-Scope") != 0) continue;
    if (auto st = AddScopes(h.value, scopes); !st) return st.error();
  }
  // Envoy's form carries the original query, not the check's own.
  if (check.Path() == kCheckPath) {
    if (const auto query = check.QueryParam("scope")) {
      if (auto st = AddScopes(*query, scopes); !st) return st.error();
    }
  }
  return scopes;
}

base::Status AddIdentityHeaders(const control::Tenant& tenant, const http::AuthFacts& auth,
                                http::Headers& out) {
  std::string scopes;
  for (const std::string& s : auth.all_scopes ? control::AllScopes() : auth.scopes) {
    if (!scopes.empty()) scopes += ' ';
    scopes += s;
  }
  const std::pair<const char*, std::string_view> headers[] = {
      {"X-Tenant-Id", tenant.id}, {"X-Tenant-Slug", tenant.slug}, {"X-Tenant-Plan", tenant.plan},
      {"X-Auth-Mode", auth.mode}, {"X-Auth-Key-Id", auth.key_id}, {"X-User-Id", auth.user_id},
      {"X-Scopes", scopes}};
  for (const auto& [name, value] : headers) {
    if (!IsHeaderSafe(value)) {
      return base::Internal(std::string("forward auth: refusing to send ") + name +
                            " with a control or non-ASCII character");
    }
  }
  for (const auto& [name, value] : headers) {
    if (!value.empty()) out.Add(name, std::string(value));
  }
  return {};
}

}  // namespace tenantd::forward_auth
