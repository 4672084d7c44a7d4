// App credentials: the app key's live secrets, and rotation with a grace period.
#include <utility>

#include "base/ids.h"
#include "control/control_store.h"
#include "control/control_store_impl.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"

namespace tenantd::control {

Async<std::optional<AppCredentials>> ControlStore::FindAppCredentials(std::string_view app_key) {
  const std::string now = base::FormatRfc3339(Now());
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query(
                     "SELECT t.id, c.secret_sealed, c.secret_sha256, c.expires_at, c.id"
                     " FROM tenants t JOIN app_credentials c ON c.tenant_id = t.id"
                     " WHERE t.app_key = $1 AND (c.expires_at IS NULL OR c.expires_at > $2)"
                     " ORDER BY c.id DESC",
                     app_key, now));
  std::optional<AppCredentials> found;
  for (const storage::Row& row : rows.rows) {
    if (!found) {
      found.emplace();
      found->tenant_id = row.Text(0);
    }
    AppSecret secret;
    TENANTD_CO_TRY(secret.secret, impl_->box->Open(row.Text(1), AppSecretAad(found->tenant_id)));
    secret.mac = std::make_shared<const crypto::HmacSha256Key>(secret.secret.Reveal());
    std::optional<std::string> digest = crypto::HexDecode(row.Text(2));
    if (!digest) co_return base::Internal("control store: corrupt app secret digest");
    secret.sha256 = std::move(*digest);
    TENANTD_CO_TRY(secret.expires_at, ColumnOptionalTime(row, 3));
    secret.id = std::to_string(row.Int64(4));
    found->secrets.push_back(std::move(secret));
  }
  co_return found;
}

Async<RotatedAppSecret> ControlStore::RotateAppSecret(std::string_view id_or_slug,
                                                      std::chrono::seconds grace) {
  const base::TimePoint now = Now();
  RotatedAppSecret rotated;
  rotated.app_secret = base::Secret(crypto::RandomBase62(kAppSecretChars));
  rotated.previous_expires_at = now + grace;
  const std::string digest = crypto::Sha256Hex(rotated.app_secret.Reveal());
  const std::string now_text = base::FormatRfc3339(now);
  const std::string retire_at = base::FormatRfc3339(rotated.previous_expires_at);

  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(std::optional<Tenant> tenant, co_await LoadTenant(*tx, id_or_slug, true));
  if (!tenant) co_return NoSuchTenant();
  if (tenant->status == TenantStatus::kDeleted) co_return TenantDeleted();
  rotated.app_key = tenant->app_key;
  // Secrets past their grace are dead; forget them.
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx->Exec("DELETE FROM app_credentials WHERE tenant_id = $1 AND expires_at <= $2",
                        tenant->id, now_text));
  // Secrets already due to expire sooner keep their earlier time.
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx->Exec("UPDATE app_credentials SET expires_at = $1"
                        " WHERE tenant_id = $2 AND (expires_at IS NULL OR expires_at > $1)",
                        retire_at, tenant->id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "INSERT INTO app_credentials (tenant_id, secret_sealed, secret_sha256, created_at)"
      " VALUES ($1, $2, $3, $4)",
      tenant->id, impl_->box->Seal(rotated.app_secret.Reveal(), AppSecretAad(tenant->id)), digest,
      now_text));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(tenant->id);
  co_return rotated;
}

}  // namespace tenantd::control
