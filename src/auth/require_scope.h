// The scope check of a tenant route (api.md §4 "Scopes"): after the access
// stage, a request whose credentials lack the route's scope is refused.
#pragma once

#include <string>

#include "auth/failure_counters.h"
#include "http/stage.h"

namespace tenantd::auth {

// A stage that answers 403 insufficient_scope unless ctx.auth holds `scope`.
class RequireScope : public http::Stage {
 public:
  RequireScope(std::string scope, AuthFailureCounters& failures)
      : scope_(std::move(scope)), failures_(failures) {}
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request& req, http::RequestContext& ctx) const override;
  void Describe(http::RouteDoc& doc) const override;  // auth_doc.cpp

 private:
  std::string scope_;
  AuthFailureCounters& failures_;
};

}  // namespace tenantd::auth
