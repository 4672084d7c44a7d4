// The per-route request pipeline: stages run in order before the handler;
// a stage answers early by returning a Response (Envoy's sendLocalReply +
// StopIteration), or lets the request continue with nullopt.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "http/message.h"

namespace tenantd::http {

// Per-request state that stages fill in and handlers read. Nothing global.
struct RequestContext {
  std::string request_id;
  std::string tenant_slug;  // for the access log; empty = not a tenant request
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
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&, RequestContext&)>;

}  // namespace tenantd::http
