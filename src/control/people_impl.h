// Internals shared by People's source files (people.cpp, memberships.cpp,
// invites.cpp). Not part of the module's interface.
#pragma once

#include <string_view>

#include "control/control_store_impl.h"
#include "storage/database.h"

namespace tenantd::control {

// Whether the tenant may gain members or invites: kNotFound for an unknown
// one; kFailedPrecondition "personal_tenant" (409) for a personal tenant,
// which is never shared (api.md §11): its one member is the owner made at
// sign-up.
AsyncStatus CheckShareable(storage::Database& db, std::string_view tenant_id);

}  // namespace tenantd::control
