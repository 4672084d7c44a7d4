// A value that must never be printed: logs, errors and fmt all see "***".
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace tenantd::base {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The only way to the value: call sites that need it are easy to audit.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

}  // namespace tenantd::base
