// The control store's versioned schema (both engines).
#pragma once

#include <vector>

#include "storage/migration.h"

namespace tenantd::control {

const std::vector<storage::Migration>& ControlMigrations();

}  // namespace tenantd::control
