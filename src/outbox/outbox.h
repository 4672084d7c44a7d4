// The durable email outbox (api.md §11 "Email"): request handlers queue a
// message in the control store, and a Courier (courier.h) delivers it,
// retrying for a day, at least once, always as the same message.
//
//   auto queued = co_await outbox.Enqueue("verification", message);
//
// The message's body carries tokens, so it is stored only sealed under the
// master key and dropped once sent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "control/control_store.h"
#include "control/email_outbox.h"
#include "crypto/secret_box.h"
#include "mail/message.h"

namespace tenantd::outbox {

struct OutboxOptions {
  // TENANTD_MAIL_FROM: the From of messages that name none, e.g.
  // "tenantd <no-reply@example.com>". Its domain ends every Message-ID.
  std::string from = "tenantd <no-reply@localhost>";
  // Dates and the due time of new messages.
  const base::Clock* clock = &base::SystemClock();
  // Where links in emails point (config::AuthLinkBase): build them with
  // AuthLink(outbox.link_base(), "verify", token) (auth_link.h).
  std::string link_base = "http://localhost:8080";
};

// Thread-safe; every call may come from any event-loop thread.
class Outbox {
 public:
  // `store` and `box` (the master key's) must outlive this.
  Outbox(control::ControlStore& store, const crypto::SecretBox& box, OutboxOptions options);

  // Queues `message` for delivery and returns its outbox id ("eml_…").
  // `kind` names what it is for the admin list: "verification",
  // "password_reset", "invite", "signup_attempt".
  //
  // Fills in what the caller leaves empty: `from` (the configured one),
  // `message_id` ("<eml_…@domain of from>") and `date` (now; a date of the
  // epoch counts as empty). These, and the rest of the message, are fixed
  // here: every attempt sends the same bytes. kInvalidArgument
  // "invalid_email" naming the field when the message cannot be sent
  // (mail::ValidateMessage), before anything is stored; store errors as
  // the control store reports them. Awaits the store (no blocking I/O
  // beyond the control store's own), then wakes the courier of this
  // process, if one is listening.
  //
  // co_await it at once, as the storage calls: both arguments are copied
  // before the call first suspends, so neither need outlive the statement,
  // and no class-type temporary sits in the co_await expression (GCC 12):
  //   mail::Message m = …;
  //   auto queued = co_await outbox.Enqueue("verification", m);
  boost::asio::awaitable<base::Result<std::string>> Enqueue(std::string_view kind,
                                                            const mail::Message& message);

  // `fn` runs after each successful Enqueue (the Courier's Wake). Set it
  // before the first Enqueue may run.
  void OnEnqueued(std::function<void()> fn);

  const std::string& from() const { return options_.from; }
  const std::string& link_base() const { return link_base_; }
  // Replaces link_base before serving (the port is known once the server
  // listens); not while requests may read it.
  void set_link_base(std::string base) { link_base_ = std::move(base); }

 private:
  control::EmailOutbox records_;
  const crypto::SecretBox& box_;
  const OutboxOptions options_;
  const std::string id_domain_;
  std::string link_base_;
  std::mutex mutex_;
  std::function<void()> on_enqueued_;
};

}  // namespace tenantd::outbox
