// Idempotency keys (api.md §5): the first successful answer to a request
// sent with `Idempotency-Key`, kept in the tenant's database (table
// `idempotency_keys`, migration 0002) and given again when the same key
// comes back with the same body within kReplayWindow.
//
// The table is keyed by (key, route), so one key may serve several routes;
// keys are per tenant because the table lives in the tenant's database.
// Both functions run inside the caller's transaction (a tenant's, from
// tenant_db::TenantData), which also holds the write the answer describes:
// the check, the write and the record commit or vanish together.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "storage/database.h"

namespace tenantd::products {

// How long a stored answer is replayed; older keys are ignored and pruned.
inline constexpr std::chrono::hours kReplayWindow{24};
inline constexpr std::size_t kIdempotencyKeyMaxChars = 255;

// 1-255 printable ASCII characters (0x21-0x7E), the rule of the other
// client-chosen tokens (X-Request-Id, X-Nonce).
bool IsValidIdempotencyKey(std::string_view key);

struct IdempotencyKey {
  std::string key;             // as sent; IsValidIdempotencyKey
  std::string route;           // e.g. "POST /v1/products"
  std::string request_sha256;  // lowercase hex SHA-256 of the raw body
};

// An answer as it is replayed.
struct StoredAnswer {
  int status = 0;
  std::string location;  // "" = none
  std::string body;
};

// The answer stored for `key` less than kReplayWindow before `now`, or
// nullopt. kFailedPrecondition "idempotency_key_reused" when that answer
// was for a different body.
boost::asio::awaitable<base::Result<std::optional<StoredAnswer>>> FindStoredAnswer(
    storage::Transaction& tx, const IdempotencyKey& key, base::TimePoint now);

// Records `answer` for `key` at `now`, first deleting every key that has
// left the replay window (an indexed range delete, so the table stays as
// small as one day's keys without a separate sweeper).
boost::asio::awaitable<base::Status> StoreAnswer(storage::Transaction& tx,
                                                 const IdempotencyKey& key,
                                                 const StoredAnswer& answer, base::TimePoint now);

}  // namespace tenantd::products
