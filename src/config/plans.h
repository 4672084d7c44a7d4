// Tenant plans (api.md §7 and §6): what a tenant on each plan may use.
// Built-in defaults, overridden or extended by the `[plans.<name>]` tables
// of the TOML configuration file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tenantd::config {

struct Plan {
  std::string name;
  uint64_t requests_per_minute = 600;  // per tenant (api.md §7)
  uint64_t storage_bytes = 0;          // uploaded files, all together; 0 = unlimited
};

class Plans {
 public:
  // free, pro and enterprise with the limits of api.md §7.
  static Plans Defaults();

  // nullptr when no plan has that name.
  const Plan* Find(std::string_view name) const;
  // Adds a plan, or returns the existing one of that name to be changed.
  Plan& Upsert(std::string_view name);
  const std::vector<Plan>& items() const { return items_; }

 private:
  std::vector<Plan> items_;  // a handful: a linear scan is the fastest lookup
};

}  // namespace tenantd::config
