#include "products/idempotency.h"

namespace tenantd::products {
namespace {

using boost::asio::awaitable;

// created_at is Unix seconds: the window is a day, and an integer column
// keeps the pruning delete a plain range scan of its index.
int64_t UnixSeconds(base::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Keys stored at or before this are outside the window.
int64_t WindowStart(base::TimePoint now) { return UnixSeconds(now - kReplayWindow); }

}  // namespace

bool IsValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kIdempotencyKeyMaxChars) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

awaitable<base::Result<std::optional<StoredAnswer>>> FindStoredAnswer(storage::Transaction& tx,
                                                                      const IdempotencyKey& key,
                                                                      base::TimePoint now) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await tx.Query("SELECT request_sha256, status, location, body"
                                   " FROM idempotency_keys"
                                   " WHERE key = $1 AND route = $2 AND created_at > $3",
                                   key.key, key.route, WindowStart(now)));
  if (rows.empty()) co_return std::optional<StoredAnswer>();
  const storage::Row& row = rows.front();
  if (row.Text(0) != key.request_sha256) {
    // Replaying would answer a request the client did not send; creating
    // would break the promise the key made for the first one.
    co_return base::MakeError(base::ErrorCode::kFailedPrecondition, "idempotency_key_reused",
                              "This Idempotency-Key was used with a different request body; "
                              "use a new key for a new request.");
  }
  StoredAnswer answer;
  answer.status = static_cast<int>(row.Int64(1));
  answer.location = row.Text(2);
  answer.body = row.Text(3);
  co_return std::optional<StoredAnswer>(std::move(answer));
}

awaitable<base::Status> StoreAnswer(storage::Transaction& tx, const IdempotencyKey& key,
                                    const StoredAnswer& answer, base::TimePoint now) {
  // Also removes an expired row of this very key, which FindStoredAnswer
  // ignored, so the insert below cannot collide with it.
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx.Exec("DELETE FROM idempotency_keys WHERE created_at <= $1", WindowStart(now)));
  std::optional<std::string_view> location;
  if (!answer.location.empty()) location = answer.location;
  TENANTD_CO_RETURN_IF_ERROR(
      co_await tx.Exec("INSERT INTO idempotency_keys"
                       " (key, route, request_sha256, status, location, body, created_at)"
                       " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       key.key, key.route, key.request_sha256, answer.status, location, answer.body,
                       UnixSeconds(now)));
  co_return storage::Ok();
}

}  // namespace tenantd::products
