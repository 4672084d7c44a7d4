// GET /admin/v1/emails (api.md §11 "Email"): the email outbox as an
// operator sees it, to find undelivered messages. Never bodies or tokens.
#pragma once

#include <vector>

#include "http/router.h"

namespace tenantd::control {
class ControlStore;
}

namespace tenantd::admin {

// `store` must outlive the router.
void RegisterEmailRoutes(http::Router& router, const std::vector<const http::Stage*>& stages,
                         control::ControlStore& store);

}  // namespace tenantd::admin
