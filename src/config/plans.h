// Tenant plans (api.md §7 and §6): what a tenant on each plan may use.
// Built-in defaults, overridden or extended by the `[plans.<name>]` tables
// of the TOML configuration file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tenantd::config {

// Request limits count per rate-limit window, which is one minute unless
// the rate_limit_window_ms setting (meant for tests) shortens it.
struct Plan {
  std::string name;
  uint64_t requests_per_minute = 600;  // per tenant (api.md §7)
  uint64_t storage_bytes = 0;          // uploaded files, all together; 0 = unlimited
  // Per credential (API key, or the tenant's app key); 0 = requests_per_minute.
  uint64_t credential_requests_per_minute = 0;
  // Per tenant, for the stricter "auth" route group: signing in (POST
  // /v1/session) and managing API keys and sessions.
  uint64_t auth_requests_per_minute = 60;

  uint64_t CredentialLimit() const {
    return credential_requests_per_minute ? credential_requests_per_minute : requests_per_minute;
  }
};

class Plans {
 public:
  // free, pro and enterprise with the limits of api.md §7; the auth route
  // group gets a tenth of the plan's requests.
  static Plans Defaults();

  // nullptr when no plan has that name.
  const Plan* Find(std::string_view name) const;
  // Adds a plan, or returns the existing one of that name to be changed.
  Plan& Upsert(std::string_view name);
  const std::vector<Plan>& items() const { return items_; }
  // The plan names, in order: what a tenant's `plan` may be.
  std::vector<std::string> Names() const;

 private:
  std::vector<Plan> items_;  // a handful: a linear scan is the fastest lookup
};

}  // namespace tenantd::config
