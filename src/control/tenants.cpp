// Tenants: validation, creation (with its provisioning), reads, updates,
// deletion and purge.
#include <algorithm>
#include <utility>

#include "base/ids.h"
#include "base/text.h"
#include "control/control_store.h"
#include "control/control_store_impl.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"

namespace tenantd::control {
namespace {

constexpr std::size_t kSlugMinLength = 3;
constexpr std::size_t kSlugMaxLength = 63;
constexpr std::size_t kNameMaxBytes = 200;
constexpr std::string_view kIsolationDatabase = "database";
constexpr std::size_t kAppKeyRandomChars = 24;
constexpr int kMaxListLimit = 500;

// Columns read by ReadTenant, in its order.
constexpr std::string_view kTenantColumns =
    "t.id, t.slug, t.name, t.plan, t.status, t.isolation, t.app_key, t.created_at, t.updated_at,"
    " t.kind, t.account_id";

std::optional<base::FieldError> CheckSlug(std::string_view slug) {
  if (slug.size() < kSlugMinLength || slug.size() > kSlugMaxLength) {
    return base::FieldError{"slug", "Slug must be 3 to 63 characters long."};
  }
  for (char c : slug) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return base::FieldError{"slug", "Slug may contain only a-z, 0-9 and '-'."};
    }
  }
  if (slug.front() == '-' || slug.back() == '-') {
    return base::FieldError{"slug", "Slug must not start or end with '-'."};
  }
  return std::nullopt;
}

std::optional<base::FieldError> CheckPlan(std::string_view plan,
                                          const std::vector<std::string>& plans) {
  std::string names;
  for (const std::string& known : plans) {
    if (plan == known) return std::nullopt;
    names += names.empty() ? "" : ", ";
    names += known;
  }
  return base::FieldError{"plan", "Plan must be one of " + names + "."};
}

base::Error CorruptRow(std::string what) {
  return base::Internal("control store: corrupt tenant row: " + std::move(what));
}

// Reads the kTenantColumns of a row.
base::Result<Tenant> ReadTenant(const storage::Row& row) {
  Tenant t;
  t.id = row.Text(0);
  t.slug = row.Text(1);
  t.name = row.Text(2);
  t.plan = row.Text(3);
  const std::string status = row.Text(4);
  const std::optional<TenantStatus> parsed_status = ParseTenantStatus(status);
  if (!parsed_status) return CorruptRow(t.id + " status '" + status + "'");
  t.status = *parsed_status;
  t.isolation = row.Text(5);
  t.app_key = row.Text(6);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(7));
  const std::optional<base::TimePoint> updated = base::ParseRfc3339(row.Text(8));
  if (!created || !updated) return CorruptRow(t.id + " timestamps");
  t.created_at = *created;
  t.updated_at = *updated;
  t.kind = row.Text(9);
  t.account_id = row.OptionalText(10).value_or("");
  return t;
}

// Ids and slugs cannot be confused: a slug has no '_'.
std::string TenantQuery(std::string_view id_or_slug, std::string_view suffix) {
  const bool by_id = base::IsWellFormedId(id_or_slug, "ten");
  return "SELECT " + std::string(kTenantColumns) + " FROM tenants t WHERE " +
         (by_id ? "t.id = $1" : "t.slug = $1") + std::string(suffix);
}

base::Result<std::optional<Tenant>> FirstTenant(const storage::Rows& rows) {
  if (rows.empty()) return std::optional<Tenant>();
  TENANTD_TRY(Tenant t, ReadTenant(rows.front()));
  return std::optional<Tenant>(std::move(t));
}

base::Error SlugTaken() {
  return base::MakeError(base::ErrorCode::kAlreadyExists, "slug_taken",
                         "A tenant with this slug already exists.");
}

// The new tenant's row and its app secret, in one short transaction.
// `location_sealed`: its sealed database location, when it has a database.
// `t`: what the caller asked for (its owner and prepare step).
boost::asio::awaitable<base::Status> InsertTenant(
    storage::Database& db, const NewTenant& t, const Tenant& tenant,
    const std::string& secret_sealed, const std::string& secret_digest,
    const std::optional<std::string>& location_sealed) {
  const std::string now = base::FormatRfc3339(tenant.created_at);
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await db.Begin());
  if (t.prepare) TENANTD_CO_RETURN_IF_ERROR(co_await t.prepare(*tx, tenant));
  std::optional<std::string> account_id;
  if (!tenant.account_id.empty()) account_id = tenant.account_id;
  auto inserted = co_await tx->Exec(
      "INSERT INTO tenants (id, slug, name, plan, status, isolation, app_key,"
      " created_at, updated_at, db_location_sealed, kind, account_id)"
      " VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $7, $8, $9, $10)",
      tenant.id, tenant.slug, tenant.name, tenant.plan, tenant.isolation, tenant.app_key, now,
      location_sealed, tenant.kind, account_id);
  if (!inserted) {
    // The id and app key were just minted from 80+ random bits, so the
    // slug is the only unique column that can collide. Deleted tenants keep
    // their slug until purged, so links and logs never silently change owner.
    if (storage::IsUniqueViolation(inserted.error())) co_return SlugTaken();
    co_return std::move(inserted).error();
  }
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "INSERT INTO app_credentials (tenant_id, secret_sealed, secret_sha256, created_at)"
      " VALUES ($1, $2, $3, $4)",
      tenant.id, secret_sealed, secret_digest, now));
  if (!t.owner_user_id.empty()) {
    TENANTD_CO_RETURN_IF_ERROR(
        co_await tx->Exec("INSERT INTO memberships (user_id, tenant_id, role, is_primary_contact,"
                          " is_billing_contact, created_at) VALUES ($1, $2, 'owner', 1, 1, $3)",
                          t.owner_user_id, tenant.id, now));
  }
  co_return co_await tx->Commit();
}

}  // namespace

// The same rules for every name a client gives (base/text.h).
std::optional<base::FieldError> CheckName(std::string_view raw) {
  return base::CheckName(raw, kNameMaxBytes);
}

base::TimePoint Now() {
  // Stored timestamps have millisecond precision; truncating here makes the
  // records returned by a write equal the ones read back later.
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string_view ForUpdate(const storage::Transaction& tx) {
  return tx.engine() == storage::Engine::kPostgres ? " FOR UPDATE" : "";
}

Async<std::optional<Tenant>> LoadTenant(storage::Transaction& tx, std::string_view id_or_slug,
                                        bool lock) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await tx.Query(TenantQuery(id_or_slug, lock ? ForUpdate(tx) : ""), id_or_slug));
  co_return FirstTenant(rows);
}

base::Error NoSuchTenant() { return base::NotFound("No such tenant."); }

base::Error TenantDeleted() {
  return base::MakeError(base::ErrorCode::kFailedPrecondition, "tenant_deleted",
                         "The tenant is deleted.");
}

std::string AppSecretAad(std::string_view tenant_id) {
  return "tenant:" + std::string(tenant_id) + ":app_secret";
}

std::string DbLocationAad(std::string_view tenant_id) {
  return "tenant:" + std::string(tenant_id) + ":db_location";
}

std::string_view ToString(TenantStatus s) {
  switch (s) {
    case TenantStatus::kActive:
      return "active";
    case TenantStatus::kSuspended:
      return "suspended";
    case TenantStatus::kDeleted:
      return "deleted";
  }
  return "unknown";  // unreachable for valid enumerators
}

std::optional<TenantStatus> ParseTenantStatus(std::string_view s) {
  if (s == "active") return TenantStatus::kActive;
  if (s == "suspended") return TenantStatus::kSuspended;
  if (s == "deleted") return TenantStatus::kDeleted;
  return std::nullopt;
}

std::vector<base::FieldError> ValidateNewTenant(const NewTenant& t,
                                                const std::vector<std::string>& plans) {
  std::vector<base::FieldError> errors;
  if (auto e = CheckSlug(t.slug)) errors.push_back(std::move(*e));
  if (auto e = CheckName(t.name)) errors.push_back(std::move(*e));
  if (auto e = CheckPlan(t.plan, plans)) errors.push_back(std::move(*e));
  if (t.kind != "org" && t.kind != "personal") {
    errors.push_back({"kind", "Kind must be \"org\" or \"personal\"."});
  }
  if (t.isolation != kIsolationDatabase) {
    errors.push_back({"isolation",
                      "Isolation must be \"database\"; other isolation modes are not available "
                      "yet."});
  }
  return errors;
}

std::vector<base::FieldError> ValidatePatch(const TenantPatch& p,
                                            const std::vector<std::string>& plans) {
  std::vector<base::FieldError> errors;
  if (p.name) {
    if (auto e = CheckName(*p.name)) errors.push_back(std::move(*e));
  }
  if (p.plan) {
    if (auto e = CheckPlan(*p.plan, plans)) errors.push_back(std::move(*e));
  }
  if (p.status && *p.status != TenantStatus::kActive && *p.status != TenantStatus::kSuspended) {
    errors.push_back(
        {"status", "Status must be active or suspended; use DELETE to delete a tenant."});
  }
  return errors;
}

Async<CreatedTenant> ControlStore::CreateTenant(const NewTenant& t,
                                                const TenantProvisioning& provisioning) {
  if (auto errors = ValidateNewTenant(t, impl_->options.plans); !errors.empty()) {
    co_return base::ValidationFailed(std::move(errors));
  }
  CreatedTenant created;
  Tenant& tenant = created.tenant;
  tenant.id = base::NewId("ten");
  tenant.slug = t.slug;
  tenant.name = std::string(base::TrimAsciiSpace(t.name));
  tenant.plan = t.plan;
  tenant.status = TenantStatus::kActive;
  tenant.isolation = t.isolation;
  tenant.kind = t.kind;
  tenant.account_id = t.account_id;
  tenant.app_key = "ak_" + crypto::RandomBase62(kAppKeyRandomChars);
  tenant.created_at = tenant.updated_at = Now();
  created.app_secret = base::Secret(crypto::RandomBase62(kAppSecretChars));
  // Sealed rather than hashed: mode B signatures need the secret itself. The
  // digest serves mode A, which compares it in constant time.
  const std::string sealed = impl_->box->Seal(created.app_secret.Reveal(), AppSecretAad(tenant.id));
  const std::string digest = crypto::Sha256Hex(created.app_secret.Reveal());

  // Made first, outside any transaction, so that nothing other requests
  // need is held meanwhile. A slug taken already costs no database; one
  // taken by a concurrent create in between is caught by the insert below.
  std::optional<std::string> location;
  if (provisioning.create) {
    TENANTD_CO_TRY(storage::Rows taken,
                   co_await impl_->db->Query("SELECT 1 FROM tenants WHERE slug = $1", tenant.slug));
    if (!taken.empty()) co_return SlugTaken();
    TENANTD_CO_TRY(std::string made, co_await provisioning.create(tenant));
    location = impl_->box->Seal(made, DbLocationAad(tenant.id));
  }
  base::Status written = co_await InsertTenant(*impl_->db, t, tenant, sealed, digest, location);
  if (!written) {
    if (provisioning.undo && location) co_await provisioning.undo(tenant);
    co_return std::move(written).error();
  }
  impl_->Changed(tenant.id);
  co_return created;
}

void ControlStore::NoteChanged(const std::vector<std::string>& ids) { impl_->journal.Add(ids); }

Async<std::optional<std::string>> ControlStore::DatabaseLocation(std::string_view tenant_id) {
  TENANTD_CO_TRY(
      storage::Rows rows,
      co_await impl_->db->Query("SELECT db_location_sealed FROM tenants WHERE id = $1", tenant_id));
  if (rows.empty()) co_return NoSuchTenant();
  const std::optional<std::string> sealed = rows.front().OptionalText(0);
  if (!sealed) co_return std::optional<std::string>();
  TENANTD_CO_TRY(base::Secret location, impl_->box->Open(*sealed, DbLocationAad(tenant_id)));
  co_return std::optional<std::string>(location.Reveal());
}

AsyncStatus ControlStore::WithTenantIdsLocked(
    const std::function<base::Status(const std::unordered_set<std::string>&)>& fn) {
  // SQLite's BEGIN IMMEDIATE holds the write lock; on PostgreSQL the table
  // lock keeps writers out and readers in. Either way no process can create
  // a tenant (whose row commits only after its database is in place) until
  // `fn` is done. Nothing is written; the transaction rolls back.
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  if (tx->engine() == storage::Engine::kPostgres) {
    TENANTD_CO_RETURN_IF_ERROR(co_await tx->ExecScript("LOCK TABLE tenants IN EXCLUSIVE MODE"));
  }
  TENANTD_CO_TRY(storage::Rows rows, co_await tx->Query("SELECT id FROM tenants"));
  std::unordered_set<std::string> ids;
  for (const storage::Row& row : rows.rows) ids.insert(row.Text(0));
  co_return fn(ids);
}

Async<std::optional<Tenant>> ControlStore::FindTenant(std::string_view id_or_slug) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query(TenantQuery(id_or_slug, ""), id_or_slug));
  co_return FirstTenant(rows);
}

Async<TenantPage> ControlStore::ListTenants(const TenantListQuery& q) {
  // The HTTP layer validates the limit; clamping keeps a caller that did not
  // from asking for everything (or for nothing).
  const int limit = std::clamp(q.limit, 1, kMaxListLimit);
  std::string sql = "SELECT " + std::string(kTenantColumns) + " FROM tenants t WHERE t.id > $1";
  // One extra row tells whether another page follows without a count query.
  storage::Params params = storage::MakeParams(q.after, limit + 1);
  if (q.status) {
    sql += " AND t.status = $3";
    params.push_back(std::string(ToString(*q.status)));
  }
  sql += " ORDER BY t.id LIMIT $2";
  TENANTD_CO_TRY(storage::Rows rows, co_await impl_->db->Query(sql, std::move(params)));
  TenantPage page;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(Tenant t, ReadTenant(row));
    page.items.push_back(std::move(t));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

Async<Tenant> ControlStore::UpdateTenant(std::string_view id_or_slug, const TenantPatch& patch) {
  if (auto errors = ValidatePatch(patch, impl_->options.plans); !errors.empty()) {
    co_return base::ValidationFailed(std::move(errors));
  }
  // The read and the write share one transaction with the row locked, so
  // a concurrent DeleteTenant from another process cannot slip in between.
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(std::optional<Tenant> found, co_await LoadTenant(*tx, id_or_slug, true));
  if (!found) co_return NoSuchTenant();
  Tenant tenant = std::move(*found);
  if (tenant.status == TenantStatus::kDeleted) co_return TenantDeleted();
  if (patch.name) tenant.name = std::string(base::TrimAsciiSpace(*patch.name));
  if (patch.plan) tenant.plan = *patch.plan;
  if (patch.status) tenant.status = *patch.status;
  tenant.updated_at = Now();
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "UPDATE tenants SET name = $1, plan = $2, status = $3, updated_at = $4 WHERE id = $5",
      tenant.name, tenant.plan, ToString(tenant.status), base::FormatRfc3339(tenant.updated_at),
      tenant.id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(tenant.id);
  co_return tenant;
}

Async<Tenant> ControlStore::DeleteTenant(std::string_view id_or_slug) {
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(std::optional<Tenant> found, co_await LoadTenant(*tx, id_or_slug, true));
  if (!found) co_return NoSuchTenant();
  Tenant tenant = std::move(*found);
  // Idempotent: a repeated DELETE keeps the first deleted_at.
  if (tenant.status == TenantStatus::kDeleted) co_return tenant;
  tenant.status = TenantStatus::kDeleted;
  tenant.updated_at = Now();
  const std::string now = base::FormatRfc3339(tenant.updated_at);
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "UPDATE tenants SET status = 'deleted', deleted_at = $1, updated_at = $1 WHERE id = $2", now,
      tenant.id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(tenant.id);
  co_return tenant;
}

Async<Tenant> ControlStore::PurgeTenant(std::string_view id_or_slug) {
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(std::optional<Tenant> tenant, co_await LoadTenant(*tx, id_or_slug, true));
  if (!tenant) co_return NoSuchTenant();
  // app_credentials, api keys and sessions go with the row (ON DELETE CASCADE).
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec("DELETE FROM tenants WHERE id = $1", tenant->id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(tenant->id);
  co_return std::move(*tenant);
}

}  // namespace tenantd::control
