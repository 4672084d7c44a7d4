#include "outbox/courier.h"

#include <algorithm>

#include "logging/logger.h"
#include "outbox/sealed_message.h"
#include "storage/run_to_completion.h"

namespace tenantd::outbox {
namespace {

using std::chrono::milliseconds;

// A pass stops after this many batches even if more keep coming due, so
// Stop() is never held up for long by a flood.
constexpr int kMaxBatchesPerPass = 300;

// The wait before attempt `attempts` + 1, `attempts` failed so far (>= 1):
// first, 2 × first, 4 × first, … at most max.
milliseconds Backoff(int attempts, milliseconds first, milliseconds max) {
  milliseconds delay = first;
  for (int i = 1; i < attempts && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

std::string DescribeEntry(const control::OutboxEntry& e) {
  return "email " + e.id + " (" + e.kind + ", " + e.message_id + ")";
}

}  // namespace

Courier::Courier(control::ControlStore& store, const crypto::SecretBox& box,
                 mail::Transport& transport, CourierOptions options)
    : records_(store), box_(box), transport_(transport), options_(std::move(options)) {}

Courier::~Courier() { Stop(); }

void Courier::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Courier::Stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Courier::Wake() {
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void Courier::Loop() {
  for (;;) {
    if (auto pass = RunOnce(); !pass) {
      Warn("email outbox: " + pass.error().public_message + " " + pass.error().log_detail);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return woken_ || stopping_; });
    if (stopping_) return;
    woken_ = false;
  }
}

base::Result<PassResult> Courier::RunOnce() {
  PassResult result;
  for (int batch = 0; batch < kMaxBatchesPerPass; ++batch) {
    TENANTD_TRY(std::vector<control::ClaimedEmail> claimed,
                storage::RunToCompletion(
                    records_.Claim(options_.clock->Now(), options_.lease, options_.batch)));
    if (claimed.empty()) break;
    result.claimed += static_cast<int>(claimed.size());
    for (const control::ClaimedEmail& c : claimed) {
      {
        const std::lock_guard lock(mutex_);
        // The rest stay leased until the lease runs out, then go to the
        // next pass (here or on another node).
        if (stopping_) return result;
      }
      // Slow sends before it ate the lease: sending now could overlap with
      // another courier that takes the message over. It is claimed again
      // once the lease has run out.
      if (options_.clock->Now() + options_.send_timeout >= c.claimed_until) continue;
      TENANTD_RETURN_IF_ERROR(Deliver(c, result));
    }
  }
  return result;
}

base::Status Courier::Deliver(const control::ClaimedEmail& c, PassResult& result) {
  const control::OutboxEntry& e = c.entry;
  mail::Delivery delivery;
  if (base::Result<mail::Message> message = OpenMessage(box_, e.id, c.body_sealed); !message) {
    // Another master key, or a damaged row: no later attempt can do better.
    delivery = {mail::Outcome::kFailed, "the sealed body cannot be opened (another master key?)"};
  } else {
    delivery = transport_.Send(*message);
  }
  // Read after the send, which may have taken a while.
  const base::TimePoint now = options_.clock->Now();
  const base::TimePoint give_up = e.created_at + options_.give_up_after;

  bool recorded = false;
  switch (delivery.outcome) {
    case mail::Outcome::kSent: {
      TENANTD_TRY(recorded, storage::RunToCompletion(records_.MarkSent(e.id, now)));
      ++result.sent;
      Info(DescribeEntry(e) + " sent: " + delivery.detail);
      return {};
    }
    case mail::Outcome::kRetry:
      if (now < give_up) {
        const base::TimePoint next = std::min(
            now + Backoff(e.attempts + 1, options_.first_retry, options_.max_retry), give_up);
        TENANTD_TRY(recorded, storage::RunToCompletion(
                                  records_.Retry(e.id, c.claimed_until, next, delivery.detail)));
        ++result.retried;
        Warn(DescribeEntry(e) + " not sent (attempt " + std::to_string(e.attempts + 1) +
             "), trying again at " + base::FormatRfc3339(next) + ": " + delivery.detail);
        break;
      }
      delivery.detail =
          "gave up retrying after " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::hours>(options_.give_up_after).count()) +
          " h: " + delivery.detail;
      [[fallthrough]];
    case mail::Outcome::kFailed:
      TENANTD_TRY(recorded, storage::RunToCompletion(
                                records_.MarkFailed(e.id, c.claimed_until, delivery.detail)));
      ++result.failed;
      Warn(DescribeEntry(e) + " failed: " + delivery.detail);
      break;
  }
  if (!recorded) {
    Warn(DescribeEntry(e) +
         ": its lease ran out before the outcome was recorded;"
         " another courier has it now");
  }
  return {};
}

void Courier::Info(const std::string& line) const {
  if (options_.log != nullptr) options_.log->Info(line);
}

void Courier::Warn(const std::string& line) const {
  if (options_.log != nullptr) options_.log->Warn(line);
}

}  // namespace tenantd::outbox
