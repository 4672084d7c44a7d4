// The public JSON shape of a tenant (api.md §3), shared by the admin API and
// the CLI's --json output. Never includes secrets.
#pragma once

#include <boost/json/object.hpp>

#include "control/control_store.h"

namespace tenantd::admin {

boost::json::object TenantToJson(const control::Tenant& t);

}  // namespace tenantd::admin
