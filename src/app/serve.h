// The composition root of `tenantd serve`: builds every component from the
// configuration, wires the routes, serves until SIGINT/SIGTERM, drains.
#pragma once

#include <vector>

#include "config/config.h"
#include "storage/sqlite/connection.h"

namespace tenantd::app {

// Returns the process exit code. Start-up failures print one line to stderr.
int Serve(const config::Config& config, const std::vector<storage::Migration>& tenant_migrations);

}  // namespace tenantd::app
