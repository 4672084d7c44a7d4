// People in the control store (api.md §11): users, the accounts that own
// tenants, memberships with a role in each tenant, custom roles, one-time
// tokens (email verification, password reset) and invites. Records only:
// the rules of sign-up and sign-in, passwords and sessions live in
// src/users/. Every call is awaitable and thread-safe, on either engine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "control/control_store.h"

namespace tenantd::control {

enum class UserStatus { kActive, kSuspended };
std::string_view ToString(UserStatus s);  // "active" | "suspended"
std::optional<UserStatus> ParseUserStatus(std::string_view s);

struct User {
  std::string id;     // "usr_" + ULID
  std::string email;  // lower-cased
  std::string name;
  UserStatus status = UserStatus::kActive;
  std::string account_id;          // the account made at sign-up
  std::string personal_tenant_id;  // made at sign-up
  std::string last_tenant_id;      // the tenant last signed in to or switched to
  std::optional<base::TimePoint> email_verified_at;
  std::optional<base::TimePoint> last_sign_in_at;
  // Sessions started before this are over (a password change or reset).
  std::optional<base::TimePoint> sessions_valid_after;
  base::TimePoint created_at;
  base::TimePoint updated_at;
};

// A user with their stored argon2id hash: for sign-in only.
struct UserCredentials {
  User user;
  std::string password_hash;
};

struct Account {
  std::string id;  // "acc_" + ULID
  std::string name;
  std::string billing_email;
  std::optional<std::string> stripe_customer_id;
  std::string status;  // "active" | "past_due"
  base::TimePoint created_at;
  base::TimePoint updated_at;
};

// The built-in roles, most powerful first, and the scopes each holds.
inline constexpr std::string_view kBuiltInRoles[] = {"owner", "admin", "member", "viewer"};
bool IsBuiltInRole(std::string_view role);
// The scopes of a built-in role (owner: every scope); empty for another name.
std::vector<std::string> BuiltInRoleScopes(std::string_view role);

struct Role {
  std::string id;  // "rol_" + ULID (custom roles); the name for built-in ones
  std::string tenant_id;
  std::string name;
  std::vector<std::string> scopes;
  bool built_in = false;
  base::TimePoint created_at;
  base::TimePoint updated_at;
};

struct Membership {
  std::string user_id;
  std::string tenant_id;
  std::string role;  // built-in name or custom role id
  bool is_primary_contact = false;
  bool is_billing_contact = false;
  base::TimePoint created_at;
};

// A membership as the member sees it: with its tenant.
struct TenantMembership {
  Membership membership;
  std::string tenant_slug;
  std::string tenant_name;
  std::string tenant_kind;
};

// A membership as the tenant sees it: with its user.
struct Member {
  Membership membership;
  std::string email;
  std::string name;
};

// What a user session needs on every request: the user's standing in the
// tenant it serves. nullopt from FindUserAccess when not a member.
struct UserAccess {
  std::string user_id;
  std::string tenant_id;
  UserStatus status = UserStatus::kActive;
  std::optional<base::TimePoint> sessions_valid_after;
  std::string role;  // built-in name or custom role id
  std::string role_name;
  bool all_scopes = false;
  std::vector<std::string> scopes;
};

struct NewUser {
  std::string email;  // stored lower-cased (SignUp does it)
  std::string name;
  std::string password_hash;
  bool email_verified = false;
};

struct MemberPatch {
  std::optional<std::string> role;
  std::optional<bool> is_primary_contact;
  std::optional<bool> is_billing_contact;
};

struct Invite {
  std::string id;  // "inv_" + ULID
  std::string tenant_id;
  std::string email;
  std::string role;
  std::string invited_by;
  base::TimePoint created_at;
  base::TimePoint expires_at;
  std::optional<base::TimePoint> accepted_at;
};

struct UserPage {
  std::vector<User> items;
  std::optional<std::string> next_cursor;
};

class People {
 public:
  template <class T>
  using Async = boost::asio::awaitable<base::Result<T>>;
  using AsyncStatus = boost::asio::awaitable<base::Status>;

  // `store` must outlive this.
  explicit People(ControlStore& store);

  // ---- Users ----

  // A new user with an account of their own and a personal tenant they own
  // (`tenant` names it; kind and account are set here), in one
  // transaction. kAlreadyExists "email_taken" when the email is in use.
  Async<std::pair<User, CreatedTenant>> SignUp(const NewUser& user, NewTenant tenant,
                                               const TenantProvisioning& provisioning);
  // By email (any case), with the password hash; nullopt when unknown.
  Async<std::optional<UserCredentials>> FindCredentials(std::string_view email);
  Async<std::optional<User>> FindUser(std::string_view user_id);
  Async<std::optional<std::string>> PasswordHash(std::string_view user_id);
  // Records a sign-in to (or a switch to) `tenant_id`.
  AsyncStatus RecordSignIn(std::string_view user_id, std::string_view tenant_id, bool sign_in);
  Async<User> Rename(std::string_view user_id, std::string_view name);
  // New hash; sessions started before `sessions_valid_after` end.
  // kNotFound for an unknown user.
  AsyncStatus SetPassword(std::string_view user_id, std::string_view password_hash,
                          base::TimePoint sessions_valid_after);
  AsyncStatus MarkEmailVerified(std::string_view user_id);
  // Admin: by id; a non-empty `email` keeps only that email (exact, any
  // case).
  Async<UserPage> ListUsers(std::string_view email, std::string_view after, int limit);
  // kNotFound for an unknown user.
  Async<User> SetStatus(std::string_view user_id, UserStatus status);

  // ---- Memberships ----

  Async<std::vector<TenantMembership>> MembershipsOf(std::string_view user_id);
  Async<std::optional<UserAccess>> FindUserAccess(std::string_view user_id,
                                                  std::string_view tenant_id);
  Async<std::vector<Member>> Members(std::string_view tenant_id);
  // kNotFound for a non-member; "last_owner" (409) when it would leave the
  // tenant without an owner; validation_failed for an unknown role.
  Async<Member> UpdateMember(std::string_view tenant_id, std::string_view user_id,
                             const MemberPatch& patch);
  AsyncStatus RemoveMember(std::string_view tenant_id, std::string_view user_id);
  // kAlreadyExists "already_member"; "personal_tenant" (409) for a
  // personal tenant (never shared); kNotFound for an unknown tenant.
  AsyncStatus AddMember(std::string_view tenant_id, std::string_view user_id,
                        std::string_view role);

  // ---- Roles ----

  // The built-in roles, then the tenant's custom ones.
  Async<std::vector<Role>> Roles(std::string_view tenant_id);
  // validation_failed (name, scopes); "role_exists" (409) for a taken name.
  Async<Role> CreateRole(std::string_view tenant_id, std::string_view name,
                         const std::vector<std::string>& scopes);
  Async<Role> UpdateRole(std::string_view tenant_id, std::string_view role_id,
                         const std::optional<std::string>& name,
                         const std::optional<std::vector<std::string>>& scopes);
  // "in_use" (409) while a member or a pending (unexpired) invite holds
  // it; kNotFound for a built-in role or another tenant's.
  AsyncStatus DeleteRole(std::string_view tenant_id, std::string_view role_id);
  // Whether `role` names a built-in role or one of the tenant's custom ones.
  Async<bool> RoleExists(std::string_view tenant_id, std::string_view role);

  // ---- One-time tokens (stored as SHA-256 hex) ----

  AsyncStatus AddUserToken(std::string_view purpose, std::string_view user_id,
                           std::string_view token_hash, base::TimePoint expires_at);
  // Marks the token used and returns its user; nullopt when unknown, used,
  // expired or of another purpose. Single use even under concurrency.
  Async<std::optional<std::string>> ConsumeUserToken(std::string_view purpose,
                                                     std::string_view token_hash);

  // ---- Invites ----

  // `email` is stored lower-cased; the caller checks the role exists.
  // "personal_tenant" (409) for a personal tenant, as AddMember.
  Async<Invite> CreateInvite(std::string_view tenant_id, std::string_view email,
                             std::string_view role, std::string_view invited_by,
                             std::string_view token_hash, base::TimePoint expires_at);
  // Pending (not accepted, not expired) invites of the tenant.
  Async<std::vector<Invite>> Invites(std::string_view tenant_id);
  // false when there was none of that tenant.
  Async<bool> DeleteInvite(std::string_view tenant_id, std::string_view invite_id);
  // The pending invite with this token hash; nullopt when unknown, used or
  // expired.
  Async<std::optional<Invite>> FindInvite(std::string_view token_hash);
  // Marks it accepted and makes `user_id` a member with its role, in one
  // transaction; false when it was accepted meanwhile.
  Async<bool> AcceptInvite(const Invite& invite, std::string_view user_id);

  // ---- Accounts ----

  Async<std::optional<Account>> FindAccount(std::string_view account_id);
  // Whether the user may put tenants on the account: it is theirs, or they
  // are a billing contact of one of its tenants (not a deleted one).
  Async<bool> MayUseAccount(std::string_view user_id, std::string_view account_id);

 private:
  ControlStore& store_;
  storage::Database& db_;
};

}  // namespace tenantd::control
