// Platform administration authentication (api.md §3): a Stage that admits
// `Authorization: Bearer <admin token>` and answers 401 otherwise. Refusals
// are counted in tenantd_auth_failures_total, and wrong tokens count
// against the client address's failed-authentication budget (api.md §7),
// shared with tenant authentication: once it is spent, 429 before the
// token is looked at.
#pragma once

#include <string>

#include "http/stage.h"

namespace tenantd::auth {
class AuthFailureCounters;
}
namespace tenantd::ratelimit {
class TenantLimits;
}

namespace tenantd::admin {

class AdminAuth : public http::Stage {
 public:
  // `token_sha256` is the raw SHA-256 of the admin token; the token itself is
  // never held in memory by the server. `failures` and `limits` may be null
  // (not counted, not throttled); both must outlive the stage.
  explicit AdminAuth(std::string token_sha256, auth::AuthFailureCounters* failures = nullptr,
                     ratelimit::TenantLimits* limits = nullptr)
      : token_sha256_(std::move(token_sha256)), failures_(failures), limits_(limits) {}

  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  // Admin answers may carry secrets (app secrets on create): never cache them.
  void OnResponse(const http::RequestContext&, http::Response& res) const override;
  void Describe(http::RouteDoc& doc) const override;

 private:
  // The refusal of the token itself, if any (nullopt: admitted).
  std::optional<http::Response> Verify(const http::Request& req,
                                       const http::RequestContext& ctx) const;

  std::string token_sha256_;
  auth::AuthFailureCounters* failures_;
  ratelimit::TenantLimits* limits_;
};

}  // namespace tenantd::admin
