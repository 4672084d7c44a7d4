// /v1/products (api.md §5, docs/api.md "Products"). Each handler reaches
// the tenant's products through one tenant transaction (TenantData::Begin):
// a read for GET, a write (committed before the answer) otherwise.
#pragma once

#include "http/stage.h"

namespace tenantd::base {
class Clock;
}
namespace tenantd::tenant_db {
class TenantData;
}

namespace tenantd::tenant_api {

struct ProductHandlers {
  tenant_db::TenantData& data;
  const base::Clock& clock;  // created_at / updated_at

  using Fn = boost::asio::awaitable<http::Response> (ProductHandlers::*)(
      http::Request&, http::RequestContext&) const;
  http::Handler Bind(Fn fn) const {
    return [self = *this, fn](http::Request& req, http::RequestContext& ctx) {
      return (self.*fn)(req, ctx);
    };
  }

  // POST /v1/products, honouring Idempotency-Key.
  boost::asio::awaitable<http::Response> Create(http::Request& req,
                                                http::RequestContext& ctx) const;
  // GET /v1/products?limit&after&sku
  boost::asio::awaitable<http::Response> List(http::Request& req, http::RequestContext& ctx) const;
  // GET /v1/products/{id}, honouring If-None-Match.
  boost::asio::awaitable<http::Response> Show(http::Request& req, http::RequestContext& ctx) const;
  // PATCH /v1/products/{id}, honouring If-Match.
  boost::asio::awaitable<http::Response> Update(http::Request& req,
                                                http::RequestContext& ctx) const;
  // DELETE /v1/products/{id}, honouring If-Match.
  boost::asio::awaitable<http::Response> Remove(http::Request& req,
                                                http::RequestContext& ctx) const;
};

}  // namespace tenantd::tenant_api
