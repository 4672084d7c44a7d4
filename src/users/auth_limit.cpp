#include "users/auth_limit.h"

#include "http/problem.h"
#include "ratelimit/tenant_limits.h"

namespace tenantd::users {

boost::asio::awaitable<std::optional<http::Response>> UserAuthLimit::OnRequest(
    http::Request& req, http::RequestContext& ctx) const {
  if (!limits_) co_return std::nullopt;
  const base::Result<ratelimit::Decision> d =
      co_await limits_->AdmitUserAuth(req.remote_ip, clock_.Steady());
  if (!d) co_return http::ErrorResponse(d.error(), ctx.request_id);
  if (d->allowed) co_return std::nullopt;
  co_return ratelimit::RateLimitedResponse(
      *d,
      "Too many sign-ups, sign-ins or account requests from this address; retry after the time "
      "in Retry-After.",
      ctx.request_id);
}

void UserAuthLimit::Describe(http::RouteDoc& doc) const {
  doc.problems.push_back({429, "rate_limited"});
}

}  // namespace tenantd::users
