// Public endpoints (api.md §2): /, /healthz, /readyz, /metrics. No auth.
#pragma once

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}
namespace tenantd::http {
class Metrics;
}

namespace tenantd::app {

// `store` and `metrics` must outlive the router.
void RegisterPublicRoutes(http::Router& router, control::ControlStore& store,
                          const http::Metrics& metrics);

}  // namespace tenantd::app
