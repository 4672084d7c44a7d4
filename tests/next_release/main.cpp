// tenantd_next: tenantd as the next release will be, one tenant migration
// ahead, so tests and the benchmark can upgrade a data directory made by
// the tenantd under test and watch `tenantd_next migrate` bring it along.
//
// The extra migration has version LatestVersion() + 1 and is chosen by the
// environment variable TENANTD_NEXT_MIGRATION:
//   light         (default) what a release typically ships: a new column and
//                 its index on products.
//   slow          the same plus a backfilled table of 20,000 rows, so one
//                 tenant takes tens of milliseconds and a run over 200
//                 tenants lasts long enough to be killed halfway.
//   unique_names  a unique index on products(name): fails for a tenant that
//                 holds two products with the same name, succeeds elsewhere.
// Anything else exits 2 before doing anything.
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "tenant_db/migrations.h"

namespace {

constexpr std::string_view kLightSql = R"sql(
ALTER TABLE products ADD COLUMN archived_at TEXT;
CREATE INDEX products_archived_at ON products (archived_at);
)sql";

constexpr std::string_view kSlowSql = R"sql(
ALTER TABLE products ADD COLUMN archived_at TEXT;
CREATE INDEX products_archived_at ON products (archived_at);
CREATE TABLE product_events (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  at TEXT NOT NULL
) STRICT;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO product_events (id, kind, at) SELECT i, 'backfill', '2026-01-01T00:00:00Z' FROM n;
)sql";

constexpr std::string_view kUniqueNamesSql = R"sql(
CREATE UNIQUE INDEX products_name_unique ON products (name);
)sql";

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("TENANTD_NEXT_MIGRATION");
  const std::string_view which = env != nullptr && *env != '\0' ? env : "light";
  std::vector<tenantd::storage::Migration> migrations = tenantd::tenant_db::BuiltInMigrations();
  const int next = migrations.empty() ? 1 : migrations.back().version + 1;
  if (which == "light") {
    migrations.push_back({next, "archive products", std::string(kLightSql)});
  } else if (which == "slow") {
    migrations.push_back({next, "archive products and backfill events", std::string(kSlowSql)});
  } else if (which == "unique_names") {
    migrations.push_back({next, "unique product names", std::string(kUniqueNamesSql)});
  } else {
    std::fprintf(stderr,
                 "tenantd_next: TENANTD_NEXT_MIGRATION must be light, slow or unique_names, "
                 "not %.*s\n",
                 static_cast<int>(which.size()), which.data());
    return 2;
  }
  return tenantd::cli::Main(argc, argv, migrations);
}
