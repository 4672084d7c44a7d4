#include "config/plans.h"

namespace tenantd::config {

Plans Plans::Defaults() {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  Plans plans;
  plans.Upsert("free") = Plan{"free", 600, 1 * kGiB, 0, 60};
  plans.Upsert("pro") = Plan{"pro", 6000, 100 * kGiB, 0, 600};
  plans.Upsert("enterprise") = Plan{"enterprise", 60000, 0, 0, 6000};
  return plans;
}

const Plan* Plans::Find(std::string_view name) const {
  for (const Plan& p : items_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> Plans::Names() const {
  std::vector<std::string> names;
  for (const Plan& p : items_) names.push_back(p.name);
  return names;
}

Plan& Plans::Upsert(std::string_view name) {
  for (Plan& p : items_) {
    if (p.name == name) return p;
  }
  items_.push_back(Plan{std::string(name)});
  return items_.back();
}

}  // namespace tenantd::config
