#include "usage/pooled_totals.h"

#include <memory>
#include <string>

#include "tenant_db/pool.h"

namespace tenantd::usage {

std::function<std::optional<FileTotals>(std::string_view tenant_id)> PooledTotals(
    tenant_db::TenantDbPool& pool, std::size_t cold_opens) {
  auto left = std::make_shared<std::size_t>(cold_opens);
  return [&pool, left](std::string_view tenant_id) -> std::optional<FileTotals> {
    auto lease = pool.AcquireIdle(tenant_id);
    if (!lease) {
      if (*left == 0) return std::nullopt;
      --*left;
      lease.emplace(pool.Open(tenant_id));
    }
    if (!*lease) return std::nullopt;  // being restored or migrated: next flush
    auto read = ReadFileTotals((*lease)->db());
    if (!read) return std::nullopt;
    return *read;
  };
}

}  // namespace tenantd::usage
