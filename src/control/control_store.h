// The control store: tenants, their app credentials, API keys, sessions,
// usage and platform settings, written once against the storage seam
// (storage/database.h) and run on either engine: SQLite at
// <data>/control.db (the embedded default) or PostgreSQL
// (TENANTD_DATABASE_URL), with versioned migrations applied by Open().
//
// Every call is awaitable and thread-safe. Admin operations are rare and
// short; hot-path lookups go through the caches of auth::Directory, which
// watch Generation(). Several processes (the CLI and a server, or the nodes
// of a cluster on PostgreSQL) may use one control store at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret.h"
#include "base/time.h"
#include "control/change_journal.h"
#include "storage/database.h"

namespace tenantd::crypto {
class SecretBox;
class HmacSha256Key;
}  // namespace tenantd::crypto

namespace tenantd::control {

enum class TenantStatus { kActive, kSuspended, kDeleted };
std::string_view ToString(TenantStatus s);  // "active" | "suspended" | "deleted"
std::optional<TenantStatus> ParseTenantStatus(std::string_view s);

struct Tenant {
  std::string id;  // "ten_" + ULID
  std::string slug;
  std::string name;
  std::string plan;  // "free" | "pro" | "enterprise"
  TenantStatus status = TenantStatus::kActive;
  std::string isolation;     // "database" (PostgreSQL modes come later)
  std::string app_key;       // "ak_" + 24 base62 chars; public identifier, not a secret
  std::string kind = "org";  // "org" | "personal" (one per user, made at sign-up)
  std::string account_id;    // the account that owns it ("acc_…"); "" for none
  base::TimePoint created_at;
  base::TimePoint updated_at;
};

struct NewTenant {
  std::string slug;
  std::string name;
  std::string plan = "free";
  std::string isolation = "database";
  std::string kind = "org";  // "org" | "personal"
  std::string account_id;    // "" = no account
  // A user made the tenant's owner (membership role "owner", primary and
  // billing contact) in the transaction that writes the tenant; "" = none.
  std::string owner_user_id;
  // Runs first in that transaction, given the tenant about to be written:
  // what its row refers to and must commit with it (sign-up's account and
  // user).
  std::function<boost::asio::awaitable<base::Status>(storage::Transaction&, const Tenant&)> prepare;
};

struct CreatedTenant {
  Tenant tenant;
  base::Secret app_secret;  // shown once to the caller, never retrievable again
};

struct TenantPatch {
  std::optional<std::string> name;
  std::optional<std::string> plan;
  std::optional<TenantStatus> status;  // kActive or kSuspended only
};

struct TenantListQuery {
  std::optional<TenantStatus> status;
  std::string after;  // cursor: list items strictly after this id ("" = from the start)
  int limit = 50;     // 1..500 (validated by the caller)
};

struct TenantPage {
  std::vector<Tenant> items;
  std::optional<std::string> next_cursor;  // set when more items may follow
};

// One app secret of a tenant. Rotation keeps the previous secret valid until
// its expires_at; the current one has none.
struct AppSecret {
  std::string id;       // names it among the tenant's secrets: sessions record which started them
  std::string sha256;   // raw SHA-256 of the secret (mode A compares it)
  base::Secret secret;  // the secret itself (mode B signs with it)
  std::shared_ptr<const crypto::HmacSha256Key> mac;  // keyed with `secret`, for mode B
  std::optional<base::TimePoint> expires_at;
};

// What a request's X-App-Key leads to.
struct AppCredentials {
  std::string tenant_id;
  std::vector<AppSecret> secrets;  // unexpired as of the lookup, newest first
};

struct RotatedAppSecret {
  std::string app_key;
  base::Secret app_secret;  // shown once
  // When the previous secret(s) stop working (now for grace 0).
  base::TimePoint previous_expires_at;
};

// API keys (api.md §4). A key keeps its id, name and scopes across
// rotations; each rotation adds a secret and retires the previous one.
struct ApiKey {
  std::string id;  // "key_" + ULID
  std::string tenant_id;
  std::string name;
  std::string type;                 // "secret" | "restricted"
  std::string environment;          // "live" | "test"
  std::vector<std::string> scopes;  // restricted keys only; secret keys hold every scope
  std::string prefix;               // first 12 characters of the current secret
  base::TimePoint created_at;
  std::optional<base::TimePoint> expires_at;
  std::optional<base::TimePoint> revoked_at;
  std::optional<base::TimePoint> last_used_at;
};

struct NewApiKey {
  std::string tenant_id;
  std::string name;
  std::string type = "secret";
  std::string environment = "live";
  std::vector<std::string> scopes;
  std::optional<base::TimePoint> expires_at;
};

struct CreatedApiKey {
  ApiKey key;
  base::Secret secret;  // "sk_live_…", shown once
};

// A presented secret's key, and until when that particular secret works
// (set once the secret was rotated out).
struct ApiKeyMatch {
  ApiKey key;
  std::string secret_id;  // which of the key's secrets (see SecretLifetime)
  std::optional<base::TimePoint> secret_expires_at;
};

// One secret of an API key: until when it works (nullopt: the current one).
// Its id is a prefix of the secret's stored keyed hash: enough to tell a
// key's few secrets apart, and it can confirm no guess.
struct SecretLifetime {
  std::string id;
  std::optional<base::TimePoint> expires_at;
};

// A key and its secrets not yet deleted (a secret rotated out lingers,
// expired, until the next rotation deletes it).
struct ApiKeyWithSecrets {
  ApiKey key;
  std::vector<SecretLifetime> secrets;
};

struct ApiKeyPage {
  std::vector<ApiKey> items;
  std::optional<std::string> next_cursor;
};

// Usage of one tenant on one UTC day (api.md §3, GET …/usage).
struct UsageRecord {
  std::string tenant_id;
  std::string day;  // "YYYY-MM-DD"
  int64_t requests = 0;
  int64_t bytes_in = 0;                 // request body bytes
  int64_t bytes_out = 0;                // response body bytes
  std::optional<int64_t> stored_bytes;  // file totals as last seen that day
  std::optional<int64_t> file_count;
};

struct UsagePage {
  std::vector<UsageRecord> items;
  std::optional<std::string> next_cursor;  // the last day of this page
};

// Every scope a secret key or app credential holds, sorted.
const std::vector<std::string>& AllScopes();
// "<resource>:<read|write>" of a known resource.
bool IsKnownScope(std::string_view scope);
std::vector<base::FieldError> ValidateNewApiKey(const NewApiKey& k, base::TimePoint now);

// Field validation shared by the HTTP API and the CLI. Each returns the
// field errors found (empty = valid).
// `plans`: the plan names a tenant may carry (config::Plans::Names()).
std::vector<base::FieldError> ValidateNewTenant(const NewTenant& t,
                                                const std::vector<std::string>& plans);
std::vector<base::FieldError> ValidatePatch(const TenantPatch& p,
                                            const std::vector<std::string>& plans);

struct ControlStoreOptions {
  // The plan names tenants may be created with or moved to: the configured
  // plans (config::Plans::Names()); the built-in ones by default.
  std::vector<std::string> plans{"free", "pro", "enterprise"};
  // How often RefreshGeneration() reads the change counter another process
  // bumps. 0: the engine's default (SQLite 1 ms, PostgreSQL 50 ms).
  std::chrono::milliseconds change_poll_interval{0};
  // How long the caches in front of the store may go without confirming
  // that nothing changed (a successful read of the change counter). Past it
  // RefreshGeneration() fails with 503 control_store_unavailable, so that a
  // node cut off from the store stops serving credentials that may have
  // been revoked meanwhile (TENANTD_CACHE_MAX_STALENESS). 0: no bound (the
  // CLI, whose calls read the store anyway).
  std::chrono::milliseconds max_staleness{0};
  // Poll intervals and staleness are measured on its steady time.
  const base::Clock* clock = &base::SystemClock();
};

// The control store's database: PostgreSQL when `database_url` is set
// (postgres://…; kInvalidArgument "invalid_database_url" for a malformed
// one, never echoing the password), else the SQLite file
// <data_dir>/control.db, creating data_dir (owner only) if needed.
base::Result<std::unique_ptr<storage::Database>> OpenControlDatabase(
    const std::filesystem::path& data_dir, const std::string& database_url);

// What a new tenant needs outside the control store (its database), made
// before the tenant's row is written, so that a tenant is never visible
// without it. Both are awaited with no transaction open and no lock held:
// building a database takes milliseconds and other requests must not wait.
struct TenantProvisioning {
  // Makes the resources; returns the database location record (sealed into
  // the row). On an error no row is written; `create` cleans up after itself.
  std::function<boost::asio::awaitable<base::Result<std::string>>(const Tenant&)> create;
  // Undoes a successful `create` when the row then fails to commit (the
  // slug was taken meanwhile, the store failed).
  std::function<boost::asio::awaitable<void>(const Tenant&)> undo;
};

class ControlStore {
 public:
  template <class T>
  using Async = boost::asio::awaitable<base::Result<T>>;
  using AsyncStatus = boost::asio::awaitable<base::Status>;

  // Applies pending migrations to `db` (each in its own transaction,
  // recorded in schema_migrations; on PostgreSQL one process migrates while
  // the others wait) and opens the store on it. `box` (which must outlive
  // the store) encrypts app secrets.
  static Async<std::unique_ptr<ControlStore>> Open(std::unique_ptr<storage::Database> db,
                                                   const crypto::SecretBox& box,
                                                   ControlStoreOptions options = {});
  ~ControlStore();
  ControlStore(const ControlStore&) = delete;
  ControlStore& operator=(const ControlStore&) = delete;

  // The database underneath (the SQL session store shares it).
  storage::Database& database();

  // Validates (422 validation_failed), mints id, app key and a 256-bit app
  // secret (43 base62 chars), stores the secret sealed by the SecretBox with aad
  // "tenant:<id>:app_secret" plus its SHA-256 hex digest. Duplicate slug, also
  // of a deleted-but-not-purged tenant: kAlreadyExists "slug_taken".
  // With `provisioning`, its create runs first (after a check that the slug
  // is free) and the row is written only when it succeeded.
  Async<CreatedTenant> CreateTenant(const NewTenant& t,
                                    const TenantProvisioning& provisioning = {});

  // By id ("ten_…") or slug; deleted tenants are found too (status tells).
  Async<std::optional<Tenant>> FindTenant(std::string_view id_or_slug);

  // Ordered by id (= creation order).
  Async<TenantPage> ListTenants(const TenantListQuery& q);

  // kNotFound "not_found"; a deleted tenant: kFailedPrecondition "tenant_deleted";
  // invalid fields: validation_failed. Bumps updated_at.
  Async<Tenant> UpdateTenant(std::string_view id_or_slug, const TenantPatch& patch);

  // Marks the tenant deleted (idempotent). kNotFound when absent.
  Async<Tenant> DeleteTenant(std::string_view id_or_slug);
  // Removes the tenant row and its credentials for good and returns what
  // it was; the caller then removes its data (a crash in between leaves an
  // orphan database, which TenantDatabases::RemoveOrphans deletes).
  // kNotFound when absent.
  Async<Tenant> PurgeTenant(std::string_view id_or_slug);

  // The tenant's database location record (unsealed), nullopt for a tenant
  // created before locations were recorded. kNotFound for an unknown id.
  Async<std::optional<std::string>> DatabaseLocation(std::string_view tenant_id);

  // Notes changes this process committed to rows the caches in front of
  // the store hold under these ids (tenant or user ids) that the change
  // log also records for other processes: the caches drop them at once.
  void NoteChanged(const std::vector<std::string>& ids);

  // Runs `fn` with the ids of every tenant (deleted ones too) while holding
  // a lock that keeps any process from creating or purging a tenant until
  // it returns (SQLite: the write lock; PostgreSQL: LOCK TABLE tenants).
  AsyncStatus WithTenantIdsLocked(
      const std::function<base::Status(const std::unordered_set<std::string>&)>& fn);

  // ---- App credentials (control/app_credentials.cpp) ----

  // The tenant and live secrets behind an app key; nullopt when unknown.
  Async<std::optional<AppCredentials>> FindAppCredentials(std::string_view app_key);

  // Issues a new app secret; the current ones stay valid for `grace` (0 =
  // they stop now). kNotFound for an unknown tenant, "tenant_deleted" for a
  // deleted one.
  Async<RotatedAppSecret> RotateAppSecret(std::string_view id_or_slug, std::chrono::seconds grace);

  // ---- API keys (control/api_keys.cpp) ----

  // Validates (validation_failed) and stores only HMAC(pepper, secret).
  Async<CreatedApiKey> CreateApiKey(const NewApiKey& k);
  // A tenant's keys, revoked ones included, by id (= creation order).
  Async<ApiKeyPage> ListApiKeys(std::string_view tenant_id, std::string_view after, int limit);
  // nullopt when the key does not exist or belongs to another tenant.
  Async<std::optional<ApiKey>> FindApiKey(std::string_view tenant_id, std::string_view key_id);
  // The key with its secrets' lifetimes; nullopt as FindApiKey.
  Async<std::optional<ApiKeyWithSecrets>> FindApiKeyWithSecrets(std::string_view tenant_id,
                                                                std::string_view key_id);
  // By the hash of a presented secret (see ApiKeySecretHash); nullopt when unknown.
  Async<std::optional<ApiKeyMatch>> FindApiKeyBySecretHash(std::string_view secret_hash);
  // New secret for the key; the previous one stays valid for `grace`.
  // kNotFound for another tenant's or an unknown key; "key_revoked" (409)
  // for a revoked one.
  Async<CreatedApiKey> RotateApiKey(std::string_view tenant_id, std::string_view key_id,
                                    std::chrono::seconds grace);
  // Marks the key revoked (idempotent: the first revoked_at stays).
  Async<ApiKey> RevokeApiKey(std::string_view tenant_id, std::string_view key_id);
  // Records last use times in one transaction (never moves a time backwards).
  AsyncStatus RecordApiKeyUse(std::vector<std::pair<std::string, base::TimePoint>> uses);
  // Hex HMAC-SHA256 under the API-key pepper: what is stored and looked up.
  std::string ApiKeySecretHash(std::string_view secret) const;

  // ---- Usage (control/usage.cpp) ----

  // Adds each record's counts to its (tenant, day) row, creating it, and
  // sets the row's stored_bytes / file_count when the record has them; one
  // transaction. Records of tenants that no longer exist are dropped.
  AsyncStatus AddUsage(std::vector<UsageRecord> records);
  // A tenant's rows with from <= day <= to (either bound "" = open) and day
  // > after, oldest first, at most `limit` (1..500) plus a cursor.
  Async<UsagePage> ListUsage(std::string_view tenant_id, std::string_view from, std::string_view to,
                             std::string_view after, int limit);

  // ---- Change detection ----

  // A number that moves after every change to a tenant, its app
  // credentials or API keys: made by this process, at once; by another
  // process sharing the database (the CLI, another node), once
  // RefreshGeneration() has read the change log its transaction wrote.
  // No I/O.
  uint64_t Generation() const;
  // Which tenants changed after `generation` (or everything); no I/O.
  ChangeJournal::Since ChangesSince(uint64_t generation) const;
  // Reads the change log if the poll interval has passed since the last
  // read (one caller at a time; the others go on at once). Cheap otherwise.
  // Fails (kUnavailable "control_store_unavailable") only when the log
  // could not be read for longer than options.max_staleness: what the caches
  // hold can then no longer be trusted.
  AsyncStatus RefreshGeneration();
  // A LISTEN connection heard of a change (or just (re)connected): the next
  // RefreshGeneration() reads the log whatever the interval.
  void ChangesAnnounced();
  // Whether such a connection is up: while it is, the log is read once a
  // second rather than at every poll interval.
  void SetListening(bool listening);
  // Forgets all but the latest 10,000 changes (housekeeping).
  AsyncStatus PruneChangeLog();

  // Platform settings (e.g. "admin_token_sha256").
  Async<std::optional<std::string>> GetSetting(std::string_view key);
  AsyncStatus PutSetting(std::string_view key, std::string_view value);

  // Cheap liveness query for /readyz.
  AsyncStatus Ping();
  // Highest applied migration version.
  Async<int> SchemaVersion();

 private:
  struct Impl;
  explicit ControlStore(std::unique_ptr<Impl> impl);
  AsyncStatus ReadChanges();
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantd::control
