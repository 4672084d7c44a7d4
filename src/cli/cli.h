// The tenantd command line (api.md §9): serve, tenant …, migrate …, backup …,
// restore, version.
#pragma once

#include <vector>

#include "storage/sqlite/connection.h"

namespace tenantd::cli {

// Parses argv, runs the command, returns the process exit code
// (0 ok, 1 failure, 2 usage error). `tenant_migrations` is the tenant
// schema this binary serves (tenant_db::BuiltInMigrations(); tests pass a
// longer list to play a newer release).
int Main(int argc, char** argv, const std::vector<storage::Migration>& tenant_migrations);

}  // namespace tenantd::cli
