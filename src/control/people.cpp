// People: users and accounts (memberships and roles: memberships.cpp;
// tokens and invites: invites.cpp).
#include "control/people.h"

#include <algorithm>

#include "base/ids.h"
#include "base/text.h"
#include "control/control_store_impl.h"
#include "storage/errors.h"

namespace tenantd::control {
namespace {

constexpr int kMaxListLimit = 500;

constexpr std::string_view kUserColumns =
    "u.id, u.email, u.name, u.status, u.account_id, u.personal_tenant_id, u.last_tenant_id,"
    " u.email_verified_at, u.last_sign_in_at, u.sessions_valid_after, u.created_at,"
    " u.updated_at";
constexpr int kUserColumnCount = 12;

base::Result<User> ReadUser(const storage::Row& row) {
  User u;
  u.id = row.Text(0);
  u.email = row.Text(1);
  u.name = row.Text(2);
  const std::optional<UserStatus> status = ParseUserStatus(row.Text(3));
  if (!status) return base::Internal("control store: corrupt user row " + u.id);
  u.status = *status;
  u.account_id = row.OptionalText(4).value_or("");
  u.personal_tenant_id = row.OptionalText(5).value_or("");
  u.last_tenant_id = row.OptionalText(6).value_or("");
  TENANTD_TRY(u.email_verified_at, ColumnOptionalTime(row, 7));
  TENANTD_TRY(u.last_sign_in_at, ColumnOptionalTime(row, 8));
  TENANTD_TRY(u.sessions_valid_after, ColumnOptionalTime(row, 9));
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(10));
  const std::optional<base::TimePoint> updated = base::ParseRfc3339(row.Text(11));
  if (!created || !updated) return base::Internal("control store: corrupt user row " + u.id);
  u.created_at = *created;
  u.updated_at = *updated;
  return u;
}

base::Result<std::optional<User>> FirstUser(const storage::Rows& rows) {
  if (rows.empty()) return std::optional<User>();
  TENANTD_TRY(User u, ReadUser(rows.front()));
  return std::optional<User>(std::move(u));
}

base::Error NoSuchUser() { return base::NotFound("No such user."); }

base::Error EmailTaken() {
  return base::MakeError(base::ErrorCode::kAlreadyExists, "email_taken",
                         "A user with this email already exists.");
}

}  // namespace

std::string NormalizeEmail(std::string_view email) {
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view ToString(UserStatus s) {
  return s == UserStatus::kSuspended ? "suspended" : "active";
}

std::optional<UserStatus> ParseUserStatus(std::string_view s) {
  if (s == "active") return UserStatus::kActive;
  if (s == "suspended") return UserStatus::kSuspended;
  return std::nullopt;
}

People::People(ControlStore& store) : store_(store), db_(store.database()) {}

People::Async<std::pair<User, CreatedTenant>> People::SignUp(
    const NewUser& n, NewTenant tenant, const TenantProvisioning& provisioning) {
  const base::TimePoint now = Now();
  const std::string at = base::FormatRfc3339(now);
  User user;
  user.id = base::NewId("usr");
  user.email = NormalizeEmail(n.email);
  user.name = std::string(base::TrimAsciiSpace(n.name));
  user.account_id = base::NewId("acc");
  if (n.email_verified) user.email_verified_at = now;
  user.created_at = user.updated_at = now;

  // Refused before a database is provisioned for the personal tenant; a
  // concurrent sign-up with the same email is caught by the unique index.
  TENANTD_CO_TRY(storage::Rows taken,
                 co_await db_.Query("SELECT 1 FROM users WHERE email = $1", user.email));
  if (!taken.empty()) co_return EmailTaken();

  tenant.kind = "personal";
  tenant.account_id = user.account_id;
  tenant.owner_user_id = user.id;
  bool email_taken = false;
  tenant.prepare = [&user, &n, &at, &email_taken](storage::Transaction& tx,
                                                  const Tenant& personal) -> AsyncStatus {
    TENANTD_CO_RETURN_IF_ERROR(co_await tx.Exec(
        "INSERT INTO accounts (id, name, billing_email, status, created_at, updated_at)"
        " VALUES ($1, $2, $3, 'active', $4, $4)",
        user.account_id, user.name, user.email, at));
    std::optional<std::string> verified;
    if (user.email_verified_at) verified = at;
    base::Status inserted = co_await tx.Exec(
        "INSERT INTO users (id, email, name, password_hash, status, account_id,"
        " personal_tenant_id, last_tenant_id, email_verified_at, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, 'active', $5, $6, $6, $7, $8, $8)",
        user.id, user.email, user.name, n.password_hash, user.account_id, personal.id, verified,
        at);
    if (!inserted && storage::IsUniqueViolation(inserted.error())) email_taken = true;
    co_return inserted;
  };
  base::Result<CreatedTenant> created = co_await store_.CreateTenant(tenant, provisioning);
  if (!created) {
    if (email_taken) co_return EmailTaken();
    co_return std::move(created).error();
  }
  user.personal_tenant_id = user.last_tenant_id = created->tenant.id;
  co_return std::make_pair(std::move(user), std::move(*created));
}

People::Async<std::optional<UserCredentials>> People::FindCredentials(std::string_view email) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kUserColumns) +
                                        ", u.password_hash FROM users u WHERE u.email = $1",
                                    NormalizeEmail(email)));
  if (rows.empty()) co_return std::optional<UserCredentials>();
  TENANTD_CO_TRY(User user, ReadUser(rows.front()));
  co_return std::optional<UserCredentials>(
      UserCredentials{std::move(user), rows.front().Text(kUserColumnCount)});
}

People::Async<std::optional<User>> People::FindUser(std::string_view user_id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await db_.Query("SELECT " + std::string(kUserColumns) +
                                                            " FROM users u WHERE u.id = $1",
                                                        user_id));
  co_return FirstUser(rows);
}

People::Async<std::optional<std::string>> People::PasswordHash(std::string_view user_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT password_hash FROM users WHERE id = $1", user_id));
  if (rows.empty()) co_return std::optional<std::string>();
  co_return std::optional<std::string>(rows.front().Text(0));
}

People::AsyncStatus People::RecordSignIn(std::string_view user_id, std::string_view tenant_id,
                                         bool sign_in) {
  const std::string at = base::FormatRfc3339(Now());
  if (sign_in) {
    co_return co_await db_.Exec(
        "UPDATE users SET last_tenant_id = $1, last_sign_in_at = $2 WHERE id = $3", tenant_id, at,
        user_id);
  }
  co_return co_await db_.Exec("UPDATE users SET last_tenant_id = $1 WHERE id = $2", tenant_id,
                              user_id);
}

People::Async<User> People::Rename(std::string_view user_id, std::string_view name) {
  if (auto e = CheckName(name)) co_return base::ValidationFailed({std::move(*e)});
  TENANTD_CO_RETURN_IF_ERROR(co_await db_.Exec(
      "UPDATE users SET name = $1, updated_at = $2 WHERE id = $3",
      std::string(base::TrimAsciiSpace(name)), base::FormatRfc3339(Now()), user_id));
  TENANTD_CO_TRY(std::optional<User> user, co_await FindUser(user_id));
  if (!user) co_return NoSuchUser();
  co_return std::move(*user);
}

People::AsyncStatus People::SetPassword(std::string_view user_id, std::string_view password_hash,
                                        base::TimePoint sessions_valid_after) {
  const std::string valid_after = base::FormatRfc3339(sessions_valid_after);
  TENANTD_CO_TRY(
      storage::Rows updated,
      co_await db_.Query("UPDATE users SET password_hash = $1, sessions_valid_after = $2,"
                         " updated_at = $3 WHERE id = $4 RETURNING id",
                         password_hash, valid_after, base::FormatRfc3339(Now()), user_id));
  if (updated.empty()) co_return NoSuchUser();
  store_.NoteChanged({std::string(user_id)});
  co_return base::Status();
}

People::AsyncStatus People::MarkEmailVerified(std::string_view user_id) {
  co_return co_await db_.Exec(
      "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
      base::FormatRfc3339(Now()), user_id);
}

People::Async<UserPage> People::ListUsers(std::string_view email, std::string_view after,
                                          int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  std::string sql = "SELECT " + std::string(kUserColumns) + " FROM users u WHERE u.id > $1";
  storage::Params params = storage::MakeParams(after, limit + 1);
  if (!email.empty()) {
    sql += " AND u.email = $3";
    params.push_back(NormalizeEmail(email));
  }
  sql += " ORDER BY u.id LIMIT $2";
  TENANTD_CO_TRY(storage::Rows rows, co_await db_.Query(sql, std::move(params)));
  UserPage page;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(User u, ReadUser(row));
    page.items.push_back(std::move(u));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

People::Async<User> People::SetStatus(std::string_view user_id, UserStatus status) {
  TENANTD_CO_TRY(
      storage::Rows updated,
      co_await db_.Query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3"
                         " RETURNING id",
                         std::string(ToString(status)), base::FormatRfc3339(Now()), user_id));
  if (updated.empty()) co_return NoSuchUser();
  store_.NoteChanged({std::string(user_id)});
  TENANTD_CO_TRY(std::optional<User> user, co_await FindUser(user_id));
  if (!user) co_return NoSuchUser();
  co_return std::move(*user);
}

People::Async<std::optional<Account>> People::FindAccount(std::string_view account_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT id, name, billing_email, stripe_customer_id, status,"
                                    " created_at, updated_at FROM accounts WHERE id = $1",
                                    account_id));
  if (rows.empty()) co_return std::optional<Account>();
  const storage::Row& row = rows.front();
  Account a;
  a.id = row.Text(0);
  a.name = row.Text(1);
  a.billing_email = row.Text(2);
  a.stripe_customer_id = row.OptionalText(3);
  a.status = row.Text(4);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(5));
  const std::optional<base::TimePoint> updated = base::ParseRfc3339(row.Text(6));
  if (!created || !updated) co_return base::Internal("control store: corrupt account " + a.id);
  a.created_at = *created;
  a.updated_at = *updated;
  co_return std::optional<Account>(std::move(a));
}

People::Async<bool> People::MayUseAccount(std::string_view user_id, std::string_view account_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT 1 FROM users WHERE id = $1 AND account_id = $2"
                                    " UNION ALL SELECT 1 FROM memberships m"
                                    " JOIN tenants t ON t.id = m.tenant_id"
                                    " WHERE m.user_id = $1 AND t.account_id = $2"
                                    " AND m.is_billing_contact = 1 AND t.status <> 'deleted'",
                                    user_id, account_id));
  co_return !rows.empty();
}

}  // namespace tenantd::control
