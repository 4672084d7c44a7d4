// Forward authentication and key verification (api.md §19):
//   /auth/v1/check, any common method, and /auth/v1/check/{original...}
//     (Envoy appends the original path): judges the original request a
//     proxy asks about; only peers in TENANTD_TRUSTED_PROXIES may call it;
//   POST /auth/v1/verify: is this API key good, and for whom (admin token).
// Both run the tenant access stage (access::TenantAccess, rate limits
// included) over the request the caller describes, so a request through a
// proxy is judged, counted and throttled exactly as a direct one.
#pragma once

#include <functional>
#include <string_view>

#include "access/tenant_access.h"
#include "auth/failure_counters.h"
#include "http/router.h"

namespace tenantd::forward_auth {

struct ForwardAuthDeps {
  const access::TenantAccess& tenant_access;
  auth::AuthFailureCounters& failures;
  const http::Stage& admin_auth;
  // Whether a peer address may call /auth/v1/check (TENANTD_TRUSTED_PROXIES).
  std::function<bool(std::string_view peer)> is_trusted_proxy;
};

// A stage answering 403 untrusted_proxy to peers that are not trusted proxies.
class TrustedProxyOnly : public http::Stage {
 public:
  explicit TrustedProxyOnly(std::function<bool(std::string_view peer)> is_trusted)
      : is_trusted_(std::move(is_trusted)) {}
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void Describe(http::RouteDoc& doc) const override;

 private:
  std::function<bool(std::string_view peer)> is_trusted_;
};

class ForwardAuthRoutes {
 public:
  // What `deps` refers to must outlive the router the routes are added to.
  explicit ForwardAuthRoutes(ForwardAuthDeps deps);
  // Adds the routes; this object must outlive `router` (it owns a stage).
  void Register(http::Router& router) const;

 private:
  boost::asio::awaitable<http::Response> Check(http::Request& req, http::RequestContext& ctx) const;
  boost::asio::awaitable<http::Response> Verify(http::Request& req,
                                                http::RequestContext& ctx) const;

  ForwardAuthDeps deps_;
  TrustedProxyOnly trusted_only_;
};

}  // namespace tenantd::forward_auth
