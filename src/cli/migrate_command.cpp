#include "cli/migrate_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include "cli/output.h"
#include "cli/progress.h"
#include "cli/schema_reports.h"
#include "cli/tenant_batch.h"
#include "control/control_store.h"
#include "storage/run_to_completion.h"
#include "tenant_db/provisioning.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What migrating one tenant came to.
struct TenantResult {
  tenant_db::MigrateOutcome outcome;
  std::optional<base::Error> error;
  // On failure: the version the database stayed at, when it can be read.
  std::optional<int> version;
};

// The migration that failed: the first one above the version the database
// stayed at (each migration commits alone, so the ones below it are in).
std::optional<int> FailedVersion(const tenant_db::TenantDatabases& databases,
                                 std::optional<int> stayed_at) {
  if (!stayed_at) return std::nullopt;
  for (const storage::Migration& m : databases.migrations()) {
    if (m.version > *stayed_at) return m.version;
  }
  return std::nullopt;
}

std::string FailureLine(const control::Tenant& t, const TenantResult& r,
                        const tenant_db::TenantDatabases& databases) {
  std::string line = "tenant " + t.id + " (" + t.slug + "): failed";
  if (auto failed_at = FailedVersion(databases, r.version)) {
    line += " at version " + std::to_string(*failed_at);
  }
  return line + ": " + OperatorDetail(*r.error);
}

struct Tally {
  std::size_t migrated = 0;
  std::size_t already_current = 0;
  std::size_t failed = 0;
  std::size_t created = 0;
};

Tally Count(const std::vector<TenantResult>& results, std::size_t attempted) {
  Tally tally;
  for (std::size_t i = 0; i < attempted; ++i) {
    const TenantResult& r = results[i];
    if (r.error) {
      ++tally.failed;
    } else if (r.outcome.created) {
      ++tally.created;
    } else if (r.outcome.to > r.outcome.from) {
      ++tally.migrated;
    } else {
      ++tally.already_current;
    }
  }
  return tally;
}

boost::json::value OptionalInt(std::optional<int> v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

MigrateCommand::MigrateCommand(CLI::App& app) : jobs_(kDefaultJobs) {
  migrate_ = app.add_subcommand(
      "migrate", "Apply pending tenant database migrations (progress on stderr, resumable)");
  migrate_->require_subcommand(0, 1);
  auto* tenant = migrate_->add_option("--tenant", tenant_, "Migrate one tenant (id or slug)");
  auto* all = migrate_->add_flag(
      "--all", all_, "Migrate every tenant (suspended and deleted-not-purged ones too)");
  tenant->excludes(all);
  migrate_->add_option("--jobs", jobs_, "Tenants migrated at once")
      ->default_str(std::to_string(kDefaultJobs))
      ->check(CLI::Range(1, 64));
  migrate_
      ->add_option("--canary", canary_,
                   "Migrate the first N tenants (oldest first) alone; stop if any of them fails")
      ->check(CLI::PositiveNumber)
      ->needs(all);

  status_ = migrate_->add_subcommand(
      "status", "How many tenants are at each schema version; those not at the latest");
  drift_ = migrate_->add_subcommand(
      "drift", "Compare each tenant's schema with what its version should be (default --all)");
  auto* drift_tenant = drift_->add_option("--tenant", drift_tenant_, "Check one tenant");
  auto* drift_all = drift_->add_flag("--all", drift_all_, "Check every tenant (the default)");
  drift_tenant->excludes(drift_all);
  control_ = migrate_->add_subcommand(
      "control",
      "Bring the control store (SQLite or TENANTD_DATABASE_URL) to this binary's schema");
}

bool MigrateCommand::parsed() const { return migrate_->parsed(); }

std::string MigrateCommand::UsageError() const {
  // Options of `migrate` itself also land here when written after
  // `status` or `drift` (CLI11 passes unknown options up to the parent).
  const bool run_options =
      !tenant_.empty() || all_ || migrate_->count("--jobs") > 0 || migrate_->count("--canary") > 0;
  if (status_->parsed() && run_options) {
    return "migrate status takes no --tenant, --all, --jobs or --canary";
  }
  if (drift_->parsed() && run_options) return "migrate drift takes only --tenant ID or --all";
  if (control_->parsed() && run_options) return "migrate control takes no options";
  if (!status_->parsed() && !drift_->parsed() && !control_->parsed() && tenant_.empty() && !all_) {
    return "migrate needs --tenant ID or --all (see tenantd migrate --help)";
  }
  return {};
}

int MigrateCommand::Run(control::ControlStore& store, const tenant_db::TenantDatabases& databases,
                        bool json) const {
  if (control_->parsed()) {
    // Opening the store applied its pending migrations (one process at a
    // time); what is left is to say where it stands.
    auto version = storage::RunToCompletion(store.SchemaVersion());
    if (!version) return Fail(OperatorDetail(version.error()));
    if (json) {
      PrintJson(boost::json::object{{"control_schema_version", *version}});
    } else {
      std::printf("control store at schema version %d\n", *version);
    }
    return 0;
  }
  if (status_->parsed()) {
    auto tenants = ListAllTenants(store);
    if (!tenants) return Fail(OperatorDetail(tenants.error()));
    return PrintMigrationStatus(*tenants, databases, json);
  }
  if (drift_->parsed()) {
    auto tenants = SelectTenants(store, drift_tenant_);
    if (!tenants) return Fail(OperatorDetail(tenants.error()));
    return PrintSchemaDrift(*tenants, databases, json);
  }
  return Migrate(store, databases, json);
}

int MigrateCommand::Migrate(control::ControlStore& store,
                            const tenant_db::TenantDatabases& databases, bool json) const {
  // A run killed while it provisioned a missing database leaves a
  // temporary behind; it goes first, and the tenant is provisioned afresh.
  auto orphans = storage::RunToCompletion(tenant_db::RemoveOrphanDatabases(store, databases));
  if (!orphans) return Fail("cannot remove orphan databases: " + OperatorDetail(orphans.error()));
  if (!json) {
    for (const std::string& name : *orphans) {
      std::printf("removed tenants/%s: no tenant owns it\n", name.c_str());
    }
  }
  auto selected = SelectTenants(store, all_ ? std::string_view() : std::string_view(tenant_));
  if (!selected) return Fail(OperatorDetail(selected.error()));
  const std::vector<control::Tenant>& tenants = *selected;

  std::vector<TenantResult> results(tenants.size());
  std::atomic<std::size_t> done{0};
  std::atomic<std::size_t> failed{0};
  ProgressPrinter progress(stderr, ProgressPrinter::ModeFor(stderr), tenants.size(),
                           SteadyClock::now());
  // Each result slot is written by the one thread that took its index.
  // Resuming needs nothing here: Migrate applies only what a database
  // lacks, each migration in its own transaction, so a killed run leaves
  // every database at some complete version and the next run goes on.
  auto migrate_one = [&](std::size_t i) {
    TenantResult& r = results[i];
    auto outcome = databases.Migrate(tenants[i].id);
    if (outcome) {
      r.outcome = *outcome;
    } else {
      r.error = std::move(outcome).error();
      if (auto version = databases.Version(tenants[i].id)) r.version = *version;
      failed.fetch_add(1);
      if (!json) progress.PrintLine(stdout, FailureLine(tenants[i], r, databases));
    }
    progress.Update(done.fetch_add(1) + 1, failed.load(), SteadyClock::now());
  };

  const std::size_t canary = std::min(canary_, tenants.size());
  std::size_t attempted = tenants.size();
  if (canary > 0) {
    RunConcurrently(canary, jobs_, migrate_one);
    if (failed.load() > 0) attempted = canary;
  }
  if (attempted == tenants.size()) {
    RunConcurrently(tenants.size() - canary, jobs_,
                    [&](std::size_t i) { migrate_one(canary + i); });
  }
  progress.Finish(SteadyClock::now());

  const Tally tally = Count(results, attempted);
  const bool canary_stopped = attempted < tenants.size();
  if (json) {
    boost::json::array failures;
    for (std::size_t i = 0; i < attempted; ++i) {
      const TenantResult& r = results[i];
      if (!r.error) continue;
      failures.push_back(
          boost::json::object{{"id", tenants[i].id},
                              {"slug", tenants[i].slug},
                              {"version", OptionalInt(r.version)},
                              {"failed_version", OptionalInt(FailedVersion(databases, r.version))},
                              {"code", r.error->problem_code},
                              {"error", OperatorDetail(*r.error)}});
    }
    boost::json::array removed;
    for (const std::string& name : *orphans) removed.push_back(boost::json::string(name));
    PrintJson(boost::json::object{{"latest_version", databases.LatestVersion()},
                                  {"tenants", tenants.size()},
                                  {"migrated", tally.migrated},
                                  {"already_current", tally.already_current},
                                  {"failed", tally.failed},
                                  {"created", tally.created},
                                  {"not_attempted", tenants.size() - attempted},
                                  {"canary_stopped", canary_stopped},
                                  {"removed_orphans", std::move(removed)},
                                  {"failures", std::move(failures)}});
  } else {
    std::printf("migrated %zu, already current %zu, failed %zu, created %zu\n", tally.migrated,
                tally.already_current, tally.failed, tally.created);
    std::fflush(stdout);
  }
  if (canary_stopped) {
    return Fail("canary failed: " + std::to_string(tally.failed) + " of the first " +
                std::to_string(canary) + " tenants failed; the other " +
                std::to_string(tenants.size() - attempted) + " were left as they are");
  }
  return tally.failed > 0 ? 1 : 0;
}

}  // namespace tenantd::cli
