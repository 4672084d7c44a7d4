// Where `tenantd serve`'s usage flush reads file totals: the tenant
// database pool. A tenant whose handle is open and idle is read at once (a
// cached statement on a warm page). A closed database costs an open (its
// schema parsed, some 80 system calls) and a pooled handle that evicts a
// warm tenant's, so one flush opens at most `cold_opens` of them; the
// others come back unread and usage::Flush reads them on a later flush.
//
// Without the cap, the first flush after a start-up (or a new UTC day)
// opened every tenant read from in the last ten seconds: with 10,000
// tenants behind a 1,024-handle pool, that was most of a core for a minute
// and a pool churned empty under the request load.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "usage/usage_meter.h"

namespace tenantd::tenant_db {
class TenantDbPool;
}

namespace tenantd::usage {

// Flush's `totals` for one flush (make one per flush). `pool` must outlive it.
std::function<std::optional<FileTotals>(std::string_view tenant_id)> PooledTotals(
    tenant_db::TenantDbPool& pool, std::size_t cold_opens);

// The cap `tenantd serve` uses: 64 opens per 10 s flush cover 10,000 cold
// tenants' figures in under half an hour, at a few milliseconds a second.
inline constexpr std::size_t kColdOpensPerFlush = 64;

}  // namespace tenantd::usage
