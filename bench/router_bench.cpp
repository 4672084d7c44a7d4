// http::Router::Find on the routes tenantd registers today (public + admin).
#include <benchmark/benchmark.h>

#include <boost/asio/awaitable.hpp>

#include "http/router.h"

namespace {

using tenantd::http::Request;
using tenantd::http::RequestContext;
using tenantd::http::Response;
using tenantd::http::Router;

boost::asio::awaitable<Response> Ok(Request&, RequestContext&) { co_return Response{}; }

// Same shapes and order as app::RegisterPublicRoutes + admin::RegisterAdminRoutes.
const Router& RealRouter() {
  static const Router router = [] {
    Router r;
    r.Add("GET", "/", {}, Ok);
    r.Add("GET", "/healthz", {}, Ok);
    r.Add("GET", "/readyz", {}, Ok);
    r.Add("GET", "/metrics", {}, Ok);
    r.Add("POST", "/admin/v1/tenants", {}, Ok);
    r.Add("GET", "/admin/v1/tenants", {}, Ok);
    r.Add("GET", "/admin/v1/tenants/{id}", {}, Ok);
    r.Add("PATCH", "/admin/v1/tenants/{id}", {}, Ok);
    r.Add("DELETE", "/admin/v1/tenants/{id}", {}, Ok);
    return r;
  }();
  return router;
}

void Find(benchmark::State& state, const char* method, const char* path) {
  const Router& router = RealRouter();
  for (auto _ : state) {
    auto match = router.Find(method, path);
    benchmark::DoNotOptimize(match);
  }
}

BENCHMARK_CAPTURE(Find, literal_healthz, "GET", "/healthz");
BENCHMARK_CAPTURE(Find, literal_admin_list, "GET", "/admin/v1/tenants");
BENCHMARK_CAPTURE(Find, param_tenant, "GET", "/admin/v1/tenants/ten_01JDQ8ZK3M5N7P9R1T3V5X7Z9B");
BENCHMARK_CAPTURE(Find, param_delete, "DELETE", "/admin/v1/tenants/acme");
BENCHMARK_CAPTURE(Find, miss_404, "GET", "/v1/products/42");
BENCHMARK_CAPTURE(Find, miss_405, "PUT", "/admin/v1/tenants/acme");

}  // namespace
