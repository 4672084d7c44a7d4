#include "admin/admin_auth.h"

#include <strings.h>

#include <chrono>

#include "auth/failure_counters.h"
#include "crypto/crypto.h"
#include "http/problem.h"
#include "ratelimit/tenant_limits.h"

namespace tenantd::admin {
namespace {

http::Response Unauthorized(std::string_view code, std::string_view detail,
                            std::string_view request_id) {
  http::Response r = http::ProblemResponse(401, code, detail, request_id);
  r.headers.Add("WWW-Authenticate", "Bearer realm=\"tenantd-admin\"");
  return r;
}

}  // namespace

std::optional<http::Response> AdminAuth::Verify(const http::Request& req,
                                                const http::RequestContext& ctx) const {
  const auto auth = req.headers.Get("Authorization");
  if (!auth || auth->empty()) {
    return Unauthorized("missing_credentials", "Send Authorization: Bearer <admin token>.",
                        ctx.request_id);
  }
  std::string_view value = *auth;
  if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0) {
    return Unauthorized("invalid_credentials", "The admin token is not valid.", ctx.request_id);
  }
  value.remove_prefix(7);
  // Constant-time over fixed-size digests: the comparison reveals nothing
  // about how much of a guess was right, nor the token's length.
  if (!crypto::ConstantTimeEqual(crypto::Sha256(value), token_sha256_)) {
    return Unauthorized("invalid_credentials", "The admin token is not valid.", ctx.request_id);
  }
  return std::nullopt;
}

boost::asio::awaitable<std::optional<http::Response>> AdminAuth::OnRequest(
    http::Request& req, http::RequestContext& ctx) const {
  const auto now = std::chrono::steady_clock::now();
  // Only a request that presents a token is throttled and counted against
  // its address, as for tenants (api.md §7).
  const auto authorization = req.headers.Get("Authorization");
  const bool presented = authorization && !authorization->empty();
  const ratelimit::FailedAuthKeys keys = ratelimit::TenantLimits::AddressOnly(req.remote_ip);
  if (limits_ && presented) {
    const base::Result<ratelimit::Verdict> throttled = co_await limits_->CheckFailedAuth(keys, now);
    if (!throttled) co_return http::ErrorResponse(throttled.error(), ctx.request_id);
    if (!throttled->decision.allowed) {
      co_return ratelimit::RateLimitedResponse(
          throttled->decision,
          "Too many failed authentications from this address; retry after the time in "
          "Retry-After.",
          ctx.request_id);
    }
  }
  std::optional<http::Response> refused = Verify(req, ctx);
  if (refused) {
    if (failures_) failures_->Count(presented ? "invalid_credentials" : "missing_credentials");
    if (limits_ && presented) co_await limits_->CountFailedAuth(keys, now);
  }
  co_return refused;
}

void AdminAuth::OnResponse(const http::RequestContext&, http::Response& res) const {
  res.headers.Add("Cache-Control", "no-store");
}

}  // namespace tenantd::admin

namespace tenantd::admin {

void AdminAuth::Describe(http::RouteDoc& doc) const {
  doc.security.push_back({{"adminToken", R"({
    "type": "http", "scheme": "bearer",
    "description": "The platform admin token: TENANTD_ADMIN_TOKEN, or the one the first start writes to <data>/admin.token."})"}});
  doc.problems.push_back({401, "missing_credentials"});
  doc.problems.push_back({401, "invalid_credentials"});
}

}  // namespace tenantd::admin
