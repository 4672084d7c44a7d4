// The tenant database schema this binary was built for: the SQL files of
// src/tenant_db/migrations, in version order. Append-only: a released
// migration is never edited; a change is a new file.
#pragma once

#include <vector>

#include "storage/sqlite/connection.h"

namespace tenantd::tenant_db {

const std::vector<storage::Migration>& BuiltInMigrations();

}  // namespace tenantd::tenant_db
