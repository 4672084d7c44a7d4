// Public endpoints (api.md §2): /, /healthz, /readyz, /metrics. No auth.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}
namespace tenantd::http {
class Metrics;
}

namespace tenantd::app {

// A dependency /readyz reports besides the control store: `check` returns
// "" when it is fine, else why not (no secrets: it is shown to anyone).
// Awaited on the event loop, so a check across the network must not block.
struct ReadinessCheck {
  std::string name;
  std::function<boost::asio::awaitable<std::string>()> check;
};

// `store`, `metrics` and what `checks` refer to must outlive the router.
void RegisterPublicRoutes(http::Router& router, control::ControlStore& store,
                          const http::Metrics& metrics, std::vector<ReadinessCheck> checks = {});

}  // namespace tenantd::app
