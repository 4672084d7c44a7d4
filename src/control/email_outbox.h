// The email outbox in the control store (api.md §11 "Email"): messages
// waiting to be delivered, delivered, or given up on. Records only: what is
// sent, when, and how a body is sealed live in src/outbox/.
//
// Several couriers (one per node) may work on one store: Claim hands each
// due message to one of them for a lease, and the calls that end an attempt
// (Retry, MarkFailed) only apply while that lease is the message's current
// one, so a courier whose lease ran out cannot undo another's work. Every
// call is awaitable and thread-safe, on either engine. Times are passed in
// (the caller's injected clock), never read here.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "control/control_store.h"

namespace tenantd::control {

enum class EmailStatus { kPending, kSent, kFailed };
std::string_view ToString(EmailStatus s);  // "pending" | "sent" | "failed"
std::optional<EmailStatus> ParseEmailStatus(std::string_view s);

// An outbox entry without its body: what lists and logs may show.
struct OutboxEntry {
  std::string id;          // "eml_" + ULID
  std::string kind;        // "verification", "password_reset", "invite", "signup_attempt", …
  std::string to;          // the To value of the message
  std::string message_id;  // "<…@…>", the same on every attempt
  EmailStatus status = EmailStatus::kPending;
  int attempts = 0;  // deliveries tried and not completed
  std::optional<std::string> last_error;
  base::TimePoint created_at;
  base::TimePoint next_attempt_at;
  std::optional<base::TimePoint> sent_at;
};

struct NewOutboxEmail {
  std::string id;  // minted by the caller: the sealed body is bound to it
  std::string kind;
  std::string to;
  std::string message_id;
  std::string body_sealed;     // never stored in the clear
  base::TimePoint created_at;  // also the first next_attempt_at
};

// A message handed to one courier until `claimed_until`.
struct ClaimedEmail {
  OutboxEntry entry;
  std::string body_sealed;
  // The lease: pass it back to Retry / MarkFailed.
  base::TimePoint claimed_until;
};

struct OutboxListQuery {
  std::optional<EmailStatus> status;  // nullopt = every status
  std::string after;                  // cursor: entries with a greater id ("" = from the start)
  int limit = 50;                     // clamped to 1..500
};

struct OutboxPage {
  std::vector<OutboxEntry> items;  // by id (= creation order)
  std::optional<std::string> next_cursor;
};

class EmailOutbox {
 public:
  template <class T>
  using Async = boost::asio::awaitable<base::Result<T>>;
  using AsyncStatus = boost::asio::awaitable<base::Status>;

  // `store` must outlive this.
  explicit EmailOutbox(ControlStore& store);

  // Stores a pending message, due at once. kAlreadyExists for a taken id.
  AsyncStatus Enqueue(const NewOutboxEmail& email);

  // Atomically leases up to `limit` pending messages due at `now` (whose
  // next_attempt_at has come and which no lease holds, or whose lease ran
  // out) until now + `lease`, oldest due first. Two callers never get the
  // same message while its lease runs, whichever process they are in
  // (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one write transaction).
  Async<std::vector<ClaimedEmail>> Claim(base::TimePoint now, std::chrono::milliseconds lease,
                                         int limit);

  // Records the delivery and drops the body. False when the message was no
  // longer pending (another courier recorded it first). A lease is not
  // required: a message that went out is sent whoever held it.
  Async<bool> MarkSent(std::string_view id, base::TimePoint now);
  // Counts a failed attempt and makes the message due again at
  // `next_attempt_at`, releasing the lease. False when `claimed_until` is
  // no longer the message's lease (another courier took it over) or the
  // message is no longer pending.
  Async<bool> Retry(std::string_view id, base::TimePoint claimed_until,
                    base::TimePoint next_attempt_at, std::string_view error);
  // Gives up: status failed, the attempt counted, `error` kept, the body
  // dropped. False as for Retry.
  Async<bool> MarkFailed(std::string_view id, base::TimePoint claimed_until,
                         std::string_view error);

  Async<OutboxPage> List(const OutboxListQuery& q);
  Async<std::optional<OutboxEntry>> Find(std::string_view id);

 private:
  storage::Database& db_;
};

}  // namespace tenantd::control
