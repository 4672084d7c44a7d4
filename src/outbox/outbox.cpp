#include "outbox/outbox.h"

#include "base/ids.h"
#include "outbox/sealed_message.h"
#include "storage/errors.h"

namespace tenantd::outbox {
namespace {

// The part after '@' of the From address: Message-IDs name the sender's
// domain (RFC 5322 §3.6.4 asks for a right side that makes them unique).
std::string IdDomain(std::string_view from) {
  const base::Result<std::string> address = mail::BareAddress(from);
  if (!address) return "localhost";
  const std::size_t at = address->rfind('@');
  return at == std::string::npos ? "localhost" : address->substr(at + 1);
}

}  // namespace

Outbox::Outbox(control::ControlStore& store, const crypto::SecretBox& box, OutboxOptions options)
    : records_(store),
      box_(box),
      options_(std::move(options)),
      id_domain_(IdDomain(options_.from)),
      link_base_(options_.link_base) {}

void Outbox::OnEnqueued(std::function<void()> fn) {
  const std::lock_guard lock(mutex_);
  on_enqueued_ = std::move(fn);
}

boost::asio::awaitable<base::Result<std::string>> Outbox::Enqueue(std::string_view kind,
                                                                  const mail::Message& original) {
  mail::Message message = original;
  const std::string id = base::NewId("eml");
  const base::TimePoint now = options_.clock->Now();
  if (message.from.empty()) message.from = options_.from;
  if (message.message_id.empty()) message.message_id = "<" + id + "@" + id_domain_ + ">";
  // Whole seconds: all the Date header shows, and what is sealed is then
  // exactly what is sent.
  if (message.date == base::TimePoint()) {
    message.date = std::chrono::time_point_cast<std::chrono::seconds>(now);
  }
  TENANTD_CO_RETURN_IF_ERROR(mail::ValidateMessage(message));

  control::NewOutboxEmail record;
  record.id = id;
  record.kind = std::string(kind);
  record.to = message.to;
  record.message_id = message.message_id;
  record.body_sealed = SealMessage(box_, id, message);
  record.created_at = now;
  TENANTD_CO_RETURN_IF_ERROR(co_await records_.Enqueue(record));

  std::function<void()> wake;
  {
    const std::lock_guard lock(mutex_);
    wake = on_enqueued_;
  }
  if (wake) wake();
  co_return id;
}

}  // namespace tenantd::outbox
