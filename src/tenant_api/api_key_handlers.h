// /v1/api-keys (api.md §4 "API keys"). A caller without every scope (a
// restricted key) can only create or rotate restricted keys whose scopes
// it holds itself, so a key can never mint a stronger one.
#pragma once

#include "http/stage.h"

namespace tenantd::control {
class ControlStore;
}
namespace tenantd::auth {
class Directory;
}

namespace tenantd::tenant_api {

struct ApiKeyHandlers {
  control::ControlStore& store;
  auth::Directory& directory;

  using Fn = boost::asio::awaitable<http::Response> (ApiKeyHandlers::*)(
      http::Request&, http::RequestContext&) const;
  http::Handler Bind(Fn fn) const {
    return [self = *this, fn](http::Request& req, http::RequestContext& ctx) {
      return (self.*fn)(req, ctx);
    };
  }

  boost::asio::awaitable<http::Response> Create(http::Request& req,
                                                http::RequestContext& ctx) const;
  boost::asio::awaitable<http::Response> List(http::Request& req, http::RequestContext& ctx) const;
  boost::asio::awaitable<http::Response> Show(http::Request& req, http::RequestContext& ctx) const;
  boost::asio::awaitable<http::Response> Rotate(http::Request& req,
                                                http::RequestContext& ctx) const;
  boost::asio::awaitable<http::Response> Revoke(http::Request& req,
                                                http::RequestContext& ctx) const;
};

}  // namespace tenantd::tenant_api
