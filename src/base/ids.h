// Opaque, time-sortable identifiers: "<prefix>_" + 26 chars of Crockford
// base32 (ULID layout: 48-bit milliseconds, then 80 random bits).
// Lexicographic order of ids of one prefix follows creation time, so ids
// double as stable pagination cursors.
#pragma once

#include <string>
#include <string_view>

namespace tenantd::base {

// Thread-safe. Ids minted in the same millisecond, on any thread, still sort
// by creation order (the random part is incremented, as ULID's monotonic mode).
std::string NewId(std::string_view prefix);

// True when `id` has the shape NewId produces for `prefix`.
bool IsWellFormedId(std::string_view id, std::string_view prefix);

}  // namespace tenantd::base
