#include "cli/cli.h"
#include "tenant_db/migrations.h"

int main(int argc, char** argv) {
  return tenantd::cli::Main(argc, argv, tenantd::tenant_db::BuiltInMigrations());
}
