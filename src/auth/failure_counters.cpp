#include "auth/failure_counters.h"

namespace tenantd::auth {

void AuthFailureCounters::Count(std::string_view reason) {
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    if (reason == kReasons[i]) {
      counts_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void AuthFailureCounters::Render(std::string& out) const {
  out +=
      "# HELP tenantd_auth_failures_total Refused authentications (tenant and admin) by reason.\n";
  out += "# TYPE tenantd_auth_failures_total counter\n";
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    out += "tenantd_auth_failures_total{reason=\"";
    out += kReasons[i];
    out += "\"} ";
    out += std::to_string(counts_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
}

}  // namespace tenantd::auth
