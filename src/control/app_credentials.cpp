// App credentials: the app key's live secrets, and rotation with a grace period.
#include <utility>

#include "base/ids.h"
#include "control/control_store.h"
#include "control/control_store_impl.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"

namespace tenantd::control {

base::Result<std::optional<AppCredentials>> ControlStore::FindAppCredentials(
    std::string_view app_key) {
  const std::string now = base::FormatRfc3339(Now());
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(
      storage::Statement st,
      impl_->db->Prepare("SELECT t.id, c.secret_sealed, c.secret_sha256, c.expires_at, c.id"
                         " FROM tenants t JOIN app_credentials c ON c.tenant_id = t.id"
                         " WHERE t.app_key = ? AND (c.expires_at IS NULL OR c.expires_at > ?)"
                         " ORDER BY c.id DESC"));
  st.Bind(1, app_key).Bind(2, now);
  std::optional<AppCredentials> found;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    if (!found) {
      found.emplace();
      found->tenant_id = st.ColumnText(0);
    }
    AppSecret secret;
    TENANTD_TRY(secret.secret, impl_->box->Open(st.ColumnText(1), AppSecretAad(found->tenant_id)));
    secret.mac = std::make_shared<const crypto::HmacSha256Key>(secret.secret.Reveal());
    std::optional<std::string> digest = crypto::HexDecode(st.ColumnText(2));
    if (!digest) return base::Internal("control store: corrupt app secret digest");
    secret.sha256 = std::move(*digest);
    TENANTD_TRY(secret.expires_at, ColumnOptionalTime(st, 3));
    secret.id = std::to_string(st.ColumnInt64(4));
    found->secrets.push_back(std::move(secret));
  }
  return found;
}

base::Result<RotatedAppSecret> ControlStore::RotateAppSecret(std::string_view id_or_slug,
                                                             std::chrono::seconds grace) {
  const base::TimePoint now = Now();
  RotatedAppSecret rotated;
  rotated.app_secret = base::Secret(crypto::RandomBase62(kAppSecretChars));
  rotated.previous_expires_at = now + grace;
  const std::string digest = crypto::Sha256Hex(rotated.app_secret.Reveal());

  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<Tenant> tenant, LoadTenant(db, id_or_slug));
  if (!tenant) return NoSuchTenant();
  if (tenant->status == TenantStatus::kDeleted) {
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "tenant_deleted",
                           "The tenant is deleted.");
  }
  rotated.app_key = tenant->app_key;
  {
    // Secrets past their grace are dead; forget them.
    TENANTD_TRY(storage::Statement st,
                db.Prepare("DELETE FROM app_credentials WHERE tenant_id = ? AND expires_at <= ?"));
    st.Bind(1, tenant->id).Bind(2, base::FormatRfc3339(now));
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    // Secrets already due to expire sooner keep their earlier time.
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE app_credentials SET expires_at = ?"
                           " WHERE tenant_id = ? AND (expires_at IS NULL OR expires_at > ?)"));
    st.Bind(1, base::FormatRfc3339(rotated.previous_expires_at))
        .Bind(2, tenant->id)
        .Bind(3, base::FormatRfc3339(rotated.previous_expires_at));
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO app_credentials (tenant_id, secret_sealed,"
                           " secret_sha256, created_at) VALUES (?, ?, ?, ?)"));
    st.Bind(1, tenant->id)
        .Bind(2, impl_->box->Seal(rotated.app_secret.Reveal(), AppSecretAad(tenant->id)))
        .Bind(3, digest)
        .Bind(4, base::FormatRfc3339(now));
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return rotated;
}

}  // namespace tenantd::control
