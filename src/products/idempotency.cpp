#include "products/idempotency.h"

namespace tenantd::products {
namespace {

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

base::Result<std::optional<StoredAnswer>> FindStoredAnswer(storage::sqlite::Connection& db,
                                                           const IdempotencyKey& key,
                                                           base::TimePoint now) {
  TENANTD_TRY(storage::sqlite::Statement st,
              db.Prepare("SELECT request_sha256, status, location, body FROM idempotency_keys"
                         " WHERE key = ? AND route = ? AND created_at > ?"));
  st.Bind(1, key.key).Bind(2, key.route).Bind(3, WindowStart(now));
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<StoredAnswer>();
  if (st.ColumnText(0) != key.request_sha256) {
    // Replaying would answer a request the client did not send; creating
    // would break the promise the key made for the first one.
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "idempotency_key_reused",
                           "This Idempotency-Key was used with a different request body; "
                           "use a new key for a new request.");
  }
  StoredAnswer answer;
  answer.status = static_cast<int>(st.ColumnInt64(1));
  answer.location = st.ColumnText(2);
  answer.body = st.ColumnText(3);
  return std::optional<StoredAnswer>(std::move(answer));
}

base::Status StoreAnswer(storage::sqlite::Connection& db, const IdempotencyKey& key,
                         const StoredAnswer& answer, base::TimePoint now) {
  {
    // Also removes an expired row of this very key, which FindStoredAnswer
    // ignored, so the insert below cannot collide with it.
    TENANTD_TRY(storage::sqlite::Statement prune,
                db.Prepare("DELETE FROM idempotency_keys WHERE created_at <= ?"));
    prune.Bind(1, WindowStart(now));
    TENANTD_RETURN_IF_ERROR(prune.Step());
  }
  TENANTD_TRY(storage::sqlite::Statement st,
              db.Prepare("INSERT INTO idempotency_keys"
                         " (key, route, request_sha256, status, location, body, created_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, key.key).Bind(2, key.route).Bind(3, key.request_sha256).Bind(4, answer.status);
  if (answer.location.empty()) {
    st.Bind(5, std::nullopt);
  } else {
    st.Bind(5, answer.location);
  }
  st.Bind(6, answer.body).Bind(7, UnixSeconds(now));
  TENANTD_RETURN_IF_ERROR(st.Step());
  return {};
}

}  // namespace tenantd::products
