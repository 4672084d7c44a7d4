#include "auth/require_scope.h"

#include "http/problem.h"

namespace tenantd::auth {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

awaitable<std::optional<Response>> RequireScope::OnRequest(Request&, RequestContext& ctx) const {
  if (ctx.auth.HasScope(scope_)) co_return std::nullopt;
  failures_.Count("insufficient_scope");
  co_return http::ProblemResponse(403, "insufficient_scope",
                                  "This route needs the " + scope_ + " scope.", ctx.request_id);
}

}  // namespace tenantd::auth
