// The JSON Schemas of a user and of a user's membership (users/user_json.h
// answers them): one text, used by every route that answers them (the
// OpenAPI document refuses one title for two different schemas).
#pragma once

namespace tenantd::users::schemas {

inline constexpr const char* kUser = R"({
  "title": "User", "type": "object",
  "required": ["id", "email", "name", "status", "account_id", "personal_tenant_id", "email_verified_at", "last_sign_in_at", "created_at", "updated_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^usr_"},
    "email": {"type": "string", "description": "Lower-cased"},
    "name": {"type": "string"},
    "status": {"type": "string", "enum": ["active", "suspended"]},
    "account_id": {"type": "string", "pattern": "^acc_", "description": "The account made at sign-up"},
    "personal_tenant_id": {"type": "string", "pattern": "^ten_", "description": "The personal tenant made at sign-up"},
    "email_verified_at": {"type": ["string", "null"], "format": "date-time"},
    "last_sign_in_at": {"type": ["string", "null"], "format": "date-time"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}
  }})";

inline constexpr const char* kUserMembership = R"({
  "title": "UserMembership", "type": "object", "required": ["tenant_id", "slug", "name", "kind", "role"],
  "properties": {
    "tenant_id": {"type": "string", "pattern": "^ten_"}, "slug": {"type": "string"},
    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["personal", "org"]},
    "role": {"type": "string", "description": "A built-in role name or a custom role id"}
  }})";

}  // namespace tenantd::users::schemas
