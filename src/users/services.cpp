#include "users/services.h"

#include "mail/templates.h"
#include "outbox/auth_link.h"
#include "outbox/outbox.h"

namespace tenantd::users {

namespace {

// Success for a coroutine returning a Status: GCC 12 warns, wrongly, that
// `co_return base::Status()` reads an uninitialised error.
base::Status Done() { return {}; }

}  // namespace

std::string AuthLink(const UserServices& s, std::string_view action, std::string_view token) {
  return outbox::AuthLink(s.outbox.link_base(), action, token);
}

boost::asio::awaitable<base::Status> SendEmail(const UserServices& s, std::string_view kind,
                                               std::string_view to,
                                               const mail::EmailContent& content) {
  mail::Message message;
  message.to = to;
  message.subject = content.subject;
  message.text = content.text;
  message.html = content.html;
  TENANTD_CO_TRY(std::string id, co_await s.outbox.Enqueue(kind, message));
  (void)id;
  co_return Done();
}

}  // namespace tenantd::users
