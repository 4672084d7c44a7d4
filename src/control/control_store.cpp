#include "control/control_store.h"

#include "control/control_store_impl.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <system_error>
#include <utility>

#include "base/ids.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "storage/sqlite.h"

namespace tenantd::control {
namespace {

// Append-only: a released migration is never edited, a change is a new one.
const std::vector<storage::Migration>& ControlMigrations() {
  static const std::vector<storage::Migration> migrations = {
      {1, "tenants, app credentials and settings",
       // STRICT tables reject values of the wrong type instead of storing
       // them. plan and isolation are checked in code, not by CHECK, because
       // SQLite cannot alter a CHECK without rebuilding the table and both
       // lists will grow; status is a closed set.
       R"sql(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  plan TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  isolation TEXT NOT NULL,
  -- Public identifier of the tenant's app credentials; stays the same when
  -- the secret rotates (the secrets live in app_credentials).
  app_key TEXT NOT NULL UNIQUE,
  -- Where a PostgreSQL-hosted tenant's database lives (host, name, user,
  -- password), sealed by the SecretBox; NULL for the embedded SQLite file.
  db_location_sealed TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE INDEX tenants_status_id ON tenants (status, id);

-- Several secrets per tenant: rotation keeps the previous one valid until
-- its expires_at (NULL = does not expire).
CREATE TABLE app_credentials (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  secret_sealed TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT
) STRICT;
CREATE INDEX app_credentials_tenant_id ON app_credentials (tenant_id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
)sql"},
      {2, "API keys, sessions and the cache epoch",
       R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('secret', 'restricted')),
  environment TEXT NOT NULL CHECK (environment IN ('live', 'test')),
  scopes TEXT NOT NULL,  -- space-separated; empty for secret keys (every scope)
  prefix TEXT NOT NULL,  -- first 12 characters of the current secret
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
) STRICT;
CREATE INDEX api_keys_tenant_id ON api_keys (tenant_id, id);

-- Only HMAC-SHA256(pepper, secret) is stored: a copy of this file alone
-- cannot confirm a guessed key. A rotated-out secret keeps working until
-- its expires_at.
CREATE TABLE api_key_secrets (
  secret_hash TEXT PRIMARY KEY,
  key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT
) STRICT;
CREATE INDEX api_key_secrets_key_id ON api_key_secrets (key_id);

-- Sessions of the control-store session store. id is the public "ses_"
-- id; the cookie's secret token is stored only as id_hash (keyed hash).
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  id_hash TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  auth_mode TEXT NOT NULL,
  key_id TEXT,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_tenant_id ON sessions (tenant_id, id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Bumped by every change a credential cache may hold, so a server notices
-- what another process (the CLI) changed. Sessions and last_used_at are
-- not watched: they change on every request and are not cached that way.
CREATE TABLE cache_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
) STRICT;
INSERT INTO cache_epoch (id, value) VALUES (1, 0);
CREATE TRIGGER tenants_insert_epoch AFTER INSERT ON tenants
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER tenants_update_epoch AFTER UPDATE ON tenants
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER tenants_delete_epoch AFTER DELETE ON tenants
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER app_credentials_insert_epoch AFTER INSERT ON app_credentials
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER app_credentials_update_epoch AFTER UPDATE ON app_credentials
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER app_credentials_delete_epoch AFTER DELETE ON app_credentials
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER api_keys_update_epoch
  AFTER UPDATE OF name, type, scopes, expires_at, revoked_at ON api_keys
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER api_keys_delete_epoch AFTER DELETE ON api_keys
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER api_key_secrets_update_epoch AFTER UPDATE ON api_key_secrets
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
CREATE TRIGGER api_key_secrets_delete_epoch AFTER DELETE ON api_key_secrets
  BEGIN UPDATE cache_epoch SET value = value + 1; END;
)sql"},
      {3, "usage by tenant and day",
       // One row per tenant and UTC day, added to by periodic flushes of
       // the in-memory meter (usage/usage_meter.h), never once per request.
       // stored_bytes and file_count are the tenant's file totals as last
       // seen that day (NULL until a flush saw them).
       R"sql(
CREATE TABLE usage_daily (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day TEXT NOT NULL,  -- YYYY-MM-DD, UTC
  requests INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL,
  stored_bytes INTEGER,
  file_count INTEGER,
  PRIMARY KEY (tenant_id, day)
) STRICT, WITHOUT ROWID;
)sql"},
      {4, "sessions record the secret that started them",
       // A session ends when the secret that started it is revoked or
       // rotated out (api.md §4 "Sessions"): AppSecret::id or
       // SecretLifetime::id. NULL for sessions older than this column,
       // which are then as good as ended.
       R"sql(
ALTER TABLE sessions ADD COLUMN secret_id TEXT;
)sql"},
  };
  return migrations;
}

constexpr std::size_t kSlugMinLength = 3;
constexpr std::size_t kSlugMaxLength = 63;
constexpr std::size_t kNameMaxBytes = 200;
constexpr std::string_view kIsolationDatabase = "database";
constexpr std::size_t kAppKeyRandomChars = 24;
constexpr int kMaxListLimit = 500;

// Columns read by ReadTenant, in its order.
constexpr std::string_view kTenantColumns =
    "t.id, t.slug, t.name, t.plan, t.status, t.isolation, t.app_key, t.created_at, t.updated_at";

}  // namespace

// The same rules for every name a client gives (base/text.h).
std::optional<base::FieldError> CheckName(std::string_view raw) {
  return base::CheckName(raw, kNameMaxBytes);
}

namespace {

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

// Reads the kTenantColumns of the current row.
base::Result<Tenant> ReadTenant(const storage::Statement& st) {
  Tenant t;
  t.id = st.ColumnText(0);
  t.slug = st.ColumnText(1);
  t.name = st.ColumnText(2);
  t.plan = st.ColumnText(3);
  const std::string status = st.ColumnText(4);
  const std::optional<TenantStatus> parsed_status = ParseTenantStatus(status);
  if (!parsed_status) return CorruptRow(t.id + " status '" + status + "'");
  t.status = *parsed_status;
  t.isolation = st.ColumnText(5);
  t.app_key = st.ColumnText(6);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(st.ColumnText(7));
  const std::optional<base::TimePoint> updated = base::ParseRfc3339(st.ColumnText(8));
  if (!created || !updated) return CorruptRow(t.id + " timestamps");
  t.created_at = *created;
  t.updated_at = *updated;
  return t;
}

}  // namespace

base::TimePoint Now() {
  // Stored timestamps have millisecond precision; truncating here makes the
  // records returned by a write equal the ones read back later.
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Ids and slugs cannot be confused: a slug has no '_'.
base::Result<std::optional<Tenant>> LoadTenant(storage::Database& db, std::string_view id_or_slug) {
  const bool by_id = base::IsWellFormedId(id_or_slug, "ten");
  const std::string sql = "SELECT " + std::string(kTenantColumns) + " FROM tenants t WHERE " +
                          (by_id ? "t.id = ?" : "t.slug = ?");
  TENANTD_TRY(storage::Statement st, db.Prepare(sql));
  st.Bind(1, id_or_slug);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<Tenant>();
  TENANTD_TRY(Tenant t, ReadTenant(st));
  return std::optional<Tenant>(std::move(t));
}

base::Error NoSuchTenant() { return base::NotFound("No such tenant."); }

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

ControlStore::ControlStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlStore::~ControlStore() = default;

base::Result<std::unique_ptr<ControlStore>> ControlStore::Open(
    const std::filesystem::path& data_dir, const crypto::SecretBox& box,
    ControlStoreOptions options) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    if (!std::filesystem::create_directories(data_dir, ec) && ec) {
      return base::Internal("control store: cannot create " + data_dir.string() + ": " +
                            ec.message());
    }
    // The directory will hold the master key, sealed secrets and every
    // tenant's data: owner only. Permissions of an existing directory are
    // the operator's choice and left alone.
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  TENANTD_TRY(std::unique_ptr<storage::Database> db,
              storage::Database::Open(data_dir / "control.db"));
  TENANTD_RETURN_IF_ERROR(storage::ApplyMigrations(*db, ControlMigrations()));
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db);
  impl->box = &box;
  impl->options = std::move(options);
  impl->api_key_pepper =
      std::make_unique<crypto::HmacSha256Key>(box.DeriveKey("api-key-pepper").Reveal());
  return std::unique_ptr<ControlStore>(new ControlStore(std::move(impl)));
}

base::Result<CreatedTenant> ControlStore::CreateTenant(const NewTenant& t,
                                                       const TenantProvisioning& provisioning) {
  if (auto errors = ValidateNewTenant(t, impl_->options.plans); !errors.empty()) {
    return base::ValidationFailed(std::move(errors));
  }
  CreatedTenant created;
  Tenant& tenant = created.tenant;
  tenant.id = base::NewId("ten");
  tenant.slug = t.slug;
  tenant.name = std::string(base::TrimAsciiSpace(t.name));
  tenant.plan = t.plan;
  tenant.status = TenantStatus::kActive;
  tenant.isolation = t.isolation;
  tenant.app_key = "ak_" + crypto::RandomBase62(kAppKeyRandomChars);
  tenant.created_at = tenant.updated_at = Now();
  created.app_secret = base::Secret(crypto::RandomBase62(kAppSecretChars));
  // Sealed rather than hashed: mode B signatures need the secret itself. The
  // digest serves mode A, which compares it in constant time.
  const std::string sealed = impl_->box->Seal(created.app_secret.Reveal(), AppSecretAad(tenant.id));
  const std::string digest = crypto::Sha256Hex(created.app_secret.Reveal());
  const std::string now = base::FormatRfc3339(tenant.created_at);

  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO tenants (id, slug, name, plan, status, isolation, app_key,"
                           " created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?)"));
    st.Bind(1, tenant.id)
        .Bind(2, tenant.slug)
        .Bind(3, tenant.name)
        .Bind(4, tenant.plan)
        .Bind(5, tenant.isolation)
        .Bind(6, tenant.app_key)
        .Bind(7, now)
        .Bind(8, now);
    if (auto step = st.Step(); !step) {
      // The id and app key were just minted from 80+ random bits, so the
      // slug is the only unique column that can collide. Deleted tenants keep their slug
      // until purged, so links and logs never silently change owner.
      if (storage::IsUniqueViolation(step.error())) {
        return base::MakeError(base::ErrorCode::kAlreadyExists, "slug_taken",
                               "A tenant with this slug already exists.");
      }
      return std::move(step).error();
    }
  }
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO app_credentials (tenant_id, secret_sealed,"
                           " secret_sha256, created_at) VALUES (?, ?, ?, ?)"));
    st.Bind(1, tenant.id).Bind(2, sealed).Bind(3, digest).Bind(4, now);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  if (!provisioning.create) {
    TENANTD_RETURN_IF_ERROR(tx.Commit());
    impl_->Changed();
    return created;
  }
  // The row is written but not committed: the slug is known to be free,
  // and until the commit no other connection sees the tenant. If anything
  // below fails, the rollback takes the row and `undo` the database.
  TENANTD_TRY(std::string location, provisioning.create(tenant));
  auto committed = [&]() -> base::Status {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE tenants SET db_location_sealed = ? WHERE id = ?"));
    st.Bind(1, impl_->box->Seal(location, DbLocationAad(tenant.id))).Bind(2, tenant.id);
    TENANTD_RETURN_IF_ERROR(st.Step());
    return tx.Commit();
  }();
  if (!committed) {
    if (provisioning.undo) provisioning.undo(tenant);
    return std::move(committed).error();
  }
  impl_->Changed();
  return created;
}

base::Result<std::optional<std::string>> ControlStore::DatabaseLocation(
    std::string_view tenant_id) {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st,
              impl_->db->Prepare("SELECT db_location_sealed FROM tenants WHERE id = ?"));
  st.Bind(1, tenant_id);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return NoSuchTenant();
  const std::optional<std::string> sealed = st.ColumnOptionalText(0);
  if (!sealed) return std::optional<std::string>();
  TENANTD_TRY(base::Secret location, impl_->box->Open(*sealed, DbLocationAad(tenant_id)));
  return std::optional<std::string>(location.Reveal());
}

base::Status ControlStore::WithTenantIdsLocked(
    const std::function<base::Status(const std::unordered_set<std::string>&)>& fn) {
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  // BEGIN IMMEDIATE holds SQLite's write lock: no process can create a
  // tenant (whose row commits only after its database is in place) until
  // `fn` is done. Nothing is written; the transaction rolls back.
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  std::unordered_set<std::string> ids;
  TENANTD_TRY(storage::Statement st, db.Prepare("SELECT id FROM tenants"));
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    ids.insert(st.ColumnText(0));
  }
  return fn(ids);
}

base::Result<std::optional<Tenant>> ControlStore::FindTenant(std::string_view id_or_slug) {
  std::lock_guard lock(impl_->mu);
  return LoadTenant(*impl_->db, id_or_slug);
}

base::Result<TenantPage> ControlStore::ListTenants(const TenantListQuery& q) {
  // The HTTP layer validates the limit; clamping keeps a caller that did not
  // from asking SQLite for everything (or for nothing).
  const int limit = std::clamp(q.limit, 1, kMaxListLimit);
  std::string sql = "SELECT " + std::string(kTenantColumns) + " FROM tenants t WHERE t.id > ?";
  if (q.status) sql += " AND t.status = ?";
  sql += " ORDER BY t.id LIMIT ?";

  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st, impl_->db->Prepare(sql));
  int index = 1;
  st.Bind(index++, q.after);
  if (q.status) st.Bind(index++, ToString(*q.status));
  // One extra row tells whether another page follows without a count query.
  st.Bind(index++, limit + 1);
  TenantPage page;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    TENANTD_TRY(Tenant t, ReadTenant(st));
    page.items.push_back(std::move(t));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

base::Result<Tenant> ControlStore::UpdateTenant(std::string_view id_or_slug,
                                                const TenantPatch& patch) {
  if (auto errors = ValidatePatch(patch, impl_->options.plans); !errors.empty()) {
    return base::ValidationFailed(std::move(errors));
  }
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  // The read and the write share one write transaction, so a concurrent
  // DeleteTenant from another process cannot slip in between.
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<Tenant> found, LoadTenant(db, id_or_slug));
  if (!found) return NoSuchTenant();
  Tenant tenant = std::move(*found);
  if (tenant.status == TenantStatus::kDeleted) {
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "tenant_deleted",
                           "The tenant is deleted.");
  }
  if (patch.name) tenant.name = std::string(base::TrimAsciiSpace(*patch.name));
  if (patch.plan) tenant.plan = *patch.plan;
  if (patch.status) tenant.status = *patch.status;
  tenant.updated_at = Now();
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE tenants SET name = ?, plan = ?, status = ?, updated_at = ?"
                           " WHERE id = ?"));
    st.Bind(1, tenant.name)
        .Bind(2, tenant.plan)
        .Bind(3, ToString(tenant.status))
        .Bind(4, base::FormatRfc3339(tenant.updated_at))
        .Bind(5, tenant.id);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return tenant;
}

base::Result<Tenant> ControlStore::DeleteTenant(std::string_view id_or_slug) {
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<Tenant> found, LoadTenant(db, id_or_slug));
  if (!found) return NoSuchTenant();
  Tenant tenant = std::move(*found);
  // Idempotent: a repeated DELETE keeps the first deleted_at.
  if (tenant.status == TenantStatus::kDeleted) return tenant;
  tenant.status = TenantStatus::kDeleted;
  tenant.updated_at = Now();
  {
    const std::string now = base::FormatRfc3339(tenant.updated_at);
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE tenants SET status = 'deleted', deleted_at = ?, updated_at = ?"
                           " WHERE id = ?"));
    st.Bind(1, now).Bind(2, now).Bind(3, tenant.id);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return tenant;
}

base::Result<Tenant> ControlStore::PurgeTenant(std::string_view id_or_slug) {
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<Tenant> tenant, LoadTenant(db, id_or_slug));
  if (!tenant) return NoSuchTenant();
  // app_credentials, api keys and sessions go with the row (ON DELETE CASCADE).
  TENANTD_TRY(storage::Statement st, db.Prepare("DELETE FROM tenants WHERE id = ?"));
  st.Bind(1, tenant->id);
  TENANTD_RETURN_IF_ERROR(st.Step());
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return std::move(*tenant);
}

uint64_t ControlStore::Generation() {
  // Another process's change shows only in the database: poll cache_epoch,
  // at most once a millisecond and by one thread at a time (the others go
  // on with the generation they have), so the hot path pays an atomic load.
  constexpr int64_t kPollIntervalNs = 1'000'000;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = impl_->last_epoch_poll_ns.load(std::memory_order_relaxed);
  if (now - last >= kPollIntervalNs &&
      impl_->last_epoch_poll_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    std::unique_lock lock(impl_->mu, std::try_to_lock);
    if (lock.owns_lock()) {
      auto st = impl_->db->Prepare("SELECT value FROM cache_epoch WHERE id = 1");
      auto row = st ? st->Step() : base::Result<bool>(false);
      if (row && *row) {
        const int64_t epoch = st->ColumnInt64(0);
        if (epoch != impl_->last_epoch) {
          impl_->last_epoch = epoch;
          impl_->Changed();
        }
      }
    }
  }
  return impl_->generation.load(std::memory_order_acquire);
}

base::Result<std::optional<base::TimePoint>> ColumnOptionalTime(const storage::Statement& st,
                                                                int column) {
  if (st.ColumnIsNull(column)) return std::optional<base::TimePoint>();
  const std::optional<base::TimePoint> t = base::ParseRfc3339(st.ColumnText(column));
  if (!t) return base::Internal("control store: unparseable timestamp");
  return std::optional<base::TimePoint>(*t);
}

base::Result<std::optional<std::string>> ControlStore::GetSetting(std::string_view key) {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st,
              impl_->db->Prepare("SELECT value FROM settings WHERE key = ?"));
  st.Bind(1, key);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnText(0));
}

base::Status ControlStore::PutSetting(std::string_view key, std::string_view value) {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st,
              impl_->db->Prepare("INSERT INTO settings (key, value) VALUES (?, ?)"
                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  st.Bind(1, key).Bind(2, value);
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

base::Status ControlStore::Ping() {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st, impl_->db->Prepare("SELECT 1"));
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

base::Result<int> ControlStore::SchemaVersion() {
  std::lock_guard lock(impl_->mu);
  return storage::SchemaVersion(*impl_->db);
}

}  // namespace tenantd::control
