// `migrate status` and `migrate drift`: where the tenant databases stand.
// Both only read (opening a database may create its -wal/-shm files).
#pragma once

#include <vector>

#include "control/control_store.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::cli {

// How many of `tenants` are at each schema version and how many at the
// latest this binary knows; lists the tenants not at the latest version
// (with theirs: below it they answer 503 tenant_migrating, above it a newer
// tenantd migrated them), those without a database (`migrate` provisions
// them) and those whose database cannot be read. Returns 0: the report is
// the result; scripts read --json.
int PrintMigrationStatus(const std::vector<control::Tenant>& tenants,
                         const tenant_db::TenantDatabases& databases, bool json);

// Compares each tenant's schema with what the migrations up to its version
// create and prints the differences per tenant. Returns 1 when any tenant
// drifts or cannot be checked (missing or unreadable database), else 0.
int PrintSchemaDrift(const std::vector<control::Tenant>& tenants,
                     const tenant_db::TenantDatabases& databases, bool json);

}  // namespace tenantd::cli
