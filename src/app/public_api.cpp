#include "app/public_api.h"

#include <boost/json.hpp>

#include "app/public_docs.h"
#include "base/version.h"
#include "control/control_store.h"
#include "http/metrics.h"

namespace tenantd::app {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

constexpr std::string_view kWelcomeHtml = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tenantd</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>tenantd</h1>
<p>A self-hosted multi-tenant backend. Version <code>{version}</code>.</p>
<ul>
<li><a href="/healthz">/healthz</a> &mdash; liveness</li>
<li><a href="/readyz">/readyz</a> &mdash; readiness</li>
<li><a href="/metrics">/metrics</a> &mdash; Prometheus metrics</li>
<li><a href="/docs">API reference</a> (<a href="/openapi.json">/openapi.json</a>, OpenAPI 3.1)</li>
<li>The API contract with every choice: <code>docs/api.md</code> in the source tree</li>
</ul></body></html>
)";

bool WantsJson(const Request& req) {
  const auto accept = req.headers.Get("Accept");
  return accept && accept->find("application/json") != std::string_view::npos &&
         accept->find("text/html") == std::string_view::npos;
}

}  // namespace

void RegisterPublicRoutes(http::Router& router, control::ControlStore& store,
                          const http::Metrics& metrics, std::vector<ReadinessCheck> checks) {
  router.Add(
      "GET", "/", {},
      [](Request& req, RequestContext&) -> awaitable<Response> {
        if (WantsJson(req)) {
          co_return Response::Json(200, boost::json::serialize(boost::json::object{
                                            {"name", "tenantd"}, {"version", base::kVersion}}));
        }
        std::string html(kWelcomeHtml);
        html.replace(html.find("{version}"), 9, base::kVersion);
        co_return Response::Text(200, "text/html; charset=utf-8", std::move(html));
      },
      public_docs::Welcome());

  router.Add(
      "GET", "/healthz", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        co_return Response::Json(200, R"({"ok":true})");
      },
      public_docs::Health());

  router.Add(
      "GET", "/readyz", {},
      [&store, extra = std::move(checks)](Request&, RequestContext&) -> awaitable<Response> {
        auto ping = co_await store.Ping();
        bool ok = bool(ping);
        boost::json::object checks{{"control_store", ping ? "ok" : "unavailable"}};
        for (const ReadinessCheck& c : extra) {
          const std::string why = co_await c.check();
          ok = ok && why.empty();
          checks[c.name] = why.empty() ? "ok" : why;
        }
        co_return Response::Json(ok ? 200 : 503, boost::json::serialize(boost::json::object{
                                                     {"ok", ok}, {"checks", std::move(checks)}}));
      },
      public_docs::Ready());

  router.Add(
      "GET", "/metrics", {},
      [&metrics](Request&, RequestContext&) -> awaitable<Response> {
        co_return Response::Text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.Render());
      },
      public_docs::Metrics());
}

}  // namespace tenantd::app
