// What the handlers of api.md §11 work with, built once by UserRoutes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <string>

#include "base/clock.h"
#include "control/people.h"
#include "users/passwords.h"

namespace tenantd::auth {
class Directory;
}
namespace tenantd::ratelimit {
class TenantLimits;
}
namespace tenantd::session {
class SessionBinder;
class SessionCookies;
class SessionStore;
}  // namespace tenantd::session
namespace tenantd::tenant_db {
class TenantDatabases;
}

namespace tenantd::mail {
struct EmailContent;
}

namespace tenantd::users {

// Queues an email to `to` (kind: "verification", "reset", "invite",
// "signup_attempt") for durable delivery; the outbox adds sender, date and
// Message-ID. Done once it is stored, not sent.
using SendEmail = std::function<boost::asio::awaitable<base::Status>(
    std::string kind, std::string to, const mail::EmailContent& content)>;

struct UserServices {
  control::ControlStore& store;
  control::People& people;
  const Passwords& passwords;
  // New tenants' databases (sign-up's personal tenant, POST /auth/v1/tenants),
  // built on `provisioning_workers`.
  const tenant_db::TenantDatabases& databases;
  boost::asio::thread_pool& provisioning_workers;
  session::SessionStore& sessions;
  const session::SessionCookies& cookies;
  const session::SessionBinder& binder;
  auth::Directory& directory;
  ratelimit::TenantLimits* limits;  // null: no sign-in throttle
  SendEmail send_email;
  // Where the links in emails point: {link_base}/auth/invite?token=…
  std::string link_base;
  const base::Clock& clock;
};

// {link_base}/auth/{action}?token={token}: the links of api.md §11's emails.
inline std::string AuthLink(const UserServices& s, std::string_view action,
                            std::string_view token) {
  return s.link_base + "/auth/" + std::string(action) + "?token=" + std::string(token);
}

}  // namespace tenantd::users
