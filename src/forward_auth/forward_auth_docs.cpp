#include "forward_auth/forward_auth_docs.h"

#include <cctype>
#include <string>

namespace tenantd::forward_auth::docs {
namespace {

constexpr const char* kVerifyRequest = R"({
  "title": "VerifyKeyRequest", "type": "object", "required": ["key"],
  "additionalProperties": false,
  "properties": {
    "key": {"type": "string", "maxLength": 256, "description": "The API key to verify"},
    "required_scopes": {"type": "array", "maxItems": 16, "items": {"type": "string"},
                        "description": "Scopes the key must hold, all of them"}
  }})";

constexpr const char* kVerifyAnswer = R"({
  "title": "KeyVerification", "type": "object", "required": ["valid"],
  "properties": {
    "valid": {"type": "boolean"},
    "code": {"type": "string", "description": "Why not valid",
             "enum": ["invalid_credentials", "key_revoked", "key_expired", "insufficient_scope",
                      "rate_limited", "tenant_suspended", "missing_credentials"]},
    "tenant": {"type": "object", "required": ["id", "slug", "plan", "status"],
               "properties": {"id": {"type": "string"}, "slug": {"type": "string"},
                              "plan": {"type": "string"}, "status": {"type": "string"}}},
    "key_id": {"type": "string"},
    "type": {"type": "string", "enum": ["secret", "restricted"]},
    "scopes": {"type": "array", "items": {"type": "string"}},
    "ratelimit": {"type": "object", "required": ["limit", "remaining", "reset"],
                  "properties": {"limit": {"type": "integer"}, "remaining": {"type": "integer"},
                                 "reset": {"type": "integer"}}}
  }})";

std::string Capitalized(std::string_view method) {
  std::string out;
  for (char c : method) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

http::ParamDoc Header(std::string name, std::string description) {
  return {.name = std::move(name), .in = "header", .description = std::move(description)};
}

}  // namespace

http::RouteDoc Check(std::string_view method, bool with_path) {
  http::RouteDoc doc{
      .operation_id = std::string(with_path ? "checkPath" : "check") + Capitalized(method),
      .summary = with_path ? "Forward authentication, the original path appended (Envoy)"
                           : "Forward authentication of a proxied request",
      .description =
          "Called by a trusted proxy (TENANTD_TRUSTED_PROXIES) with the original request's "
          "credentials; judges them as a /v1/ route would. See docs/forward-auth.md.",
      .tag = "Forward authentication",
      .params = {Header("X-Original-Method", "The original method (nginx, haproxy)"),
                 Header("X-Original-URI", "The original target (nginx, haproxy)"),
                 Header("X-Forwarded-Method", "The original method (Traefik)"),
                 Header("X-Forwarded-Uri", "The original target (Traefik)"),
                 Header("X-Forwarded-Host", "The original Host"),
                 Header("X-Required-Scope", "Scopes the location requires (spaces or commas)")},
      .responses = {{200,
                     "Admitted: X-Tenant-Id, X-Tenant-Slug, X-Tenant-Plan, X-Auth-Mode, "
                     "X-Auth-Key-Id, X-Scopes and RateLimit-* headers, no body",
                     ""}},
      .problems = {{400, "invalid_original_request"},
                   {400, "invalid_required_scope"},
                   {403, "insufficient_scope"}}};
  if (with_path) {
    doc.params.push_back(
        {.name = "original", .in = "path", .description = "The original path, slashes included"});
  } else {
    doc.params.push_back(
        {.name = "scope", .description = "Scopes the location requires (spaces or commas)"});
  }
  return doc;
}

http::RouteDoc Verify() {
  return {.operation_id = "verifyKey",
          .summary = "Verify an API key for another backend",
          .description = "Answers 200 once the caller is admitted: valid, or not and why.",
          .tag = "Forward authentication",
          .request = {{.schema = kVerifyRequest}},
          .responses = {{200, "The verdict", kVerifyAnswer}}};
}

}  // namespace tenantd::forward_auth::docs
