// Routes of the platform administration API (api.md §3) that exist so far:
// tenant create / list / show / patch / delete.
#pragma once

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}

namespace tenantd::admin {

// `auth` and `store` must outlive the router.
void RegisterAdminRoutes(http::Router& router, const http::Stage& auth,
                         control::ControlStore& store);

}  // namespace tenantd::admin
