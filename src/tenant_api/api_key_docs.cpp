#include "tenant_api/api_key_docs.h"

#include <string>

namespace tenantd::tenant_api::api_key_docs {
namespace {

constexpr const char* kApiKey = R"({
  "title": "ApiKey", "type": "object",
  "required": ["id", "name", "type", "environment", "prefix", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^key_"},
    "name": {"type": "string"},
    "type": {"type": "string", "enum": ["secret", "restricted"]},
    "environment": {"type": "string", "enum": ["live", "test"]},
    "prefix": {"type": "string", "description": "The first 12 characters of the current secret"},
    "scopes": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": {"type": ["string", "null"], "format": "date-time"},
    "expires_at": {"type": ["string", "null"], "format": "date-time"},
    "revoked_at": {"type": ["string", "null"], "format": "date-time"}
  }})";

constexpr const char* kApiKeyInput = R"({
  "title": "ApiKeyInput", "type": "object", "additionalProperties": false, "required": ["name"],
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "type": {"type": "string", "enum": ["secret", "restricted"], "default": "secret"},
    "environment": {"type": "string", "enum": ["live", "test"], "default": "live"},
    "scopes": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+:(read|write)$"},
               "description": "Restricted keys: at least one of billing, files, keys, members, products, sessions with :read or :write"},
    "expires_at": {"type": ["string", "null"], "format": "date-time"}
  }})";

constexpr const char* kGrace = R"({
  "title": "RotateInput", "type": "object", "additionalProperties": false,
  "properties": {"grace_seconds": {"type": "integer", "minimum": 0, "maximum": 2592000,
                                    "description": "How long the previous secret keeps working, default 0"}}})";

http::ParamDoc IdParam() { return {"id", "path", "The API key id (key_…)"}; }

// {"api_key": {...}, "secret": "sk_live_…"}: the one answer that shows a secret.
std::string WithSecret() {
  return std::string(
             R"({"title":"ApiKeyWithSecret","type":"object","required":["api_key","secret"],"properties":{"api_key":)") +
         kApiKey +
         R"(,"secret":{"type":"string","pattern":"^(sk|rk)_(live|test)_","description":"Shown once"}}})";
}

}  // namespace

http::RouteDoc Create() {
  return {.operation_id = "createApiKey",
          .summary = "Create an API key (the secret is shown once)",
          .tag = "API keys",
          .request = {{"application/json", kApiKeyInput}},
          .responses = {{201, "The key and its secret, with Location", WithSecret()}},
          .problems = {{403, "insufficient_scope"}}};
}

http::RouteDoc List() {
  return {.operation_id = "listApiKeys",
          .summary = "List the tenant's API keys, revoked ones included",
          .tag = "API keys",
          .params = http::PageParams(),
          .responses = {{200, "A page of keys", http::PageOf(kApiKey)}},
          .problems = {{400, "bad_request"}}};
}

http::RouteDoc Show() {
  return {.operation_id = "getApiKey",
          .summary = "One API key",
          .tag = "API keys",
          .params = {IdParam()},
          .responses = {{200, "The key", http::Envelope("api_key", kApiKey)}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc Rotate() {
  return {.operation_id = "rotateApiKey",
          .summary = "A new secret for a key (the old one works for the grace)",
          .tag = "API keys",
          .params = {IdParam()},
          .request = {{"application/json", kGrace}},
          .request_required = false,
          .responses = {{200, "The key and its new secret", WithSecret()}},
          .problems = {{404, "not_found"}, {409, "key_revoked"}}};
}

http::RouteDoc Revoke() {
  return {.operation_id = "revokeApiKey",
          .summary = "Revoke a key now (kept, marked revoked_at)",
          .tag = "API keys",
          .params = {IdParam()},
          .responses = {{200, "The revoked key", http::Envelope("api_key", kApiKey)}},
          .problems = {{404, "not_found"}}};
}

}  // namespace tenantd::tenant_api::api_key_docs
