// The per-IP limit of the user routes that need no session (api.md §11:
// "/auth/v1/ routes are rate limited per client IP"): sign-up, sign-in,
// recover, reset, verify-email and accepting an invite each cost work
// (argon2id, a new tenant database, an email), so one address gets
// TENANTD_USER_AUTH_REQUESTS_PER_IP of them a window, then 429.
#pragma once

#include "base/clock.h"
#include "http/stage.h"

namespace tenantd::ratelimit {
class TenantLimits;
}

namespace tenantd::users {

class UserAuthLimit : public http::Stage {
 public:
  // `limits` may be null (no limits); both must outlive the stage.
  UserAuthLimit(ratelimit::TenantLimits* limits, const base::Clock& clock)
      : limits_(limits), clock_(clock) {}

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void Describe(http::RouteDoc& doc) const override;

 private:
  ratelimit::TenantLimits* limits_;
  const base::Clock& clock_;
};

}  // namespace tenantd::users
