#include "admin/admin_docs.h"

#include "users/user_schemas.h"

#include <string>

namespace tenantd::admin::admin_docs {
namespace {

constexpr const char* kTenant = R"({
  "title": "Tenant", "type": "object",
  "required": ["id", "slug", "name", "plan", "status", "isolation", "created_at", "updated_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^ten_"},
    "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$"},
    "name": {"type": "string"},
    "plan": {"type": "string"},
    "status": {"type": "string", "enum": ["active", "suspended", "deleted"]},
    "isolation": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}
  }})";

constexpr const char* kCredentials = R"({
  "title": "AppCredentials", "type": "object", "required": ["app_key", "app_secret"],
  "properties": {
    "app_key": {"type": "string", "pattern": "^ak_"},
    "app_secret": {"type": "string", "description": "Shown once"}
  }})";

constexpr const char* kBackup = R"({
  "title": "Backup", "type": "object", "required": ["id", "created_at", "size", "sha256", "path"],
  "properties": {
    "id": {"type": "string", "pattern": "^bkp_"},
    "created_at": {"type": "string", "format": "date-time"},
    "size": {"type": "integer", "minimum": 0},
    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "path": {"type": "string", "description": "Relative to the data directory"}
  }})";

constexpr const char* kUsageDay = R"({
  "title": "UsageDay", "type": "object",
  "required": ["day", "requests", "bytes_in", "bytes_out", "stored_bytes", "file_count"],
  "properties": {
    "day": {"type": "string", "format": "date"},
    "requests": {"type": "integer", "minimum": 0},
    "bytes_in": {"type": "integer", "minimum": 0},
    "bytes_out": {"type": "integer", "minimum": 0},
    "stored_bytes": {"type": ["integer", "null"], "minimum": 0},
    "file_count": {"type": ["integer", "null"], "minimum": 0}
  }})";

constexpr const char* kUser = users::schemas::kUser;
constexpr const char* kUserMembership = users::schemas::kUserMembership;

constexpr const char* kTag = "Administration";

http::ParamDoc IdParam() { return {"id", "path", "The tenant's id (ten_…) or slug"}; }

std::string TenantEnvelope() { return http::Envelope("tenant", kTenant); }

}  // namespace

http::RouteDoc CreateTenant() {
  return {
      .operation_id = "createTenant",
      .summary = "Create a tenant (its database is ready when this answers)",
      .tag = kTag,
      .request = {{"application/json", R"({
        "title": "TenantInput", "type": "object", "additionalProperties": false,
        "required": ["slug", "name"],
        "properties": {
          "slug": {"type": "string", "description": "3-63 of [a-z0-9-], not starting or ending with -"},
          "name": {"type": "string", "minLength": 1},
          "plan": {"type": "string", "description": "free (default), pro, enterprise or a configured plan"},
          "isolation": {"type": "string", "enum": ["database"]}
        }})"}},
      .responses =
          {{201, "The tenant and its app credentials (the secret is shown once)",
            std::string(
                R"({"title":"TenantCreated","type":"object","required":["tenant","credentials"],"properties":{"tenant":)") +
                kTenant + R"(,"credentials":)" + kCredentials + "}}"}},
      .problems = {{409, "slug_taken"}}};
}

http::RouteDoc ListTenants() {
  std::vector<http::ParamDoc> params = http::PageParams();
  params.push_back({"status", "query", "Only tenants with this status",
                    R"({"type":"string","enum":["active","suspended","deleted"]})"});
  return {.operation_id = "listTenants",
          .summary = "List tenants in creation order",
          .tag = kTag,
          .params = std::move(params),
          .responses = {{200, "A page of tenants", http::PageOf(kTenant)}},
          .problems = {{400, "bad_request"}}};
}

http::RouteDoc ShowTenant() {
  return {.operation_id = "getTenant",
          .summary = "One tenant (never secrets)",
          .tag = kTag,
          .params = {IdParam()},
          .responses = {{200, "The tenant", TenantEnvelope()}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc PatchTenant() {
  return {.operation_id = "updateTenant",
          .summary = "Change a tenant's name, plan or status",
          .tag = kTag,
          .params = {IdParam()},
          .request = {{"application/json", R"({
            "title": "TenantPatch", "type": "object", "additionalProperties": false,
            "properties": {
              "name": {"type": "string", "minLength": 1},
              "plan": {"type": "string"},
              "status": {"type": "string", "enum": ["active", "suspended"]}
            }})"}},
          .responses = {{200, "The tenant", TenantEnvelope()}},
          .problems = {{404, "not_found"}, {409, "tenant_deleted"}}};
}

http::RouteDoc DeleteTenant() {
  return {.operation_id = "deleteTenant",
          .summary = "Delete a tenant (its access stops at once; ?purge=true removes its data)",
          .tag = kTag,
          .params = {IdParam(),
                     {"purge", "query", "Also remove its database, files and backups",
                      R"({"type":"string","enum":["true","false"]})"}},
          .responses = {{204, "Deleted", ""}},
          .problems = {{400, "bad_request"}, {404, "not_found"}, {409, "tenant_busy"}}};
}

http::RouteDoc RotateCredentials() {
  return {
      .operation_id = "rotateTenantSecret",
      .summary = "A new app secret (shown once); the old one works for the grace",
      .tag = kTag,
      .params = {IdParam()},
      .request = {{"application/json", R"({
            "title": "TenantRotateInput", "type": "object", "additionalProperties": false,
            "properties": {"grace_seconds": {"type": "integer", "minimum": 0, "maximum": 2592000}}})"}},
      .request_required = false,
      .responses =
          {{200, "The new credentials",
            std::string(
                R"({"title":"RotatedCredentials","type":"object","required":["credentials","previous_secret_expires_at"],"properties":{"credentials":)") +
                kCredentials +
                R"(,"previous_secret_expires_at":{"type":"string","format":"date-time"}}})"}},
      .problems = {{404, "not_found"}, {409, "tenant_deleted"}}};
}

http::RouteDoc ListUsers() {
  std::vector<http::ParamDoc> params = http::PageParams();
  params.push_back({"email", "query", "Only the user with this email (exact, any case)"});
  return {.operation_id = "listUsers",
          .summary = "List users in sign-up order",
          .tag = kTag,
          .params = std::move(params),
          .responses = {{200, "A page of users", http::PageOf(kUser)}},
          .problems = {{400, "bad_request"}}};
}

http::RouteDoc ShowUser() {
  return {
      .operation_id = "getUser",
      .summary = "One user and the tenants they belong to (never the password)",
      .tag = kTag,
      .params = {{"id", "path", "The user's id (usr_…)"}},
      .responses =
          {{200, "The user and their memberships",
            std::string(
                R"({"title":"UserWithMemberships","type":"object","required":["user","memberships"],"properties":{"user":)") +
                kUser + R"(,"memberships":{"type":"array","items":)" + kUserMembership + "}}}"}},
      .problems = {{404, "not_found"}}};
}

http::RouteDoc PatchUser() {
  return {.operation_id = "updateUser",
          .summary = "Suspend a user (every session of theirs ends) or reactivate them",
          .tag = kTag,
          .params = {{"id", "path", "The user's id (usr_…)"}},
          .request = {{"application/json", R"({
            "title": "UserPatch", "type": "object", "additionalProperties": false,
            "properties": {"status": {"type": "string", "enum": ["active", "suspended"]}}})"}},
          .responses = {{200, "The user", http::Envelope("user", kUser)}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc CreateBackup() {
  return {.operation_id = "createBackup",
          .summary = "Take a backup of a tenant now",
          .tag = kTag,
          .params = {IdParam()},
          .responses = {{201, "The backup archive", http::Envelope("backup", kBackup)}},
          .problems = {{404, "not_found"},
                       {409, "tenant_busy"},
                       {409, "tenant_deleted"},
                       {500, "dump_failed"},
                       {503, "tenant_migrating"},
                       {503, "tenant_restoring"}}};
}

http::RouteDoc ListBackups() {
  return {.operation_id = "listBackups",
          .summary = "List a tenant's backups, oldest first",
          .tag = kTag,
          .params =
              [] {
                std::vector<http::ParamDoc> p{IdParam()};
                for (http::ParamDoc& page : http::PageParams()) p.push_back(std::move(page));
                return p;
              }(),
          .responses = {{200, "A page of backups", http::PageOf(kBackup)}},
          .problems = {{400, "bad_request"}, {404, "not_found"}}};
}

http::RouteDoc Restore() {
  return {.operation_id = "restoreTenant",
          .summary = "Restore a tenant's database and files from a backup",
          .tag = kTag,
          .params = {IdParam()},
          .request = {{"application/json", R"({
            "title": "RestoreInput", "type": "object", "additionalProperties": false,
            "required": ["backup_id"], "properties": {"backup_id": {"type": "string"}}})"}},
          .responses = {{200, "What was restored", R"({
            "title": "RestoreResult", "type": "object", "required": ["restore"],
            "properties": {"restore": {
              "type": "object", "required": ["tenant_id", "backup_id", "schema_version", "files", "bytes"],
              "properties": {
                "tenant_id": {"type": "string"}, "backup_id": {"type": "string"},
                "schema_version": {"type": "integer"}, "files": {"type": "integer"},
                "bytes": {"type": "integer"}}}}})"}},
          .problems = {{404, "not_found"},
                       {409, "tenant_deleted"},
                       {409, "tenant_busy"},
                       {409, "backup_corrupt"},
                       {409, "backup_format_unsupported"},
                       {409, "schema_too_new"},
                       {409, "backup_tenant_mismatch"}}};
}

http::RouteDoc Usage() {
  std::vector<http::ParamDoc> params{
      IdParam(),
      {"from", "query", "First day (YYYY-MM-DD)", R"({"type":"string","format":"date"})"},
      {"to", "query", "Last day (YYYY-MM-DD)", R"({"type":"string","format":"date"})"},
      {"limit", "query", "Days per page", R"({"type":"integer","minimum":1,"maximum":500})"},
      {"after", "query", "The next_cursor (a day) of the previous page"}};
  return {.operation_id = "getTenantUsage",
          .summary = "A tenant's usage by UTC day",
          .tag = kTag,
          .params = std::move(params),
          .responses = {{200, "A page of days", http::PageOf(kUsageDay)}},
          .problems = {{400, "bad_request"}, {404, "not_found"}}};
}

}  // namespace tenantd::admin::admin_docs
