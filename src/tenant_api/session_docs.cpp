#include "tenant_api/session_docs.h"

#include <string>

namespace tenantd::tenant_api::session_docs {
namespace {

constexpr const char* kSession = R"({
  "title": "Session", "type": "object",
  "required": ["id", "tenant_id", "auth_mode", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "current"],
  "properties": {
    "id": {"type": "string", "pattern": "^ses_"},
    "tenant_id": {"type": "string"},
    "auth_mode": {"type": "string", "enum": ["app_secret", "signature", "api_key", "user"]},
    "key_id": {"type": "string", "description": "The API key the session is bound to"},
    "user_id": {"type": "string", "description": "The signed-in user, for auth_mode user"},
    "created_at": {"type": "string", "format": "date-time"},
    "last_seen_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "ip": {"type": "string"},
    "user_agent": {"type": "string"},
    "current": {"type": "boolean", "description": "The session of this request"}
  }})";

constexpr const char* kWhoAmI = R"({
  "title": "WhoAmI", "type": "object", "required": ["tenant", "auth"],
  "properties": {
    "tenant": {
      "type": "object", "required": ["id", "slug", "name", "plan", "status"],
      "properties": {
        "id": {"type": "string", "pattern": "^ten_"}, "slug": {"type": "string"},
        "name": {"type": "string"}, "plan": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "suspended", "deleted"]}
      }
    },
    "auth": {
      "type": "object", "required": ["mode", "scopes"],
      "properties": {
        "mode": {"type": "string", "enum": ["session", "app_secret", "signature", "api_key", "user"]},
        "key_id": {"type": "string"},
        "user_id": {"type": "string", "description": "The signed-in user, for mode user"},
        "role": {"type": "string", "description": "The user's role in the tenant, for mode user"},
        "session_id": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}}
      }
    }
  }})";

std::string SessionEnvelope() { return http::Envelope("session", kSession); }

}  // namespace

http::RouteDoc WhoAmI() {
  return {.operation_id = "whoAmI",
          .summary = "The tenant and credentials of this request",
          .tag = "Authentication",
          .responses = {{200, "Who the request runs for", kWhoAmI}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc Current() {
  return {.operation_id = "getSession",
          .summary = "The session of this request",
          .tag = "Authentication",
          .responses = {{200, "The session", SessionEnvelope()}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc Start() {
  return {.operation_id = "startSession",
          .summary = "Start a session (sets the sid cookie)",
          .description =
              "With app credentials: a fresh session and cookie (201), replacing one "
              "the request came with. With the cookie alone: the current session (200).",
          .tag = "Authentication",
          .responses = {{201, "A new session; Set-Cookie carries sid", SessionEnvelope()},
                        {200, "The session the cookie names", SessionEnvelope()}}};
}

http::RouteDoc End() {
  return {.operation_id = "endSession",
          .summary = "Destroy this request's session and clear the cookie",
          .tag = "Authentication",
          .responses = {{204, "Destroyed", ""}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc List() {
  return {.operation_id = "listSessions",
          .summary = "The tenant's live sessions",
          .tag = "Authentication",
          .params = http::PageParams(),
          .responses = {{200, "A page of sessions", http::PageOf(kSession)}},
          .problems = {{400, "bad_request"}}};
}

http::RouteDoc RevokeAll() {
  return {
      .operation_id = "revokeAllSessions",
      .summary = "Revoke every session of the tenant",
      .tag = "Authentication",
      .responses = {
          {200, "How many were revoked",
           R"({"type":"object","required":["revoked"],"properties":{"revoked":{"type":"integer","minimum":0}}})"}}};
}

http::RouteDoc Revoke() {
  return {.operation_id = "revokeSession",
          .summary = "Revoke one session",
          .tag = "Authentication",
          .params = {{"id", "path", "The session id (ses_…)"}},
          .responses = {{204, "Revoked", ""}},
          .problems = {{404, "not_found"}}};
}

}  // namespace tenantd::tenant_api::session_docs
