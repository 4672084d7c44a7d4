// People: one-time tokens (email verification, password reset) and invites.
// Tokens are stored only as their SHA-256: a copy of the store cannot be
// used to verify, reset or accept anything.
#include <chrono>

#include "base/ids.h"
#include "control/control_store_impl.h"
#include "control/people.h"
#include "control/people_impl.h"
#include "storage/errors.h"

namespace tenantd::control {
namespace {

constexpr std::string_view kInviteColumns =
    "i.id, i.tenant_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at, i.accepted_at";

base::Result<Invite> ReadInvite(const storage::Row& row) {
  Invite i;
  i.id = row.Text(0);
  i.tenant_id = row.Text(1);
  i.email = row.Text(2);
  i.role = row.Text(3);
  i.invited_by = row.OptionalText(4).value_or("");
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(5));
  const std::optional<base::TimePoint> expires = base::ParseRfc3339(row.Text(6));
  if (!created || !expires) return base::Internal("control store: corrupt invite " + i.id);
  i.created_at = *created;
  i.expires_at = *expires;
  TENANTD_TRY(i.accepted_at, ColumnOptionalTime(row, 7));
  return i;
}

}  // namespace

People::AsyncStatus People::AddUserToken(std::string_view purpose, std::string_view user_id,
                                         std::string_view token_hash, base::TimePoint expires_at) {
  co_return co_await db_.Exec(
      "INSERT INTO user_tokens (token_hash, purpose, user_id, created_at, expires_at)"
      " VALUES ($1, $2, $3, $4, $5)",
      token_hash, purpose, user_id, base::FormatRfc3339(Now()), base::FormatRfc3339(expires_at));
}

People::Async<std::optional<std::string>> People::ConsumeUserToken(std::string_view purpose,
                                                                   std::string_view token_hash) {
  // One statement: of two concurrent uses only one finds used_at NULL.
  const std::string now = base::FormatRfc3339(Now());
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2"
                                    " AND purpose = $3 AND used_at IS NULL AND expires_at > $1"
                                    " RETURNING user_id",
                                    now, token_hash, purpose));
  if (rows.empty()) co_return std::optional<std::string>();
  co_return std::optional<std::string>(rows.front().Text(0));
}

People::Async<Invite> People::CreateInvite(std::string_view tenant_id, std::string_view email,
                                           std::string_view role, std::string_view invited_by,
                                           std::string_view token_hash,
                                           base::TimePoint expires_at) {
  Invite i;
  i.id = base::NewId("inv");
  i.tenant_id = tenant_id;
  i.email = NormalizeEmail(email);
  i.role = role;
  i.invited_by = invited_by;
  i.created_at = Now();
  // Stored to the millisecond: the invite answered equals the one read back.
  i.expires_at = std::chrono::floor<std::chrono::milliseconds>(expires_at);
  TENANTD_CO_RETURN_IF_ERROR(co_await CheckShareable(db_, tenant_id));
  TENANTD_CO_RETURN_IF_ERROR(co_await db_.Exec(
      "INSERT INTO invites (id, tenant_id, email, role, token_hash, invited_by, created_at,"
      " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      i.id, i.tenant_id, i.email, i.role, token_hash, i.invited_by,
      base::FormatRfc3339(i.created_at), base::FormatRfc3339(i.expires_at)));
  co_return i;
}

People::Async<std::vector<Invite>> People::Invites(std::string_view tenant_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kInviteColumns) +
                                        " FROM invites i WHERE i.tenant_id = $1 AND"
                                        " i.accepted_at IS NULL AND i.expires_at > $2"
                                        " ORDER BY i.id",
                                    tenant_id, base::FormatRfc3339(Now())));
  std::vector<Invite> out;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(Invite i, ReadInvite(row));
    out.push_back(std::move(i));
  }
  co_return out;
}

People::Async<bool> People::DeleteInvite(std::string_view tenant_id, std::string_view invite_id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("DELETE FROM invites WHERE id = $1 AND tenant_id = $2"
                                    " RETURNING id",
                                    invite_id, tenant_id));
  co_return !rows.empty();
}

People::Async<std::optional<Invite>> People::FindInvite(std::string_view token_hash) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("SELECT " + std::string(kInviteColumns) +
                                        " FROM invites i WHERE i.token_hash = $1 AND"
                                        " i.accepted_at IS NULL AND i.expires_at > $2",
                                    token_hash, base::FormatRfc3339(Now())));
  if (rows.empty()) co_return std::optional<Invite>();
  TENANTD_CO_TRY(Invite i, ReadInvite(rows.front()));
  co_return std::optional<Invite>(std::move(i));
}

People::Async<bool> People::AcceptInvite(const Invite& invite, std::string_view user_id) {
  {
    const std::string now = base::FormatRfc3339(Now());
    TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await db_.Begin());
    TENANTD_CO_TRY(storage::Rows taken,
                   co_await tx->Query("UPDATE invites SET accepted_at = $1 WHERE id = $2 AND"
                                      " accepted_at IS NULL AND expires_at > $1 RETURNING id",
                                      now, invite.id));
    if (taken.empty()) co_return false;
    base::Status added = co_await tx->Exec(
        "INSERT INTO memberships (user_id, tenant_id, role, created_at) VALUES ($1, $2, $3, $4)",
        user_id, invite.tenant_id, invite.role, now);
    if (!added && storage::IsUniqueViolation(added.error())) {
      co_return base::MakeError(base::ErrorCode::kAlreadyExists, "already_member",
                                "You are already a member of this tenant.");
    }
    TENANTD_CO_RETURN_IF_ERROR(added);
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  }
  store_.NoteChanged({invite.tenant_id});
  co_return true;
}

}  // namespace tenantd::control
