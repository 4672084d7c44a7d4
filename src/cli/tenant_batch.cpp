#include "cli/tenant_batch.h"
#include "storage/run_to_completion.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

namespace tenantd::cli {

base::Result<std::vector<control::Tenant>> ListAllTenants(control::ControlStore& store) {
  std::vector<control::Tenant> tenants;
  control::TenantListQuery query;
  query.limit = 500;
  for (;;) {
    TENANTD_TRY(control::TenantPage page, storage::RunToCompletion(store.ListTenants(query)));
    for (control::Tenant& t : page.items) tenants.push_back(std::move(t));
    if (!page.next_cursor) break;
    query.after = *page.next_cursor;
  }
  return tenants;
}

base::Result<std::vector<control::Tenant>> SelectTenants(control::ControlStore& store,
                                                         std::string_view id_or_slug) {
  if (id_or_slug.empty()) return ListAllTenants(store);
  TENANTD_TRY(std::optional<control::Tenant> found,
              storage::RunToCompletion(store.FindTenant(id_or_slug)));
  if (!found) return base::NotFound("no such tenant: " + std::string(id_or_slug));
  return std::vector<control::Tenant>{std::move(*found)};
}

void RunConcurrently(std::size_t count, int jobs, const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) work(i);
  };
  const std::size_t threads = std::min(count, static_cast<std::size_t>(std::max(jobs, 1)));
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  // The jthreads join as `pool` goes out of scope.
}

}  // namespace tenantd::cli
