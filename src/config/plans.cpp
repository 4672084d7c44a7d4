#include "config/plans.h"

namespace tenantd::config {

Plans Plans::Defaults() {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  Plans plans;
  plans.Upsert("free") = Plan{"free", 600, 1 * kGiB};
  plans.Upsert("pro") = Plan{"pro", 6000, 100 * kGiB};
  plans.Upsert("enterprise") = Plan{"enterprise", 60000, 0};
  return plans;
}

const Plan* Plans::Find(std::string_view name) const {
  for (const Plan& p : items_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Plan& Plans::Upsert(std::string_view name) {
  for (Plan& p : items_) {
    if (p.name == name) return p;
  }
  items_.push_back(Plan{std::string(name)});
  return items_.back();
}

}  // namespace tenantd::config
