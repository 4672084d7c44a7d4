// Where the admin token comes from (api.md §3): TENANTD_ADMIN_TOKEN if set;
// otherwise the one generated at the first start, of which the control store
// keeps only the SHA-256 and <data>/admin.token (mode 0600) the value.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.h"
#include "base/secret.h"

namespace tenantd::control {
class ControlStore;
}

namespace tenantd::admin {

struct AdminToken {
  std::string sha256;                // raw digest the server compares against
  std::filesystem::path written_to;  // set when this call generated the token
  bool from_environment = false;
};

base::Result<AdminToken> EnsureAdminToken(const base::Secret& configured,
                                          const std::filesystem::path& data_dir,
                                          control::ControlStore& store);

}  // namespace tenantd::admin
