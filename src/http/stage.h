// The per-route request pipeline: stages run in order before the handler;
// a stage answers early by returning a Response (Envoy's sendLocalReply +
// StopIteration), or lets the request continue with nullopt.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/route_doc.h"

namespace tenantd::control {
struct Tenant;
}

namespace tenantd::http {

// Who a tenant request runs for and how it proved it (api.md §4), filled
// in by the authentication stage.
struct AuthFacts {
  std::string tenant_id;  // empty = not authenticated
  // "session" | "app_secret" | "signature" | "api_key" | "user" (a signed-in
  // user's session, api.md §11)
  std::string mode;
  std::string key_id;   // the API key behind the request (also via a session)
  std::string user_id;  // the signed-in user (mode "user"); else ""
  std::string role;     // the user's role in the tenant: built-in name or custom role name
  bool all_scopes = false;
  std::vector<std::string> scopes;  // when !all_scopes
  std::string secret_id;            // the secret behind it; a session ends with it
  std::string session_id;           // public id of the session bound to this answer, if any
  std::string session_hash;         // its store hash (to destroy it)
  std::string set_cookie;           // a Set-Cookie value to send with the answer

  // Proven by the session cookie alone (an app session or a user's).
  bool ByCookie() const { return mode == "session" || mode == "user"; }

  // "x:read" is also granted by "x:write".
  bool HasScope(std::string_view scope) const {
    if (all_scopes) return true;
    for (const std::string& s : scopes) {
      if (s == scope) return true;
      const std::size_t colon = scope.find(':');
      if (colon != std::string_view::npos && scope.substr(colon) == ":read" &&
          s.size() == colon + 6 && s.compare(0, colon, scope.substr(0, colon)) == 0 &&
          s.compare(colon, 6, ":write") == 0) {
        return true;
      }
    }
    return false;
  }
};

// The rate-limit budget a tenant answer reports (api.md §7), set by the
// stage that counted the request. limit 0 = nothing counted yet.
struct RateLimitFacts {
  uint64_t limit = 0;
  uint64_t remaining = 0;
  uint64_t reset_seconds = 0;
};

// Per-request state that stages fill in and handlers read. Nothing global.
struct RequestContext {
  std::string request_id;
  std::string tenant_slug;  // for the access log; empty = not a tenant request
  // The tenant the request is for, as the access stage found it (its plan,
  // name, status); null = not a tenant request. Handlers read it here
  // rather than asking the directory again.
  std::shared_ptr<const control::Tenant> tenant;
  AuthFacts auth;
  RateLimitFacts rate_limit;
  // Forward authentication: the original request's method and target, which
  // the access log shows instead of the check's own. Empty = the request's.
  std::string logged_method;
  std::string logged_target;
};

// Built once at start-up, immutable, shared across event-loop threads.
class Stage {
 public:
  virtual ~Stage() = default;
  // nullopt = continue; a Response = answer now, skipping later stages and the handler.
  virtual boost::asio::awaitable<std::optional<Response>> OnRequest(Request& req,
                                                                    RequestContext& ctx) const = 0;
  // Runs in reverse stage order on every answer that passed this stage.
  virtual void OnResponse(const RequestContext&, Response&) const {}
  // Adds what this stage enforces to the route's OpenAPI description
  // (security schemes, scopes, the problems it answers with).
  virtual void Describe(RouteDoc&) const {}
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&, RequestContext&)>;

}  // namespace tenantd::http
