// API keys (api.md §4): secret and restricted keys, live and test, scopes,
// expiry, rotation with grace, revocation and last use.
#include <algorithm>
#include <array>
#include <utility>

#include "base/ids.h"
#include "control/control_store.h"
#include "control/control_store_impl.h"
#include "crypto/crypto.h"

namespace tenantd::control {
namespace {

// Resources whose routes check scopes. A new resource adds its name here.
constexpr std::array<std::string_view, 4> kResources = {"files", "keys", "products", "sessions"};
constexpr std::size_t kPrefixChars = 12;
constexpr std::size_t kMaxScopes = 32;
constexpr int kMaxListLimit = 500;
constexpr std::size_t kSecretIdChars = 16;  // 64 bits of the keyed hash

constexpr std::string_view kKeyColumns =
    "k.id, k.tenant_id, k.name, k.type, k.environment, k.scopes, k.prefix, k.created_at,"
    " k.expires_at, k.revoked_at, k.last_used_at";

std::vector<std::string> SplitScopes(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    if (space != 0) out.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// "sk_live_" + 43 base62 characters: 256 random bits, as api.md asks for
// (at least 32 random bytes).
std::string MintSecret(std::string_view type, std::string_view environment) {
  std::string secret = type == "restricted" ? "rk_" : "sk_";
  secret += environment;
  secret += '_';
  secret += crypto::RandomBase62(kAppSecretChars);
  return secret;
}

base::Result<ApiKey> ReadKey(const storage::Statement& st) {
  ApiKey k;
  k.id = st.ColumnText(0);
  k.tenant_id = st.ColumnText(1);
  k.name = st.ColumnText(2);
  k.type = st.ColumnText(3);
  k.environment = st.ColumnText(4);
  k.scopes = SplitScopes(st.ColumnText(5));
  k.prefix = st.ColumnText(6);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(st.ColumnText(7));
  if (!created) return base::Internal("control store: corrupt api key row " + k.id);
  k.created_at = *created;
  TENANTD_TRY(k.expires_at, ColumnOptionalTime(st, 8));
  TENANTD_TRY(k.revoked_at, ColumnOptionalTime(st, 9));
  TENANTD_TRY(k.last_used_at, ColumnOptionalTime(st, 10));
  return k;
}

base::Result<std::optional<ApiKey>> LoadKey(storage::Database& db, std::string_view tenant_id,
                                            std::string_view key_id) {
  TENANTD_TRY(storage::Statement st,
              db.Prepare("SELECT " + std::string(kKeyColumns) +
                         " FROM api_keys k WHERE k.id = ? AND k.tenant_id = ?"));
  st.Bind(1, key_id).Bind(2, tenant_id);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<ApiKey>();
  TENANTD_TRY(ApiKey k, ReadKey(st));
  return std::optional<ApiKey>(std::move(k));
}

// SecretLifetime::id of the secret with this stored hash.
std::string SecretId(std::string_view secret_hash) {
  return std::string(secret_hash.substr(0, kSecretIdChars));
}

base::Error NoSuchKey() { return base::NotFound("No such API key."); }

}  // namespace

const std::vector<std::string>& AllScopes() {
  static const std::vector<std::string> scopes = [] {
    std::vector<std::string> out;
    for (std::string_view r : kResources) {
      out.push_back(std::string(r) + ":read");
      out.push_back(std::string(r) + ":write");
    }
    std::sort(out.begin(), out.end());
    return out;
  }();
  return scopes;
}

bool IsKnownScope(std::string_view scope) {
  const auto& all = AllScopes();
  return std::find(all.begin(), all.end(), scope) != all.end();
}

std::vector<base::FieldError> ValidateNewApiKey(const NewApiKey& k, base::TimePoint now) {
  std::vector<base::FieldError> errors;
  if (auto e = CheckName(k.name)) errors.push_back(std::move(*e));
  if (k.type != "secret" && k.type != "restricted") {
    errors.push_back({"type", "Type must be secret or restricted."});
  }
  if (k.environment != "live" && k.environment != "test") {
    errors.push_back({"environment", "Environment must be live or test."});
  }
  if (k.type == "secret" && !k.scopes.empty()) {
    errors.push_back(
        {"scopes", "Secret keys hold every scope; omit scopes or use a restricted key."});
  }
  if (k.type == "restricted") {
    if (k.scopes.empty()) {
      errors.push_back({"scopes", "A restricted key needs at least one scope."});
    } else if (k.scopes.size() > kMaxScopes) {
      errors.push_back({"scopes", "At most 32 scopes."});
    }
    for (const std::string& s : k.scopes) {
      if (!IsKnownScope(s)) {
        errors.push_back({"scopes", "Unknown scope \"" + s.substr(0, 40) +
                                        "\"; scopes are <resource>:<read|write> of files, keys, "
                                        "products, sessions."});
        break;
      }
    }
  }
  if (k.expires_at && *k.expires_at <= now) {
    errors.push_back({"expires_at", "expires_at must be in the future."});
  }
  return errors;
}

std::string ControlStore::ApiKeySecretHash(std::string_view secret) const {
  return crypto::HexEncode(impl_->api_key_pepper->Mac(secret));
}

base::Result<CreatedApiKey> ControlStore::CreateApiKey(const NewApiKey& k) {
  const base::TimePoint now = Now();
  if (auto errors = ValidateNewApiKey(k, now); !errors.empty()) {
    return base::ValidationFailed(std::move(errors));
  }
  CreatedApiKey created;
  ApiKey& key = created.key;
  key.id = base::NewId("key");
  key.tenant_id = k.tenant_id;
  key.name = k.name;
  key.type = k.type;
  key.environment = k.environment;
  key.scopes = k.scopes;
  std::sort(key.scopes.begin(), key.scopes.end());
  key.scopes.erase(std::unique(key.scopes.begin(), key.scopes.end()), key.scopes.end());
  key.created_at = now;
  if (k.expires_at) {
    key.expires_at = std::chrono::floor<std::chrono::milliseconds>(*k.expires_at);
  }
  created.secret = base::Secret(MintSecret(key.type, key.environment));
  key.prefix = created.secret.Reveal().substr(0, kPrefixChars);
  const std::string hash = ApiKeySecretHash(created.secret.Reveal());
  const std::string now_text = base::FormatRfc3339(now);

  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO api_keys (id, tenant_id, name, type, environment, scopes,"
                           " prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st.Bind(1, key.id)
        .Bind(2, key.tenant_id)
        .Bind(3, key.name)
        .Bind(4, key.type)
        .Bind(5, key.environment)
        .Bind(6, JoinScopes(key.scopes))
        .Bind(7, key.prefix)
        .Bind(8, now_text)
        .BindOptional(9, FormatOptional(key.expires_at));
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO api_key_secrets (secret_hash, key_id, created_at)"
                           " VALUES (?, ?, ?)"));
    st.Bind(1, hash).Bind(2, key.id).Bind(3, now_text);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  // A new key invalidates nothing a cache holds (no negative caching).
  return created;
}

base::Result<ApiKeyPage> ControlStore::ListApiKeys(std::string_view tenant_id,
                                                   std::string_view after, int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st,
              impl_->db->Prepare("SELECT " + std::string(kKeyColumns) +
                                 " FROM api_keys k WHERE k.tenant_id = ? AND k.id > ?"
                                 " ORDER BY k.id LIMIT ?"));
  st.Bind(1, tenant_id).Bind(2, after).Bind(3, limit + 1);
  ApiKeyPage page;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    TENANTD_TRY(ApiKey k, ReadKey(st));
    page.items.push_back(std::move(k));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

base::Result<std::optional<ApiKey>> ControlStore::FindApiKey(std::string_view tenant_id,
                                                             std::string_view key_id) {
  std::lock_guard lock(impl_->mu);
  return LoadKey(*impl_->db, tenant_id, key_id);
}

base::Result<std::optional<ApiKeyWithSecrets>> ControlStore::FindApiKeyWithSecrets(
    std::string_view tenant_id, std::string_view key_id) {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(std::optional<ApiKey> key, LoadKey(*impl_->db, tenant_id, key_id));
  if (!key) return std::optional<ApiKeyWithSecrets>();
  ApiKeyWithSecrets found{std::move(*key), {}};
  TENANTD_TRY(
      storage::Statement st,
      impl_->db->Prepare("SELECT secret_hash, expires_at FROM api_key_secrets WHERE key_id = ?"));
  st.Bind(1, key_id);
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    SecretLifetime secret;
    secret.id = SecretId(st.ColumnText(0));
    TENANTD_TRY(secret.expires_at, ColumnOptionalTime(st, 1));
    found.secrets.push_back(secret);
  }
  return std::optional<ApiKeyWithSecrets>(std::move(found));
}

base::Result<std::optional<ApiKeyMatch>> ControlStore::FindApiKeyBySecretHash(
    std::string_view secret_hash) {
  std::lock_guard lock(impl_->mu);
  TENANTD_TRY(storage::Statement st,
              impl_->db->Prepare("SELECT " + std::string(kKeyColumns) +
                                 ", s.expires_at, s.secret_hash FROM api_key_secrets s"
                                 " JOIN api_keys k ON k.id = s.key_id WHERE s.secret_hash = ?"));
  st.Bind(1, secret_hash);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<ApiKeyMatch>();
  ApiKeyMatch match;
  TENANTD_TRY(match.key, ReadKey(st));
  TENANTD_TRY(match.secret_expires_at, ColumnOptionalTime(st, 11));
  match.secret_id = SecretId(st.ColumnText(12));
  return std::optional<ApiKeyMatch>(std::move(match));
}

base::Result<CreatedApiKey> ControlStore::RotateApiKey(std::string_view tenant_id,
                                                       std::string_view key_id,
                                                       std::chrono::seconds grace) {
  const base::TimePoint now = Now();
  const std::string now_text = base::FormatRfc3339(now);
  const std::string retire_at = base::FormatRfc3339(now + grace);

  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<ApiKey> found, LoadKey(db, tenant_id, key_id));
  if (!found) return NoSuchKey();
  CreatedApiKey rotated;
  rotated.key = std::move(*found);
  if (rotated.key.revoked_at) {
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "key_revoked",
                           "The key is revoked; create a new one.");
  }
  rotated.secret = base::Secret(MintSecret(rotated.key.type, rotated.key.environment));
  rotated.key.prefix = rotated.secret.Reveal().substr(0, kPrefixChars);
  {
    // Dead secrets go; live ones retire after the grace (or keep an earlier end).
    TENANTD_TRY(storage::Statement st,
                db.Prepare("DELETE FROM api_key_secrets WHERE key_id = ? AND expires_at <= ?"));
    st.Bind(1, rotated.key.id).Bind(2, now_text);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE api_key_secrets SET expires_at = ?"
                           " WHERE key_id = ? AND (expires_at IS NULL OR expires_at > ?)"));
    st.Bind(1, retire_at).Bind(2, rotated.key.id).Bind(3, retire_at);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("INSERT INTO api_key_secrets (secret_hash, key_id, created_at)"
                           " VALUES (?, ?, ?)"));
    st.Bind(1, ApiKeySecretHash(rotated.secret.Reveal())).Bind(2, rotated.key.id).Bind(3, now_text);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  {
    TENANTD_TRY(storage::Statement st, db.Prepare("UPDATE api_keys SET prefix = ? WHERE id = ?"));
    st.Bind(1, rotated.key.prefix).Bind(2, rotated.key.id);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return rotated;
}

base::Result<ApiKey> ControlStore::RevokeApiKey(std::string_view tenant_id,
                                                std::string_view key_id) {
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<ApiKey> found, LoadKey(db, tenant_id, key_id));
  if (!found) return NoSuchKey();
  ApiKey key = std::move(*found);
  if (key.revoked_at) return key;
  key.revoked_at = Now();
  {
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?"));
    st.Bind(1, base::FormatRfc3339(*key.revoked_at)).Bind(2, key.id);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  impl_->Changed();
  return key;
}

base::Status ControlStore::RecordApiKeyUse(
    const std::vector<std::pair<std::string, base::TimePoint>>& uses) {
  if (uses.empty()) return {};
  std::lock_guard lock(impl_->mu);
  storage::Database& db = *impl_->db;
  TENANTD_TRY(storage::Transaction tx, db.Begin());
  for (const auto& [key_id, at] : uses) {
    const std::string text = base::FormatRfc3339(at);
    TENANTD_TRY(storage::Statement st,
                db.Prepare("UPDATE api_keys SET last_used_at = ?"
                           " WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)"));
    st.Bind(1, text).Bind(2, key_id).Bind(3, text);
    TENANTD_RETURN_IF_ERROR(st.Step());
  }
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  return {};
}

}  // namespace tenantd::control
