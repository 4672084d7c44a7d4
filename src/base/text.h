// Checks on client-supplied display text, shared by every store that keeps
// a human-readable name (tenants, API keys, products).
#pragma once

#include <optional>
#include <string_view>

#include "base/error.h"

namespace tenantd::base {

// `s` without leading and trailing ASCII whitespace.
std::string_view TrimAsciiSpace(std::string_view s);

// Why `raw`, once trimmed, is not an acceptable name: empty, over
// `max_bytes`, not valid UTF-8, or holding control characters (C0, DEL,
// C1). nullopt when it is. The error names the field "name".
std::optional<FieldError> CheckName(std::string_view raw, std::size_t max_bytes = 200);

}  // namespace tenantd::base
