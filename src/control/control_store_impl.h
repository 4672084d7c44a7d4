// Internals shared by the control store's source files (tenants, app
// credentials, API keys, usage). Not part of the module's interface.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret.h"
#include "base/time.h"
#include "control/change_journal.h"
#include "control/control_store.h"
#include "storage/database.h"

namespace tenantd::crypto {
class SecretBox;
class HmacSha256Key;
}  // namespace tenantd::crypto

namespace tenantd::control {

struct ControlStore::Impl {
  std::unique_ptr<storage::Database> db;
  const crypto::SecretBox* box = nullptr;
  ControlStoreOptions options;
  std::unique_ptr<crypto::HmacSha256Key> api_key_pepper;  // HKDF subkey of the master key

  // Change detection for the caches in front of the store (see Generation()).
  ChangeJournal journal;
  std::atomic<int64_t> last_epoch_poll_ns{0};
  // The last cache_epoch read, whose changes are in the journal (-1: none
  // read yet).
  std::atomic<int64_t> last_epoch{-1};
  // When the counter was last read successfully (options.clock's steady
  // time, ns): the caches are known current as of then.
  std::atomic<int64_t> last_confirmed_ns{0};
  // Reads of the log under way (RefreshGeneration): callers that find the
  // caches unconfirmed for too long wait for one to end rather than fail.
  std::atomic<int> reads_in_flight{0};
  // A LISTEN connection is announcing changes (SetListening).
  std::atomic<bool> listening{false};

  // Call after committing a change to a tenant that a cache may hold.
  void Changed(const std::string& tenant_id) { journal.Add(tenant_id); }
};

template <class T>
using Async = ControlStore::Async<T>;
using AsyncStatus = ControlStore::AsyncStatus;

// 43 base62 characters carry 43 * log2(62) ≈ 256 bits.
inline constexpr std::size_t kAppSecretChars = 43;

// Now, truncated to the millisecond precision of stored timestamps.
base::TimePoint Now();
// The tenant by id or slug. `lock`: also lock its row until the transaction
// ends (PostgreSQL; SQLite's transactions hold the write lock already).
Async<std::optional<Tenant>> LoadTenant(storage::Transaction& tx, std::string_view id_or_slug,
                                        bool lock = false);
base::Error NoSuchTenant();
base::Error TenantDeleted();
std::string AppSecretAad(std::string_view tenant_id);
std::string DbLocationAad(std::string_view tenant_id);
std::optional<base::FieldError> CheckName(std::string_view raw);
// An email as stored and looked up: ASCII letters lower-cased, so that
// emails are unique and found without regard to case (api.md §11).
std::string NormalizeEmail(std::string_view email);
// Scopes as stored: space-separated.
std::vector<std::string> SplitScopes(std::string_view text);
std::string JoinScopes(const std::vector<std::string>& scopes);
// " FOR UPDATE" on PostgreSQL, "" on SQLite.
std::string_view ForUpdate(const storage::Transaction& tx);

inline std::optional<std::string> FormatOptional(const std::optional<base::TimePoint>& t) {
  if (!t) return std::nullopt;
  return base::FormatRfc3339(*t);
}

// A NULL column is nullopt; an unparseable one is an error.
base::Result<std::optional<base::TimePoint>> ColumnOptionalTime(const storage::Row& row,
                                                                int column);

}  // namespace tenantd::control
