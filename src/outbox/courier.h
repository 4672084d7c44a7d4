// Delivers what the Outbox queued (api.md §11 "Email"): one Courier per
// process, on a thread of its own, so SMTP never runs on an event loop.
//
// Each pass claims the due messages with a lease (several nodes never send
// one message at the same time), opens each sealed body, hands it to the
// Transport and records the outcome:
//   kSent    sent; the body is dropped.
//   kRetry   due again after a backoff (first_retry, doubling, at most
//            max_retry), until give_up_after since it was queued: failed.
//   kFailed  failed at once (SMTP 5xx, an invalid message), with the reason.
// A courier that dies mid-send leaves its messages leased; once the lease
// runs out another courier sends them, with the same Message-ID and bytes
// (at least once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/error.h"
#include "control/control_store.h"
#include "control/email_outbox.h"
#include "crypto/secret_box.h"
#include "mail/transport.h"

namespace tenantd::logging {
class Logger;
}

namespace tenantd::outbox {

struct CourierOptions {
  // How long a claimed message is this courier's alone: longer than one
  // batch of sends may take (batch × send_timeout).
  std::chrono::milliseconds lease = std::chrono::minutes(2);
  // How long one send may take (the SMTP transport's timeout). A message
  // whose lease ends sooner than that is left for the next claim rather
  // than sent while another courier may take it over.
  std::chrono::milliseconds send_timeout = std::chrono::seconds(30);
  // Between passes when nothing wakes the courier: how soon other nodes'
  // messages, retries and expired leases are seen. Real time.
  std::chrono::milliseconds poll_interval = std::chrono::seconds(5);
  std::chrono::milliseconds first_retry = std::chrono::seconds(30);
  std::chrono::milliseconds max_retry = std::chrono::hours(1);
  std::chrono::milliseconds give_up_after = std::chrono::hours(24);
  // Messages claimed at once: few, so that a batch of sends that all run
  // into the timeout still ends within the lease (3 × 30 s < 2 min).
  int batch = 3;
  // What "now" is for due times, leases and backoff (tests move it).
  const base::Clock* clock = &base::SystemClock();
  logging::Logger* log = nullptr;  // nullptr: no log lines
};

// What one pass did.
struct PassResult {
  int claimed = 0;
  int sent = 0;
  int retried = 0;
  int failed = 0;
};

class Courier {
 public:
  // `store`, `box` and `transport` must outlive this.
  Courier(control::ControlStore& store, const crypto::SecretBox& box, mail::Transport& transport,
          CourierOptions options = {});
  ~Courier();  // Stop()
  Courier(const Courier&) = delete;
  Courier& operator=(const Courier&) = delete;

  // Starts the courier's thread: a pass at once, then after every Wake()
  // and every poll_interval. Call once.
  void Start();
  // Ends the thread after the pass under way (sends in flight complete,
  // within the transport's timeout). Idempotent.
  void Stop();
  // Asks for a pass now (a message was queued). Thread-safe, never blocks.
  void Wake();

  // One pass on the calling thread, which must not be an event loop (it
  // blocks on the store and the transport): claims and delivers batches
  // until nothing is due. Tests call it directly instead of Start().
  // Errors only for a store that fails; delivery failures are recorded.
  base::Result<PassResult> RunOnce();

 private:
  void Loop();
  // Delivers one claimed message and records what happened.
  base::Status Deliver(const control::ClaimedEmail& claimed, PassResult& result);
  void Info(const std::string& line) const;
  void Warn(const std::string& line) const;

  control::EmailOutbox records_;
  const crypto::SecretBox& box_;
  mail::Transport& transport_;
  const CourierOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tenantd::outbox
