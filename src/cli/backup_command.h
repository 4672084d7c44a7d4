// `tenantd backup` and `tenantd restore` (api.md §9, docs/operations.md
// "Backups"):
//
//   backup (--tenant ID | --all) [--keep N] [--jobs N]
//   backup verify FILE
//   restore --tenant ID --archive FILE [--as-new-slug S]
//
// As for migrate, progress goes to stderr and the report (or with --json
// one JSON document) to stdout. Exit codes: 0, 1 when anything failed, 2
// for a usage error.
#pragma once

#include <cstddef>
#include <string>

#include "config/config.h"

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

class BackupCommand {
 public:
  // Adds `backup` (with `verify`) and `restore` to `app`; must outlive
  // parsing and not move (CLI11 keeps pointers to the fields).
  explicit BackupCommand(CLI::App& app);
  BackupCommand(const BackupCommand&) = delete;
  BackupCommand& operator=(const BackupCommand&) = delete;

  bool parsed() const;
  // "" when the options make a command; else why not (exit 2).
  std::string UsageError() const;
  int Run(const config::Config& config, control::ControlStore& store,
          const tenant_db::TenantDatabases& databases, bool json) const;

 private:
  int Backup(const config::Config& config, control::ControlStore& store,
             const tenant_db::TenantDatabases& databases, bool json) const;
  int Verify(bool json) const;
  int Restore(control::ControlStore& store, const tenant_db::TenantDatabases& databases,
              bool json) const;

  CLI::App* backup_;
  CLI::App* verify_;
  CLI::App* restore_;
  std::string tenant_;
  bool all_ = false;
  std::size_t keep_ = 0;
  int jobs_;
  std::string verify_file_;
  std::string restore_tenant_;
  std::string archive_;
  std::string new_slug_;
};

}  // namespace tenantd::cli
