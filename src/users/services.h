// What the handlers of api.md §11 work with, built once by UserRoutes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
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
namespace tenantd::outbox {
class Outbox;
}

namespace tenantd::users {

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
  outbox::Outbox& outbox;           // emails, and where their links point
  const base::Clock& clock;
};

// {TENANTD_AUTH_LINK_BASE}/auth/{action}?token={token}: the links of
// api.md §11's emails.
std::string AuthLink(const UserServices& s, std::string_view action, std::string_view token);

// Queues an email to `to` for durable delivery (kind "verification",
// "password_reset", "invite", "signup_attempt"); done once stored, not sent.
boost::asio::awaitable<base::Status> SendEmail(const UserServices& s, std::string_view kind,
                                               std::string_view to,
                                               const mail::EmailContent& content);

}  // namespace tenantd::users
