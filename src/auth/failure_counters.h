// Refused authentications by problem code, for /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace tenantd::auth {

class AuthFailureCounters {
 public:
  static constexpr std::array<const char*, 11> kReasons = {
      "missing_credentials",   "invalid_credentials", "invalid_signature", "request_expired",
      "content_hash_mismatch", "replayed_request",    "key_revoked",       "key_expired",
      "tenant_suspended",      "tenant_mismatch",     "insufficient_scope"};
  void Count(std::string_view reason);
  // Prometheus family tenantd_auth_failures_total{reason="…"}.
  void Render(std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kReasons.size()> counts_{};
};

}  // namespace tenantd::auth
