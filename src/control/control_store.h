// The control store: tenants, their app credentials and platform settings,
// in SQLite at <data>/control.db (WAL, busy timeout, foreign keys), with
// versioned migrations applied transactionally by Open().
//
// Thread-safe: one connection behind a mutex. Admin operations are rare and
// short; hot-path lookups get in-memory caches in front of this (later issue).
// The CLI and a running server may use the same file at once (WAL + busy timeout).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret.h"
#include "base/time.h"

namespace tenantd::crypto {
class SecretBox;
}

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
  std::string isolation;  // "database" (PostgreSQL modes come later)
  std::string app_key;    // "ak_" + 24 base62 chars; public identifier, not a secret
  base::TimePoint created_at;
  base::TimePoint updated_at;
};

struct NewTenant {
  std::string slug;
  std::string name;
  std::string plan = "free";
  std::string isolation = "database";
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

// Field validation shared by the HTTP API and the CLI. Each returns the
// field errors found (empty = valid).
std::vector<base::FieldError> ValidateNewTenant(const NewTenant& t);
std::vector<base::FieldError> ValidatePatch(const TenantPatch& p);

class ControlStore {
 public:
  // Opens or creates <data_dir>/control.db (creating data_dir if needed) and
  // applies pending migrations, each in its own transaction, recorded in
  // schema_migrations. `box` (which must outlive the store) encrypts app secrets.
  static base::Result<std::unique_ptr<ControlStore>> Open(const std::filesystem::path& data_dir,
                                                          const crypto::SecretBox& box);
  ~ControlStore();
  ControlStore(const ControlStore&) = delete;
  ControlStore& operator=(const ControlStore&) = delete;

  // Validates (422 validation_failed), mints id, app key and a 256-bit app
  // secret (43 base62 chars), stores the secret sealed by the SecretBox with aad
  // "tenant:<id>:app_secret" plus its SHA-256 hex digest. Duplicate slug, also
  // of a deleted-but-not-purged tenant: kAlreadyExists "slug_taken".
  base::Result<CreatedTenant> CreateTenant(const NewTenant& t);

  // By id ("ten_…") or slug; deleted tenants are found too (status tells).
  base::Result<std::optional<Tenant>> FindTenant(std::string_view id_or_slug);

  // Ordered by id (= creation order).
  base::Result<TenantPage> ListTenants(const TenantListQuery& q);

  // kNotFound "not_found"; a deleted tenant: kFailedPrecondition "tenant_deleted";
  // invalid fields: validation_failed. Bumps updated_at.
  base::Result<Tenant> UpdateTenant(std::string_view id_or_slug, const TenantPatch& patch);

  // Marks the tenant deleted (idempotent). kNotFound when absent.
  base::Result<Tenant> DeleteTenant(std::string_view id_or_slug);
  // Removes the tenant row and its credentials for good. kNotFound when absent.
  base::Status PurgeTenant(std::string_view id_or_slug);

  // Platform settings (e.g. "admin_token_sha256").
  base::Result<std::optional<std::string>> GetSetting(std::string_view key);
  base::Status PutSetting(std::string_view key, std::string_view value);

  // Cheap liveness query for /readyz.
  base::Status Ping();
  // Highest applied migration version.
  base::Result<int> SchemaVersion();

 private:
  struct Impl;
  explicit ControlStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantd::control
