// `tenantd migrate`: brings tenant databases to the schema this binary
// carries (docs/operations.md, "Tenant migrations").
//
//   migrate (--tenant ID | --all) [--jobs N] [--canary N]
//   migrate status
//   migrate drift [--tenant ID | --all]
//   migrate control
//
// Progress goes to stderr, so stdout carries only the report (failure lines
// and the summary, or with --json one JSON document) and can be kept in a
// file while the operator watches the terminal.
#pragma once

#include <cstddef>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace tenantd::control {
class ControlStore;
}  // namespace tenantd::control

namespace tenantd::tenant_db {
class TenantDatabases;
}  // namespace tenantd::tenant_db

namespace tenantd::cli {

class MigrateCommand {
 public:
  // Adds `migrate` and its subcommands to `app`. CLI11 keeps pointers to
  // this object's fields: it must outlive parsing and not move.
  explicit MigrateCommand(CLI::App& app);
  MigrateCommand(const MigrateCommand&) = delete;
  MigrateCommand& operator=(const MigrateCommand&) = delete;

  // True when the command line chose `migrate` (or one of its subcommands).
  bool parsed() const;

  // After a successful parse: why the options do not make a command (a
  // usage error, exit 2), or "" when they do. CLI11 already rejects
  // --tenant with --all, a --jobs out of 1..64 and --canary without --all.
  std::string UsageError() const;

  // Runs the parsed command; returns the exit code: 0, or 1 when a tenant
  // failed to migrate, drifted, could not be checked or does not exist.
  int Run(control::ControlStore& store, const tenant_db::TenantDatabases& databases,
          bool json) const;

 private:
  int Migrate(control::ControlStore& store, const tenant_db::TenantDatabases& databases,
              bool json) const;

  CLI::App* migrate_;
  CLI::App* status_;
  CLI::App* drift_;
  CLI::App* control_;
  std::string tenant_;
  bool all_ = false;
  int jobs_;  // kDefaultJobs unless --jobs says otherwise
  std::size_t canary_ = 0;
  std::string drift_tenant_;
  bool drift_all_ = false;
};

}  // namespace tenantd::cli
