#include "control/email_outbox.h"

#include <algorithm>
#include <tuple>

#include "control/control_store_impl.h"

namespace tenantd::control {
namespace {

constexpr int kMaxListLimit = 500;

constexpr std::string_view kColumns =
    "id, kind, to_address, message_id, status, attempts, last_error, created_at,"
    " next_attempt_at, sent_at";
constexpr int kColumnCount = 10;

base::Error Corrupt(const std::string& id) {
  return base::Internal("control store: corrupt email_outbox row " + id);
}

base::Result<OutboxEntry> ReadEntry(const storage::Row& row) {
  OutboxEntry e;
  e.id = row.Text(0);
  e.kind = row.Text(1);
  e.to = row.Text(2);
  e.message_id = row.Text(3);
  const std::optional<EmailStatus> status = ParseEmailStatus(row.Text(4));
  if (!status) return Corrupt(e.id);
  e.status = *status;
  e.attempts = static_cast<int>(row.Int64(5));
  e.last_error = row.OptionalText(6);
  const std::optional<base::TimePoint> created = base::ParseRfc3339(row.Text(7));
  const std::optional<base::TimePoint> next = base::ParseRfc3339(row.Text(8));
  if (!created || !next) return Corrupt(e.id);
  e.created_at = *created;
  e.next_attempt_at = *next;
  TENANTD_TRY(e.sent_at, ColumnOptionalTime(row, 9));
  return e;
}

}  // namespace

std::string_view ToString(EmailStatus s) {
  switch (s) {
    case EmailStatus::kPending:
      return "pending";
    case EmailStatus::kSent:
      return "sent";
    case EmailStatus::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<EmailStatus> ParseEmailStatus(std::string_view s) {
  if (s == "pending") return EmailStatus::kPending;
  if (s == "sent") return EmailStatus::kSent;
  if (s == "failed") return EmailStatus::kFailed;
  return std::nullopt;
}

EmailOutbox::EmailOutbox(ControlStore& store) : db_(store.database()) {}

EmailOutbox::AsyncStatus EmailOutbox::Enqueue(const NewOutboxEmail& e) {
  const std::string at = base::FormatRfc3339(e.created_at);
  co_return co_await db_.Exec(
      "INSERT INTO email_outbox (id, kind, to_address, message_id, body_sealed, status, attempts,"
      " next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
      e.id, e.kind, e.to, e.message_id, e.body_sealed, at);
}

EmailOutbox::Async<std::vector<ClaimedEmail>> EmailOutbox::Claim(base::TimePoint now,
                                                                 std::chrono::milliseconds lease,
                                                                 int limit) {
  const std::string at = base::FormatRfc3339(now);
  const base::TimePoint until_time = now + lease;
  const std::string until = base::FormatRfc3339(until_time);
  // One statement, so one claim is atomic on either engine. SQLite runs it
  // under the database's write lock. On PostgreSQL SKIP LOCKED lets
  // couriers of other nodes pass over the rows this one is claiming, and
  // the outer WHERE is checked again against a row's latest version (read
  // committed re-evaluates it after the lock), so a row another node
  // claimed meanwhile is not taken twice. The choice is a MATERIALIZED CTE,
  // not an IN (subquery): PostgreSQL may run such a subquery again for
  // each row, and SKIP LOCKED then skips the rows this very statement has
  // just updated and returns the next ones, past the LIMIT (a test saw 5
  // claimed for a limit of 3). Timestamps are fixed-width RFC 3339 text
  // (COLLATE "C" on PostgreSQL): text order is time order.
  const bool postgres = db_.engine() == storage::Engine::kPostgres;
  const std::string due =
      "status = 'pending' AND next_attempt_at <= $1"
      " AND (claimed_until IS NULL OR claimed_until <= $1)";
  const std::string sql = std::string("WITH due AS") + (postgres ? " MATERIALIZED" : "") +
                          " (SELECT id FROM email_outbox WHERE " + due +
                          " ORDER BY next_attempt_at, id LIMIT $3" +
                          (postgres ? " FOR UPDATE SKIP LOCKED" : "") +
                          ") UPDATE email_outbox SET claimed_until = $2"
                          " WHERE id IN (SELECT id FROM due) AND " +
                          due + " RETURNING " + std::string(kColumns) + ", body_sealed";
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query(sql, at, until, static_cast<int64_t>(std::max(limit, 1))));
  std::vector<ClaimedEmail> claimed;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(OutboxEntry entry, ReadEntry(row));
    claimed.push_back({std::move(entry), row.OptionalText(kColumnCount).value_or(""), until_time});
  }
  // RETURNING follows no ORDER BY: oldest due first, as promised.
  std::sort(claimed.begin(), claimed.end(), [](const ClaimedEmail& a, const ClaimedEmail& b) {
    return std::tie(a.entry.next_attempt_at, a.entry.id) <
           std::tie(b.entry.next_attempt_at, b.entry.id);
  });
  co_return claimed;
}

EmailOutbox::Async<bool> EmailOutbox::MarkSent(std::string_view id, base::TimePoint now) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query("UPDATE email_outbox SET status = 'sent', sent_at = $1,"
                                    " body_sealed = NULL, claimed_until = NULL, last_error = NULL"
                                    " WHERE id = $2 AND status = 'pending' RETURNING id",
                                    base::FormatRfc3339(now), id));
  co_return !rows.empty();
}

EmailOutbox::Async<bool> EmailOutbox::Retry(std::string_view id, base::TimePoint claimed_until,
                                            base::TimePoint next_attempt_at,
                                            std::string_view error) {
  TENANTD_CO_TRY(
      storage::Rows rows,
      co_await db_.Query("UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $1,"
                         " last_error = $2, claimed_until = NULL"
                         " WHERE id = $3 AND status = 'pending' AND claimed_until = $4"
                         " RETURNING id",
                         base::FormatRfc3339(next_attempt_at), error, id,
                         base::FormatRfc3339(claimed_until)));
  co_return !rows.empty();
}

EmailOutbox::Async<bool> EmailOutbox::MarkFailed(std::string_view id, base::TimePoint claimed_until,
                                                 std::string_view error) {
  TENANTD_CO_TRY(
      storage::Rows rows,
      co_await db_.Query("UPDATE email_outbox SET status = 'failed', attempts = attempts + 1,"
                         " last_error = $1, body_sealed = NULL, claimed_until = NULL"
                         " WHERE id = $2 AND status = 'pending' AND claimed_until = $3"
                         " RETURNING id",
                         error, id, base::FormatRfc3339(claimed_until)));
  co_return !rows.empty();
}

EmailOutbox::Async<OutboxPage> EmailOutbox::List(const OutboxListQuery& q) {
  const int limit = std::clamp(q.limit, 1, kMaxListLimit);
  std::string sql = "SELECT " + std::string(kColumns) + " FROM email_outbox WHERE id > $1";
  storage::Params params = storage::MakeParams(q.after, static_cast<int64_t>(limit + 1));
  if (q.status) {
    sql += " AND status = $3";
    params.push_back(std::string(ToString(*q.status)));
  }
  sql += " ORDER BY id LIMIT $2";
  TENANTD_CO_TRY(storage::Rows rows, co_await db_.Query(sql, std::move(params)));
  OutboxPage page;
  for (const storage::Row& row : rows.rows) {
    TENANTD_CO_TRY(OutboxEntry e, ReadEntry(row));
    page.items.push_back(std::move(e));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

EmailOutbox::Async<std::optional<OutboxEntry>> EmailOutbox::Find(std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows,
                 co_await db_.Query(
                     "SELECT " + std::string(kColumns) + " FROM email_outbox WHERE id = $1", id));
  if (rows.empty()) co_return std::optional<OutboxEntry>();
  TENANTD_CO_TRY(OutboxEntry e, ReadEntry(rows.front()));
  co_return std::optional<OutboxEntry>(std::move(e));
}

}  // namespace tenantd::control
