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
constexpr std::array<std::string_view, 6> kResources = {"billing", "files",    "keys",
                                                        "members", "products", "sessions"};
constexpr std::size_t kPrefixChars = 12;
constexpr std::size_t kMaxScopes = 32;
constexpr int kMaxListLimit = 500;
constexpr std::size_t kSecretIdChars = 16;  // 64 bits of the keyed hash

constexpr std::string_view kKeyColumns =
    "k.id, k.tenant_id, k.name, k.type, k.environment, k.scopes, k.prefix, k.created_at,"
    " k.expires_at, k.revoked_at, k.last_used_at";

// "sk_live_" + 43 base62 characters: 256 random bits, as api.md asks for
// (at least 32 random bytes).
std::string MintSecret(std::string_view type, std::string_view environment) {
  std::string secret = type == "restricted" ? "rk_" : "sk_";
  secret += environment;
  secret += '_';
  secret += crypto::RandomBase62(kAppSecretChars);
  return secret;
}

base::Result<ApiKey> ReadKey(const storage::Row& row) {
  ApiKey k;
  k.id = row.Text(0);
  k.tenant_id = row.Text(1);
  k.name = row.Text(2);
  k.type = row.Text(3);
  k.environment = row.Text(4);
  k.scopes = SplitScopes(row.Text(5));
  k.prefix = row.Text(6);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(7));
  if (!created) return base::Internal("control store: corrupt api key row " + k.id);
  k.created_at = *created;
  TENANTD_TRY(k.expires_at, ColumnOptionalTime(row, 8));
  TENANTD_TRY(k.revoked_at, ColumnOptionalTime(row, 9));
  TENANTD_TRY(k.last_used_at, ColumnOptionalTime(row, 10));
  return k;
}

base::Result<std::optional<ApiKey>> FirstKey(const storage::Rows& rows) {
  if (rows.empty()) return std::optional<ApiKey>();
  TENANTD_TRY(ApiKey k, ReadKey(rows.front()));
  return std::optional<ApiKey>(std::move(k));
}

std::string KeyQuery(std::string_view suffix) {
  return "SELECT " + std::string(kKeyColumns) +
         " FROM api_keys k WHERE k.id = $1 AND k.tenant_id = $2" + std::string(suffix);
}

// SecretLifetime::id of the secret with this stored hash.
std::string SecretId(std::string_view secret_hash) {
  return std::string(secret_hash.substr(0, kSecretIdChars));
}

base::Error NoSuchKey() { return base::NotFound("No such API key."); }

}  // namespace

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
                                        "\"; scopes are <resource>:<read|write> of billing, "
                                        "files, keys, members, products, sessions."});
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

Async<CreatedApiKey> ControlStore::CreateApiKey(const NewApiKey& k) {
  const base::TimePoint now = Now();
  if (auto errors = ValidateNewApiKey(k, now); !errors.empty()) {
    co_return base::ValidationFailed(std::move(errors));
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

  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "INSERT INTO api_keys (id, tenant_id, name, type, environment, scopes, prefix,"
      " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      key.id, key.tenant_id, key.name, key.type, key.environment, JoinScopes(key.scopes),
      key.prefix, now_text, FormatOptional(key.expires_at)));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "INSERT INTO api_key_secrets (secret_hash, key_id, created_at) VALUES ($1, $2, $3)", hash,
      key.id, now_text));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  // A new key invalidates nothing a cache holds (no negative caching).
  co_return created;
}

Async<ApiKeyPage> ControlStore::ListApiKeys(std::string_view tenant_id, std::string_view after,
                                            int limit) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query("SELECT " + std::string(kKeyColumns) +
                                               " FROM api_keys k WHERE k.tenant_id = $1"
                                               " AND k.id > $2 ORDER BY k.id LIMIT $3",
                                           tenant_id, after, limit + 1));
  ApiKeyPage page;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(ApiKey k, ReadKey(row));
    page.items.push_back(std::move(k));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

Async<std::optional<ApiKey>> ControlStore::FindApiKey(std::string_view tenant_id,
                                                      std::string_view key_id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await impl_->db->Query(KeyQuery(""), key_id, tenant_id));
  co_return FirstKey(rows);
}

Async<std::optional<ApiKeyWithSecrets>> ControlStore::FindApiKeyWithSecrets(
    std::string_view tenant_id, std::string_view key_id) {
  TENANTD_CO_TRY(std::optional<ApiKey> key, co_await FindApiKey(tenant_id, key_id));
  if (!key) co_return std::optional<ApiKeyWithSecrets>();
  ApiKeyWithSecrets found{std::move(*key), {}};
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await impl_->db->Query("SELECT secret_hash, expires_at FROM api_key_secrets"
                                           " WHERE key_id = $1",
                                           key_id));
  for (const storage::Row& row : rows.rows) {
    SecretLifetime secret;
    secret.id = SecretId(row.Text(0));
    TENANTD_CO_TRY(secret.expires_at, ColumnOptionalTime(row, 1));
    found.secrets.push_back(std::move(secret));
  }
  co_return std::optional<ApiKeyWithSecrets>(std::move(found));
}

Async<std::optional<ApiKeyMatch>> ControlStore::FindApiKeyBySecretHash(
    std::string_view secret_hash) {
  TENANTD_CO_TRY(storage::Rows rows, co_await impl_->db->Query(
                                         "SELECT " + std::string(kKeyColumns) +
                                             ", s.expires_at, s.secret_hash FROM api_key_secrets s"
                                             " JOIN api_keys k ON k.id = s.key_id"
                                             " WHERE s.secret_hash = $1",
                                         secret_hash));
  if (rows.empty()) co_return std::optional<ApiKeyMatch>();
  ApiKeyMatch match;
  TENANTD_CO_TRY(match.key, ReadKey(rows.front()));
  TENANTD_CO_TRY(match.secret_expires_at, ColumnOptionalTime(rows.front(), 11));
  match.secret_id = SecretId(rows.front().Text(12));
  co_return std::optional<ApiKeyMatch>(std::move(match));
}

Async<CreatedApiKey> ControlStore::RotateApiKey(std::string_view tenant_id, std::string_view key_id,
                                                std::chrono::seconds grace) {
  const base::TimePoint now = Now();
  const std::string now_text = base::FormatRfc3339(now);
  const std::string retire_at = base::FormatRfc3339(now + grace);

  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(storage::Rows found,
                 co_await tx->Query(KeyQuery(ForUpdate(*tx)), key_id, tenant_id));
  TENANTD_CO_TRY(std::optional<ApiKey> key, FirstKey(found));
  if (!key) co_return NoSuchKey();
  CreatedApiKey rotated;
  rotated.key = std::move(*key);
  if (rotated.key.revoked_at) {
    co_return base::MakeError(base::ErrorCode::kFailedPrecondition, "key_revoked",
                              "The key is revoked; create a new one.");
  }
  rotated.secret = base::Secret(MintSecret(rotated.key.type, rotated.key.environment));
  rotated.key.prefix = rotated.secret.Reveal().substr(0, kPrefixChars);
  // Dead secrets go; live ones retire after the grace (or keep an earlier end).
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx->Exec("DELETE FROM api_key_secrets WHERE key_id = $1 AND expires_at <= $2",
                        rotated.key.id, now_text));
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx->Exec("UPDATE api_key_secrets SET expires_at = $1"
                        " WHERE key_id = $2 AND (expires_at IS NULL OR expires_at > $1)",
                        retire_at, rotated.key.id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec(
      "INSERT INTO api_key_secrets (secret_hash, key_id, created_at) VALUES ($1, $2, $3)",
      ApiKeySecretHash(rotated.secret.Reveal()), rotated.key.id, now_text));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec("UPDATE api_keys SET prefix = $1 WHERE id = $2",
                                               rotated.key.prefix, rotated.key.id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(rotated.key.tenant_id);
  co_return rotated;
}

Async<ApiKey> ControlStore::RevokeApiKey(std::string_view tenant_id, std::string_view key_id) {
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  TENANTD_CO_TRY(storage::Rows found,
                 co_await tx->Query(KeyQuery(ForUpdate(*tx)), key_id, tenant_id));
  TENANTD_CO_TRY(std::optional<ApiKey> key, FirstKey(found));
  if (!key) co_return NoSuchKey();
  if (key->revoked_at) co_return std::move(*key);
  key->revoked_at = Now();
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Exec("UPDATE api_keys SET revoked_at = $1 WHERE id = $2",
                                               base::FormatRfc3339(*key->revoked_at), key->id));
  TENANTD_CO_RETURN_IF_ERROR(co_await tx->Commit());
  impl_->Changed(key->tenant_id);
  co_return std::move(*key);
}

AsyncStatus ControlStore::RecordApiKeyUse(
    std::vector<std::pair<std::string, base::TimePoint>> uses) {
  if (uses.empty()) co_return storage::Ok();
  TENANTD_CO_TRY(std::unique_ptr<storage::Transaction> tx, co_await impl_->db->Begin());
  for (const auto& [key_id, at] : uses) {
    TENANTD_CO_RETURN_IF_ERROR(
        co_await tx->Exec("UPDATE api_keys SET last_used_at = $1"
                          " WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                          base::FormatRfc3339(at), key_id));
  }
  co_return co_await tx->Commit();
}

}  // namespace tenantd::control
