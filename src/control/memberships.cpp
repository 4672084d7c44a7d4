// People: memberships, built-in and custom roles, and the user access a
// user session is checked against on every request.
#include <algorithm>

#include "base/ids.h"
#include "base/text.h"
#include "control/control_store_impl.h"
#include "control/people.h"
#include "control/people_impl.h"
#include "storage/errors.h"

namespace tenantd::control {
namespace {

constexpr std::size_t kMaxRoleScopes = 32;

base::Error NotAMember() { return base::NotFound("No such member."); }
base::Error NoSuchRole() { return base::NotFound("No such role."); }

base::Error LastOwner() {
  return base::MakeError(base::ErrorCode::kAlreadyExists, "last_owner",
                         "The tenant's last owner can be neither removed nor demoted; make another "
                         "member an owner first.");
}

base::Error UnknownRole() {
  return base::ValidationFailed(
      {{"role", "Role must be owner, admin, member, viewer or the id of a custom role."}});
}

base::Result<Membership> ReadMembership(const storage::Row& row, int first) {
  Membership m;
  m.user_id = row.Text(first);
  m.tenant_id = row.Text(first + 1);
  m.role = row.Text(first + 2);
  m.is_primary_contact = row.Int64(first + 3) != 0;
  m.is_billing_contact = row.Int64(first + 4) != 0;
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(first + 5));
  if (!created) return base::Internal("control store: corrupt membership of " + m.user_id);
  m.created_at = *created;
  return m;
}

constexpr std::string_view kMembershipColumns =
    "m.user_id, m.tenant_id, m.role, m.is_primary_contact, m.is_billing_contact, m.created_at";

base::Result<Role> ReadRole(const storage::Row& row) {
  Role r;
  r.id = row.Text(0);
  r.tenant_id = row.Text(1);
  r.name = row.Text(2);
  r.scopes = SplitScopes(row.Text(3));
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(4));
  const std::optional<base::TimePoint> updated = base::ParseRfc3339(row.Text(5));
  if (!created || !updated) return base::Internal("control store: corrupt role " + r.id);
  r.created_at = *created;
  r.updated_at = *updated;
  return r;
}

constexpr std::string_view kRoleColumns =
    "r.id, r.tenant_id, r.name, r.scopes, r.created_at, r.updated_at";

std::vector<base::FieldError> CheckRole(const std::optional<std::string>& name,
                                        const std::optional<std::vector<std::string>>& scopes) {
  std::vector<base::FieldError> errors;
  if (name) {
    if (auto e = CheckName(*name)) {
      errors.push_back(std::move(*e));
    } else if (IsBuiltInRole(base::TrimAsciiSpace(*name))) {
      errors.push_back({"name", "A custom role cannot take a built-in role's name."});
    }
  }
  if (scopes) {
    if (scopes->empty() || scopes->size() > kMaxRoleScopes) {
      errors.push_back({"scopes", "A role holds 1 to 32 scopes."});
    }
    for (const std::string& s : *scopes) {
      if (!IsKnownScope(s)) {
        errors.push_back({"scopes", "Unknown scope \"" + s.substr(0, 40) + "\"."});
        break;
      }
    }
  }
  return errors;
}

// Whether `role` is a built-in role or a custom role of the tenant, within
// `tx`. A custom role's row stays locked until `tx` ends (PostgreSQL;
// SQLite's transaction holds the write lock already): DeleteRole locks it
// too, so a role cannot be deleted while it is being given to a member.
boost::asio::awaitable<base::Result<bool>> RoleKnown(storage::Transaction& tx,
                                                     std::string_view tenant_id,
                                                     std::string_view role) {
  if (IsBuiltInRole(role)) co_return true;
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await tx.Query("SELECT 1 FROM roles WHERE id = $1 AND tenant_id = $2" +
                                       std::string(ForUpdate(tx)),
                                   role, tenant_id));
  co_return !rows.empty();
}

// The owners of the tenant, locked until the transaction ends (PostgreSQL;
// SQLite's transaction holds the write lock already), so that two owners
// demoting each other at once cannot both succeed.
boost::asio::awaitable<base::Result<std::vector<std::string>>> LockOwners(
    storage::Transaction& tx, std::string_view tenant_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await tx.Query("SELECT user_id FROM memberships WHERE tenant_id = $1 AND"
                                   " role = 'owner' ORDER BY user_id" +
                                       std::string(ForUpdate(tx)),
                                   tenant_id));
  std::vector<std::string> owners;
  for (const storage::Row& row : rows.rows) owners.push_back(row.Text(0));
  co_return owners;
}

}  // namespace

AsyncStatus CheckShareable(storage::Database& db, std::string_view tenant_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db.Query("SELECT kind FROM tenants WHERE id = $1", tenant_id));
  if (rows.empty()) co_return NoSuchTenant();
  if (rows.front().Text(0) == "personal") {
    co_return base::MakeError(base::ErrorCode::kFailedPrecondition, "personal_tenant",
                              "A personal tenant is never shared; create an org tenant to work "
                              "with others.");
  }
  co_return storage::Ok();
}

bool IsBuiltInRole(std::string_view role) {
  return std::find(std::begin(kBuiltInRoles), std::end(kBuiltInRoles), role) !=
         std::end(kBuiltInRoles);
}

std::vector<std::string> BuiltInRoleScopes(std::string_view role) {
  std::vector<std::string> out;
  for (const std::string& scope : AllScopes()) {
    const bool read = scope.ends_with(":read");
    const bool billing = scope.starts_with("billing:");
    if (role == "owner" || (role == "admin" && !billing) || (role == "viewer" && read) ||
        (role == "member" && (read || scope == "products:write" || scope == "files:write"))) {
      out.push_back(scope);
    }
  }
  return out;
}

People::Async<std::vector<TenantMembership>> People::MembershipsOf(std::string_view user_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kMembershipColumns) +
                                        ", t.slug, t.name, t.kind FROM memberships m"
                                        " JOIN tenants t ON t.id = m.tenant_id"
                                        " WHERE m.user_id = $1 AND t.status <> 'deleted'"
                                        " ORDER BY m.tenant_id",
                                    user_id));
  std::vector<TenantMembership> out;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(Membership m, ReadMembership(row, 0));
    out.push_back(TenantMembership{std::move(m), row.Text(6), row.Text(7), row.Text(8)});
  }
  co_return out;
}

People::Async<std::optional<UserAccess>> People::FindUserAccess(std::string_view user_id,
                                                                std::string_view tenant_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT u.status, u.sessions_valid_after, m.role, r.name,"
                                    " r.scopes FROM memberships m"
                                    " JOIN users u ON u.id = m.user_id"
                                    " LEFT JOIN roles r ON r.id = m.role AND r.tenant_id ="
                                    " m.tenant_id WHERE m.user_id = $1 AND m.tenant_id = $2",
                                    user_id, tenant_id));
  if (rows.empty()) co_return std::optional<UserAccess>();
  const storage::Row& row = rows.front();
  UserAccess a;
  a.user_id = user_id;
  a.tenant_id = tenant_id;
  const std::optional<UserStatus> status = ParseUserStatus(row.Text(0));
  if (!status) co_return base::Internal("control store: corrupt user row " + a.user_id);
  a.status = *status;
  TENANTD_CO_TRY(a.sessions_valid_after, ColumnOptionalTime(row, 1));
  a.role = row.Text(2);
  if (IsBuiltInRole(a.role)) {
    a.role_name = a.role;
    a.all_scopes = a.role == "owner";
    if (!a.all_scopes) a.scopes = BuiltInRoleScopes(a.role);
  } else {
    // A custom role deleted under a member cannot happen (in_use); a
    // missing one grants nothing.
    a.role_name = row.OptionalText(3).value_or("");
    a.scopes = SplitScopes(row.OptionalText(4).value_or(""));
  }
  co_return std::optional<UserAccess>(std::move(a));
}

People::Async<std::vector<Member>> People::Members(std::string_view tenant_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kMembershipColumns) +
                                        ", u.email, u.name FROM memberships m"
                                        " JOIN users u ON u.id = m.user_id"
                                        " WHERE m.tenant_id = $1 ORDER BY m.user_id",
                                    tenant_id));
  std::vector<Member> out;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(Membership m, ReadMembership(row, 0));
    out.push_back(Member{std::move(m), row.Text(6), row.Text(7)});
  }
  co_return out;
}

People::Async<Member> People::UpdateMember(std::string_view tenant_id, std::string_view user_id,
                                           const MemberPatch& patch) {
  {
    TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await db_.Begin());
    TENANTD_CO_TRY(std::vector<std::string> owners, co_await LockOwners(*tx, tenant_id));
    TENANTD_CO_TRY(storage::Rows found,
                   co_await tx->Query("SELECT role FROM memberships WHERE tenant_id = $1 AND"
                                      " user_id = $2",
                                      tenant_id, user_id));
    if (found.empty()) co_return NotAMember();
    if (patch.role) {
      TENANTD_CO_TRY(bool known, co_await RoleKnown(*tx, tenant_id, *patch.role));
      if (!known) co_return UnknownRole();
      if (found.front().Text(0) == "owner" && *patch.role != "owner" && owners.size() <= 1) {
        co_return LastOwner();
      }
      TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
          "UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3", *patch.role,
          tenant_id, user_id));
    }
    if (patch.is_primary_contact) {
      TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
          "UPDATE memberships SET is_primary_contact = $1 WHERE tenant_id = $2 AND user_id = $3",
          *patch.is_primary_contact ? 1 : 0, tenant_id, user_id));
    }
    if (patch.is_billing_contact) {
      TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
          "UPDATE memberships SET is_billing_contact = $1 WHERE tenant_id = $2 AND user_id = $3",
          *patch.is_billing_contact ? 1 : 0, tenant_id, user_id));
    }
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  }
  store_.NoteChanged({std::string(tenant_id)});
  TENANTD_CO_TRY(std::vector<Member> members, co_await Members(tenant_id));
  for (Member& m : members) {
    if (m.membership.user_id == user_id) co_return std::move(m);
  }
  co_return NotAMember();
}

People::AsyncStatus People::RemoveMember(std::string_view tenant_id, std::string_view user_id) {
  {
    TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await db_.Begin());
    TENANTD_CO_TRY(std::vector<std::string> owners, co_await LockOwners(*tx, tenant_id));
    if (owners.size() == 1 && owners.front() == user_id) co_return LastOwner();
    TENANTD_CO_TRY(storage::Rows removed,
                   co_await tx->Query("DELETE FROM memberships WHERE tenant_id = $1 AND"
                                      " user_id = $2 RETURNING user_id",
                                      tenant_id, user_id));
    if (removed.empty()) co_return NotAMember();
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  }
  store_.NoteChanged({std::string(tenant_id)});
  co_return base::Status();
}

People::AsyncStatus People::AddMember(std::string_view tenant_id, std::string_view user_id,
                                      std::string_view role) {
  TENANTD_CO_RETURN_IF_ERROR(co_await CheckShareable(db_, tenant_id));
  base::Status added = co_await db_.Exec(
      "INSERT INTO memberships (user_id, tenant_id, role, created_at) VALUES ($1, $2, $3, $4)",
      user_id, tenant_id, role, base::FormatRfc3339(Now()));
  if (!added && storage::IsUniqueViolation(added.error())) {
    co_return base::MakeError(base::ErrorCode::kAlreadyExists, "already_member",
                              "The user is already a member of this tenant.");
  }
  TENANTD_CO_RETURN_IF_ERROR(added);
  store_.NoteChanged({std::string(tenant_id)});
  co_return base::Status();
}

People::Async<std::vector<Role>> People::Roles(std::string_view tenant_id) {
  std::vector<Role> out;
  for (std::string_view name : kBuiltInRoles) {
    Role r;
    r.id = r.name = name;
    r.tenant_id = tenant_id;
    r.scopes = BuiltInRoleScopes(name);
    r.built_in = true;
    out.push_back(std::move(r));
  }
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kRoleColumns) +
                                        " FROM roles r WHERE r.tenant_id = $1 ORDER BY r.id",
                                    tenant_id));
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(Role r, ReadRole(row));
    out.push_back(std::move(r));
  }
  co_return out;
}

People::Async<Role> People::CreateRole(std::string_view tenant_id, std::string_view name,
                                       const std::vector<std::string>& scopes) {
  if (auto errors = CheckRole(std::string(name), scopes); !errors.empty()) {
    co_return base::ValidationFailed(std::move(errors));
  }
  Role r;
  r.id = base::NewId("rol");
  r.tenant_id = tenant_id;
  r.name = base::TrimAsciiSpace(name);
  r.scopes = scopes;
  std::sort(r.scopes.begin(), r.scopes.end());
  r.scopes.erase(std::unique(r.scopes.begin(), r.scopes.end()), r.scopes.end());
  r.created_at = r.updated_at = Now();
  const std::string at = base::FormatRfc3339(r.created_at);
  base::Status inserted = co_await db_.Exec(
      "INSERT INTO roles (id, tenant_id, name, scopes, created_at, updated_at)"
      " VALUES ($1, $2, $3, $4, $5, $5)",
      r.id, r.tenant_id, r.name, JoinScopes(r.scopes), at);
  if (!inserted && storage::IsUniqueViolation(inserted.error())) {
    co_return base::MakeError(base::ErrorCode::kAlreadyExists, "role_exists",
                              "The tenant already has a role with this name.");
  }
  TENANTD_CO_RETURN_IF_ERROR(inserted);
  co_return r;
}

People::Async<Role> People::UpdateRole(std::string_view tenant_id, std::string_view role_id,
                                       const std::optional<std::string>& name,
                                       const std::optional<std::vector<std::string>>& scopes) {
  if (auto errors = CheckRole(name, scopes); !errors.empty()) {
    co_return base::ValidationFailed(std::move(errors));
  }
  const std::string at = base::FormatRfc3339(Now());
  if (name) {
    base::Status renamed = co_await db_.Exec(
        "UPDATE roles SET name = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4",
        std::string(base::TrimAsciiSpace(*name)), at, role_id, tenant_id);
    if (!renamed && storage::IsUniqueViolation(renamed.error())) {
      co_return base::MakeError(base::ErrorCode::kAlreadyExists, "role_exists",
                                "The tenant already has a role with this name.");
    }
    TENANTD_CO_RETURN_IF_ERROR(renamed);
  }
  if (scopes) {
    std::vector<std::string> sorted = *scopes;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    TENANTD_CO_RETURN_IF_ERROR(co_await db_.Exec(
        "UPDATE roles SET scopes = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4",
        JoinScopes(sorted), at, role_id, tenant_id));
  }
  store_.NoteChanged({std::string(tenant_id)});
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kRoleColumns) +
                                        " FROM roles r WHERE r.id = $1 AND r.tenant_id = $2",
                                    role_id, tenant_id));
  if (rows.empty()) co_return NoSuchRole();
  co_return ReadRole(rows.front());
}

People::AsyncStatus People::DeleteRole(std::string_view tenant_id, std::string_view role_id) {
  {
    TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await db_.Begin());
    // Locked first (see RoleKnown): a member being given the role meanwhile
    // either committed before (and is seen below) or finds it gone.
    TENANTD_CO_TRY(storage::Rows found,
                   co_await tx->Query("SELECT 1 FROM roles WHERE id = $1 AND tenant_id = $2" +
                                          std::string(ForUpdate(*tx)),
                                      role_id, tenant_id));
    if (found.empty()) co_return NoSuchRole();
    // An expired invite holds nothing: it can no longer be accepted.
    TENANTD_CO_TRY(storage::Rows used,
                   co_await tx->Query("SELECT 1 FROM memberships WHERE tenant_id = $1 AND"
                                      " role = $2 UNION ALL SELECT 1 FROM invites WHERE"
                                      " tenant_id = $1 AND role = $2 AND accepted_at IS NULL"
                                      " AND expires_at > $3",
                                      tenant_id, role_id, base::FormatRfc3339(Now())));
    if (!used.empty()) {
      co_return base::MakeError(base::ErrorCode::kAlreadyExists, "in_use",
                                "Members or pending invites hold this role; give them another "
                                "role first.");
    }
    TENANTD_CO_TRY(storage::Rows removed,
                   co_await tx->Query("DELETE FROM roles WHERE id = $1 AND tenant_id = $2"
                                      " RETURNING id",
                                      role_id, tenant_id));
    if (removed.empty()) co_return NoSuchRole();
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  }
  store_.NoteChanged({std::string(tenant_id)});
  co_return base::Status();
}

People::Async<bool> People::RoleExists(std::string_view tenant_id, std::string_view role) {
  if (IsBuiltInRole(role)) co_return true;
  TENANTD_CO_TRY(
      storage::Rows rows,
      co_await db_.Query("SELECT 1 FROM roles WHERE id = $1 AND tenant_id = $2", role, tenant_id));
  co_return !rows.empty();
}

}  // namespace tenantd::control
