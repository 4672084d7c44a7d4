#include "users/user_docs.h"

#include <string>

#include "users/user_schemas.h"

namespace tenantd::users::docs {
namespace {

constexpr const char* kUser = schemas::kUser;

constexpr const char* kUserTenant = R"({
  "title": "UserTenant", "type": "object", "required": ["id", "slug", "name", "kind", "plan", "status"],
  "properties": {
    "id": {"type": "string", "pattern": "^ten_"}, "slug": {"type": "string"},
    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["personal", "org"]},
    "plan": {"type": "string"}, "status": {"type": "string", "enum": ["active", "suspended", "deleted"]},
    "role": {"type": "string", "description": "The user's role in it"}
  }})";

constexpr const char* kMembership = schemas::kUserMembership;

constexpr const char* kUserSession = R"({
  "title": "UserSession", "type": "object",
  "required": ["id", "tenant_id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "current"],
  "properties": {
    "id": {"type": "string", "pattern": "^ses_"},
    "tenant_id": {"type": "string", "description": "The tenant the session serves"},
    "created_at": {"type": "string", "format": "date-time"},
    "last_seen_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "ip": {"type": "string"}, "user_agent": {"type": "string"},
    "current": {"type": "boolean", "description": "The session of this request"}
  }})";

constexpr const char* kMember = R"({
  "title": "Member", "type": "object",
  "required": ["user_id", "email", "name", "role", "is_primary_contact", "is_billing_contact", "created_at"],
  "properties": {
    "user_id": {"type": "string", "pattern": "^usr_"}, "email": {"type": "string"},
    "name": {"type": "string"},
    "role": {"type": "string", "description": "A built-in role name or a custom role id"},
    "is_primary_contact": {"type": "boolean"}, "is_billing_contact": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}
  }})";

constexpr const char* kRole = R"({
  "title": "Role", "type": "object", "required": ["id", "name", "scopes", "built_in"],
  "properties": {
    "id": {"type": "string", "description": "The built-in role's name, or rol_… for a custom role"},
    "name": {"type": "string"},
    "scopes": {"type": "array", "items": {"type": "string"}},
    "built_in": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}
  }})";

std::string ListOf(std::string_view item) {
  return R"({"type":"object","required":["data"],"properties":{"data":{"type":"array","items":)" +
         std::string(item) + "}}}";
}

// {"user", "tenant", "role"?, "memberships"?}: what sign-up, sign-in and
// GET /auth/v1/user answer.
std::string UserAnswer(bool with_memberships) {
  std::string s = R"({"type":"object","required":["user","tenant")";
  if (with_memberships) s += R"(,"role","memberships")";
  s += R"(],"properties":{"user":)" + std::string(kUser) + R"(,"tenant":{"oneOf":[)" +
       std::string(kUserTenant) + R"(,{"type":"null"}]})";
  if (with_memberships) {
    s += R"(,"role":{"type":["string","null"]},"memberships":{"type":"array","items":)" +
         std::string(kMembership) + "}";
  }
  return s + "}}";
}

constexpr const char* kSignUp = R"({
  "title": "SignUpInput", "type": "object", "additionalProperties": false,
  "required": ["email", "password"],
  "properties": {
    "email": {"type": "string", "maxLength": 254},
    "password": {"type": "string", "minLength": 10, "maxLength": 1024, "description": "10 to 1024 bytes"},
    "name": {"type": "string", "maxLength": 200}
  }})";

constexpr const char* kSignIn = R"({
  "title": "SignInInput", "type": "object", "additionalProperties": false,
  "required": ["email", "password"],
  "properties": {
    "email": {"type": "string"}, "password": {"type": "string", "maxLength": 1024},
    "tenant": {"type": "string", "description": "The tenant to serve (id or slug); default the last one used, else the personal one"}
  }})";

constexpr const char* kUserPatch = R"({
  "title": "CurrentUserPatch", "type": "object", "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "maxLength": 200},
    "password": {"type": "string", "minLength": 10, "maxLength": 1024},
    "current_password": {"type": "string", "description": "Required with password"}
  }})";

constexpr const char* kSwitch = R"({
  "title": "SwitchInput", "type": "object", "additionalProperties": false, "required": ["tenant"],
  "properties": {"tenant": {"type": "string", "description": "Id or slug of a tenant the user belongs to"}}})";

constexpr const char* kNewTenant = R"({
  "title": "UserTenantInput", "type": "object", "additionalProperties": false,
  "required": ["slug", "name"],
  "properties": {
    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"},
    "name": {"type": "string", "maxLength": 200},
    "account": {"type": "string", "description": "acc_…: another account the user is a billing contact of; default their own"}
  }})";

constexpr const char* kMemberPatch = R"({
  "title": "MemberPatch", "type": "object", "additionalProperties": false,
  "properties": {
    "role": {"type": "string", "description": "owner, admin, member, viewer or a custom role id"},
    "is_primary_contact": {"type": "boolean"}, "is_billing_contact": {"type": "boolean"}
  }})";

constexpr const char* kRoleInput = R"({
  "title": "RoleInput", "type": "object", "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Not a built-in role's name"},
    "scopes": {"type": "array", "minItems": 1, "maxItems": 32,
               "items": {"type": "string", "pattern": "^[a-z]+:(read|write)$"}}
  }})";

constexpr const char* kInvite = R"({
  "title": "Invite", "type": "object", "required": ["id", "email", "role", "invited_by", "created_at", "expires_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^inv_"}, "email": {"type": "string"},
    "role": {"type": "string"},
    "invited_by": {"type": "string", "description": "The inviting user usr_… or API key key_…"},
    "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"}
  }})";

constexpr const char* kInviteInput = R"({
  "title": "InviteInput", "type": "object", "additionalProperties": false, "required": ["email", "role"],
  "properties": {
    "email": {"type": "string", "maxLength": 254},
    "role": {"type": "string", "description": "owner, admin, member, viewer or a custom role id"}
  }})";

constexpr const char* kAcceptInput = R"({
  "title": "AcceptInviteInput", "type": "object", "additionalProperties": false, "required": ["token"],
  "properties": {
    "token": {"type": "string", "maxLength": 128, "description": "From the invite link"},
    "name": {"type": "string", "maxLength": 200, "description": "A new user's name"},
    "password": {"type": "string", "minLength": 10, "maxLength": 1024,
                 "description": "Not signed in: signs up with the invited email"}
  }})";

constexpr const char* kRevoked =
    R"({"type":"object","required":["revoked"],"properties":{"revoked":{"type":"integer","minimum":0}}})";

http::ParamDoc UserIdParam() { return {"user_id", "path", "The member's user id (usr_…)"}; }
http::ParamDoc RoleIdParam() { return {"id", "path", "The custom role's id (rol_…)"}; }

}  // namespace

http::RouteDoc SignUp() {
  return {.operation_id = "signUp",
          .summary = "Create a user, their account and personal tenant; sign in",
          .description =
              "An email that already has an account answers the same 201 (with ids that match "
              "nothing and a cookie that serves nothing) so that accounts cannot be enumerated.",
          .tag = "Users",
          .request = {{"application/json", kSignUp}},
          .responses = {{201, "Signed up; Set-Cookie carries sid", UserAnswer(false)}},
          .problems = {{422, "validation_failed"}}};
}

http::RouteDoc SignIn() {
  return {.operation_id = "signIn",
          .summary = "Sign in with email and password (sets the sid cookie)",
          .tag = "Users",
          .request = {{"application/json", kSignIn}},
          .responses = {{200, "Signed in", UserAnswer(true)}},
          .problems = {{401, "invalid_credentials"},
                       {403, "user_suspended"},
                       {403, "not_a_member"},
                       {422, "validation_failed"},
                       {429, "rate_limited"}}};
}

http::RouteDoc SignOut() {
  return {.operation_id = "signOut",
          .summary = "End this session and clear the cookie",
          .tag = "Users",
          .responses = {{204, "Signed out", ""}}};
}

http::RouteDoc VerifyEmail() {
  return {
      .operation_id = "verifyEmail",
      .summary = "Confirm the user's email with the token from the verification email",
      .tag = "Users",
      .request =
          {{"application/json",
            R"({"title":"TokenInput","type":"object","additionalProperties":false,"required":["token"],"properties":{"token":{"type":"string"}}})"}},
      .responses = {{200, "Verified", http::Envelope("user", kUser)}},
      .problems = {{400, "invalid_token"}, {422, "validation_failed"}}};
}

http::RouteDoc Recover() {
  return {
      .operation_id = "recoverPassword",
      .summary = "Email a password-reset link (always 202)",
      .description = "The answer is the same whether or not the address has an account.",
      .tag = "Users",
      .request =
          {{"application/json",
            R"({"title":"RecoverInput","type":"object","additionalProperties":false,"required":["email"],"properties":{"email":{"type":"string"}}})"}},
      .responses =
          {{202, "Accepted",
            R"({"type":"object","required":["status"],"properties":{"status":{"type":"string"}}})"}},
      .problems = {{422, "validation_failed"}}};
}

http::RouteDoc ResetPassword() {
  return {
      .operation_id = "resetPassword",
      .summary = "Set a new password with the token from the reset email",
      .description =
          "Every session of the user ends; the token is single-use and lasts "
          "an hour.",
      .tag = "Users",
      .request =
          {{"application/json",
            R"({"title":"ResetInput","type":"object","additionalProperties":false,"required":["token","password"],"properties":{"token":{"type":"string"},"password":{"type":"string","minLength":10,"maxLength":1024}}})"}},
      .responses = {{204, "Changed", ""}},
      .problems = {{400, "invalid_token"}, {422, "validation_failed"}}};
}

http::RouteDoc ShowUser() {
  return {.operation_id = "getCurrentUser",
          .summary = "The signed-in user, their memberships and the active tenant",
          .tag = "Users",
          .responses = {{200, "The user", UserAnswer(true)}}};
}

http::RouteDoc UpdateUser() {
  return {.operation_id = "updateCurrentUser",
          .summary = "Change the user's name or password",
          .description =
              "A new password ends every other session of the user; this request "
              "gets a new session id (Set-Cookie).",
          .tag = "Users",
          .request = {{"application/json", kUserPatch}},
          .responses = {{200, "The user", UserAnswer(true)}},
          .problems = {{403, "invalid_credentials"}, {422, "validation_failed"}}};
}

http::RouteDoc SwitchTenant() {
  return {
      .operation_id = "switchTenant",
      .summary = "Serve another of the user's tenants (new session id and cookie)",
      .tag = "Users",
      .request = {{"application/json", kSwitch}},
      .responses = {{200, "Switched",
                     R"({"type":"object","required":["tenant","role"],"properties":{"tenant":)" +
                         std::string(kUserTenant) + R"(,"role":{"type":"string"}}})"}},
      .problems = {{403, "not_a_member"}, {422, "validation_failed"}}};
}

http::RouteDoc CreateTenant() {
  return {
      .operation_id = "createUserTenant",
      .summary = "Create an org tenant owned by the user",
      .description =
          "Does not switch to it. App credentials are not shown here: an owner "
          "gets them by rotating them.",
      .tag = "Users",
      .request = {{"application/json", kNewTenant}},
      .responses = {{201, "Created", http::Envelope("tenant", kUserTenant)}},
      .problems = {{403, "not_billing_contact"}, {409, "slug_taken"}, {422, "validation_failed"}}};
}

http::RouteDoc ListSessions() {
  return {.operation_id = "listUserSessions",
          .summary = "The user's live sessions, on every device",
          .tag = "Users",
          .responses = {{200, "The sessions", ListOf(kUserSession)}}};
}

http::RouteDoc RevokeSession() {
  return {.operation_id = "revokeUserSession",
          .summary = "End one of the user's sessions",
          .tag = "Users",
          .params = {{"id", "path", "The session id (ses_…)"}},
          .responses = {{204, "Revoked", ""}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc RevokeOtherSessions() {
  return {.operation_id = "revokeOtherUserSessions",
          .summary = "End every session of the user but this one",
          .tag = "Users",
          .responses = {{200, "How many ended", kRevoked}}};
}

http::RouteDoc AcceptInvite() {
  return {
      .operation_id = "acceptInvite",
      .summary = "Join the tenant of an invite",
      .description =
          "Signed in with the invited email, or with a password to sign up with "
          "it (the new user's email counts as verified). The session then serves "
          "the tenant joined.",
      .tag = "Users",
      .request = {{"application/json", kAcceptInput}},
      .responses = {{200, "Joined; Set-Cookie carries the new session",
                     R"({"type":"object","required":["tenant","role"],"properties":{"tenant":)" +
                         std::string(kUserTenant) + R"(,"role":{"type":"string"}}})"}},
      .problems = {{400, "invalid_token"},
                   {401, "not_signed_in"},
                   {403, "invite_email_mismatch"},
                   {409, "already_member"},
                   {422, "validation_failed"}}};
}

http::RouteDoc CreateInvite() {
  return {
      .operation_id = "createInvite",
      .summary = "Invite an email to the tenant with a role (sends a 7-day link)",
      .tag = "Members",
      .request = {{"application/json", kInviteInput}},
      .responses = {{201, "Invited", http::Envelope("invite", kInvite)}},
      .problems = {{403, "owner_required"}, {409, "personal_tenant"}, {422, "validation_failed"}}};
}

http::RouteDoc ListInvites() {
  return {.operation_id = "listInvites",
          .summary = "The tenant's pending invites",
          .tag = "Members",
          .responses = {{200, "The invites", ListOf(kInvite)}}};
}

http::RouteDoc DeleteInvite() {
  return {.operation_id = "deleteInvite",
          .summary = "Withdraw a pending invite",
          .tag = "Members",
          .params = {{"id", "path", "The invite id (inv_…)"}},
          .responses = {{204, "Withdrawn", ""}},
          .problems = {{404, "not_found"}}};
}

http::RouteDoc ListMembers() {
  return {.operation_id = "listMembers",
          .summary = "The tenant's members and their roles",
          .tag = "Members",
          .responses = {{200, "The members", ListOf(kMember)}}};
}

http::RouteDoc UpdateMember() {
  return {.operation_id = "updateMember",
          .summary = "Change a member's role or contact flags",
          .description =
              "Takes effect on the member's next request. The last owner cannot be "
              "demoted; only an owner makes or unmakes an owner.",
          .tag = "Members",
          .params = {UserIdParam()},
          .request = {{"application/json", kMemberPatch}},
          .responses = {{200, "The member", http::Envelope("member", kMember)}},
          .problems = {{403, "owner_required"},
                       {404, "not_found"},
                       {409, "last_owner"},
                       {422, "validation_failed"}}};
}

http::RouteDoc RemoveMember() {
  return {.operation_id = "removeMember",
          .summary = "Remove a member; their sessions of this tenant end",
          .tag = "Members",
          .params = {UserIdParam()},
          .responses = {{204, "Removed", ""}},
          .problems = {{403, "owner_required"}, {404, "not_found"}, {409, "last_owner"}}};
}

http::RouteDoc ListRoles() {
  return {.operation_id = "listRoles",
          .summary = "The built-in roles, then the tenant's custom roles",
          .tag = "Members",
          .responses = {{200, "The roles", ListOf(kRole)}}};
}

http::RouteDoc CreateRole() {
  return {.operation_id = "createRole",
          .summary = "Create a custom role",
          .tag = "Members",
          .request = {{"application/json", kRoleInput}},
          .responses = {{201, "Created", http::Envelope("role", kRole)}},
          .problems = {{409, "role_exists"}, {422, "validation_failed"}}};
}

http::RouteDoc UpdateRole() {
  return {.operation_id = "updateRole",
          .summary = "Rename a custom role or change its scopes",
          .description = "Members holding it get the new scopes on their next request.",
          .tag = "Members",
          .params = {RoleIdParam()},
          .request = {{"application/json", kRoleInput}},
          .responses = {{200, "The role", http::Envelope("role", kRole)}},
          .problems = {{404, "not_found"}, {409, "role_exists"}, {422, "validation_failed"}}};
}

http::RouteDoc DeleteRole() {
  return {.operation_id = "deleteRole",
          .summary = "Delete a custom role no member or invite holds",
          .tag = "Members",
          .params = {RoleIdParam()},
          .responses = {{204, "Deleted", ""}},
          .problems = {{404, "not_found"}, {409, "in_use"}}};
}

}  // namespace tenantd::users::docs
