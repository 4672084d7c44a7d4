#include "cli/backup_command.h"

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "admin/tenant_json.h"
#include "backup/backup.h"
#include "backup/restore.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/tenant_batch.h"
#include "control/control_store.h"
#include "files/open_blob_store.h"
#include "storage/run_to_completion.h"
#include "tenant_db/provisioning.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::cli {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

// A server in another process sweeps every kSweepInterval: waiting a few of
// them after marking lets it answer 503 before anything is replaced.
constexpr std::chrono::milliseconds kSettle = 3 * backup::kSweepInterval;

struct TenantResult {
  std::optional<backup::BackupInfo> backup;
  std::size_t pruned = 0;
  std::optional<base::Error> error;
};

// Finishes or rolls back restores a crash interrupted, before any command
// of this file works on a tenant.
bool SweepFirst(const backup::Restorer& restorer, bool json) {
  auto lines = restorer.Sweep();
  if (!lines) {
    Fail("cannot recover interrupted restores: " + OperatorDetail(lines.error()));
    return false;
  }
  if (!json) {
    for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
  }
  return true;
}

json::object ManifestSummary(const backup::Manifest& m) {
  return json::object{{"format_version", m.format_version},   {"tenant_id", m.tenant_id},
                      {"tenant_slug", m.tenant_slug},         {"created_at", m.created_at},
                      {"tenantd_version", m.tenantd_version}, {"schema_version", m.schema_version}};
}

}  // namespace

BackupCommand::BackupCommand(CLI::App& app) : jobs_(kDefaultJobs) {
  backup_ = app.add_subcommand("backup",
                               "Back up tenants to <data>/backups/<tenant_id>/<timestamp>.tar.gz");
  backup_->require_subcommand(0, 1);
  auto* tenant = backup_->add_option("--tenant", tenant_, "Back up one tenant (id or slug)");
  auto* all = backup_->add_flag("--all", all_, "Back up every tenant (any status)");
  tenant->excludes(all);
  backup_
      ->add_option("--keep", keep_,
                   "Then delete all but the newest N backups of each tenant backed up")
      ->check(CLI::PositiveNumber);
  backup_->add_option("--jobs", jobs_, "Tenants backed up at once")
      ->default_str(std::to_string(kDefaultJobs))
      ->check(CLI::Range(1, 64));
  verify_ = backup_->add_subcommand(
      "verify", "Check an archive's every checksum without restoring (changes nothing)");
  verify_->add_option("file", verify_file_, "The .tar.gz archive")->required();

  restore_ = app.add_subcommand(
      "restore", "Restore a tenant's database and files from an archive (atomically)");
  restore_->add_option("--tenant", restore_tenant_, "The tenant (id or slug) the archive is of")
      ->required();
  restore_->add_option("--archive", archive_, "The .tar.gz archive")->required();
  restore_->add_option("--as-new-slug", new_slug_,
                       "Restore into a new tenant with this slug (the original is untouched)");
}

bool BackupCommand::parsed() const { return backup_->parsed() || restore_->parsed(); }

std::string BackupCommand::UsageError() const {
  if (verify_->parsed()) {
    if (!tenant_.empty() || all_ || keep_ > 0) {
      return "backup verify takes only FILE";
    }
    return {};
  }
  if (backup_->parsed() && tenant_.empty() && !all_) {
    return "backup needs --tenant ID or --all (see tenantd backup --help)";
  }
  return {};
}

int BackupCommand::Run(const config::Config& config, control::ControlStore& store,
                       const tenant_db::TenantDatabases& databases, bool json) const {
  if (verify_->parsed()) return Verify(json);
  if (restore_->parsed()) return Restore(store, databases, json);
  return Backup(config, store, databases, json);
}

int BackupCommand::Verify(bool json) const {
  auto verified = backup::VerifyArchive(verify_file_);
  if (!verified) {
    if (json) {
      PrintJson(json::object{{"ok", false},
                             {"file", verify_file_},
                             {"code", verified.error().problem_code},
                             {"error", OperatorDetail(verified.error())}});
      return 1;
    }
    return Fail("backup verify " + verify_file_ + ": " + OperatorDetail(verified.error()));
  }
  if (json) {
    PrintJson(json::object{{"ok", true},
                           {"file", verify_file_},
                           {"manifest", ManifestSummary(verified->manifest)},
                           {"entries", verified->entries},
                           {"bytes", verified->bytes}});
  } else {
    std::printf("ok: %s: tenant %s (%s), created %s, schema %d, %llu entries, %llu bytes\n",
                verify_file_.c_str(), verified->manifest.tenant_id.c_str(),
                verified->manifest.tenant_slug.c_str(), verified->manifest.created_at.c_str(),
                verified->manifest.schema_version,
                static_cast<unsigned long long>(verified->entries),
                static_cast<unsigned long long>(verified->bytes));
  }
  return 0;
}

int BackupCommand::Backup(const config::Config& config, control::ControlStore& store,
                          const tenant_db::TenantDatabases& databases, bool json) const {
  const backup::Restorer restorer(databases, nullptr);
  if (!SweepFirst(restorer, json)) return 1;
  auto selected = SelectTenants(store, all_ ? std::string_view() : std::string_view(tenant_));
  if (!selected) return Fail(OperatorDetail(selected.error()));
  const std::vector<control::Tenant>& tenants = *selected;
  auto blobs = files::OpenBlobStore(config, nullptr);
  if (!blobs) return Fail(blobs.error().public_message);
  const backup::Backups backups(
      databases, {config.backup_dump_command, config.blob_store == "s3" ? blobs->get() : nullptr});

  std::vector<TenantResult> results(tenants.size());
  std::atomic<std::size_t> done{0}, failed{0};
  ProgressPrinter progress(stderr, ProgressPrinter::ModeFor(stderr), tenants.size(),
                           SteadyClock::now());
  RunConcurrently(tenants.size(), jobs_, [&](std::size_t i) {
    TenantResult& r = results[i];
    auto created = backups.Create(tenants[i]);
    if (created && keep_ > 0) {
      auto pruned = backups.Prune(tenants[i].id, keep_);
      if (pruned) {
        r.pruned = pruned->size();
      } else {
        r.error = pruned.error();
      }
    }
    if (created) {
      r.backup = std::move(*created);
    } else {
      r.error = std::move(created).error();
    }
    if (r.error) {
      failed.fetch_add(1);
      if (!json) {
        progress.PrintLine(stdout, "tenant " + tenants[i].id + " (" + tenants[i].slug +
                                       "): failed: " + OperatorDetail(*r.error));
      }
    }
    progress.Update(done.fetch_add(1) + 1, failed.load(), SteadyClock::now());
  });
  progress.Finish(SteadyClock::now());

  std::size_t ok = 0, pruned = 0;
  json::array items, failures;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    const TenantResult& r = results[i];
    pruned += r.pruned;
    if (r.backup) ++ok;
    if (r.error) {
      failures.push_back(json::object{{"id", tenants[i].id},
                                      {"slug", tenants[i].slug},
                                      {"code", r.error->problem_code},
                                      {"error", OperatorDetail(*r.error)}});
    }
    if (!r.backup) continue;
    json::object item = backup::BackupToJson(*r.backup, databases.data_dir());
    item["tenant_id"] = tenants[i].id;
    item["tenant_slug"] = tenants[i].slug;
    item["pruned"] = r.pruned;
    if (!json && tenants.size() <= 1) {
      std::printf("backed up %s (%s): %s, %llu bytes, sha256 %s\n", tenants[i].id.c_str(),
                  tenants[i].slug.c_str(), r.backup->path.c_str(),
                  static_cast<unsigned long long>(r.backup->size), r.backup->sha256.c_str());
    }
    items.push_back(std::move(item));
  }
  if (json) {
    PrintJson(json::object{{"tenants", tenants.size()},
                           {"backed_up", ok},
                           {"failed", failures.size()},
                           {"pruned", pruned},
                           {"backups", std::move(items)},
                           {"failures", std::move(failures)}});
  } else {
    std::printf("backed up %zu, failed %zu, pruned %zu\n", ok, failures.size(), pruned);
    std::fflush(stdout);
  }
  return failures.empty() ? 0 : 1;
}

namespace {

// A progress line on stderr over one read of the archive: the bytes of the
// file read so far (restoring, or checking it before a new tenant is made).
class ArchiveProgress {
 public:
  explicit ArchiveProgress(const std::string& archive)
      : printer_(stderr, ProgressPrinter::ModeFor(stderr), FileSize(archive), SteadyClock::now(),
                 Unit::kBytes) {}
  ~ArchiveProgress() { printer_.Finish(SteadyClock::now()); }
  ArchiveProgress(const ArchiveProgress&) = delete;
  ArchiveProgress& operator=(const ArchiveProgress&) = delete;

  std::function<void(uint64_t, uint64_t)> Callback() {
    return [this](uint64_t read, uint64_t) { printer_.Update(read, 0, SteadyClock::now()); };
  }

 private:
  static std::size_t FileSize(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<std::size_t>(size);
  }
  ProgressPrinter printer_;
};

}  // namespace

int BackupCommand::Restore(control::ControlStore& store,
                           const tenant_db::TenantDatabases& databases, bool json) const {
  const backup::Restorer sweeper(databases, nullptr, {kSettle, {}});
  if (!SweepFirst(sweeper, json)) return 1;
  // The extraction reports its progress: a large archive takes a while.
  const auto restore = [&](const std::string& tenant_id, const std::string& source_id) {
    ArchiveProgress progress(archive_);
    const backup::Restorer restorer(databases, nullptr, {kSettle, progress.Callback()});
    return restorer.Restore(tenant_id, archive_, source_id);
  };
  auto found = storage::RunToCompletion(store.FindTenant(restore_tenant_));
  if (!found) return Fail(Describe(found.error()));
  if (!*found) return Fail("no such tenant: " + restore_tenant_);
  const control::Tenant source = **found;

  if (new_slug_.empty()) {
    if (source.status == control::TenantStatus::kDeleted) {
      return Fail("tenant " + source.id + " is deleted; restore it --as-new-slug instead");
    }
    auto restored = restore(source.id, source.id);
    if (!restored) return Fail("restore " + source.id + ": " + OperatorDetail(restored.error()));
    if (json) {
      PrintJson(json::object{{"tenant", admin::TenantToJson(source)},
                             {"backup", ManifestSummary(restored->manifest)},
                             {"files", restored->files},
                             {"bytes", restored->bytes}});
    } else {
      std::printf("restored %s (%s) from %s: %llu files, %llu bytes\n", source.id.c_str(),
                  source.slug.c_str(), archive_.c_str(),
                  static_cast<unsigned long long>(restored->files),
                  static_cast<unsigned long long>(restored->bytes));
    }
    return 0;
  }

  // Into a new tenant: check the archive before creating anything, so a
  // bad archive leaves no tenant behind.
  auto verified = [&] {
    ArchiveProgress progress(archive_);
    return backup::ReadArchive(archive_, {}, progress.Callback());
  }();
  if (!verified) return Fail("restore: " + archive_ + ": " + OperatorDetail(verified.error()));
  if (verified->manifest.tenant_id != source.id) {
    return Fail("restore: the archive is of tenant " + verified->manifest.tenant_id + ", not " +
                source.id);
  }
  control::NewTenant t;
  t.slug = new_slug_;
  t.name = verified->manifest.tenant_name;
  t.plan = verified->manifest.tenant_plan.empty() ? "free" : verified->manifest.tenant_plan;
  auto created = storage::RunToCompletion(tenant_db::CreateTenant(store, databases, t));
  if (!created) return Fail(Describe(created.error()));
  auto restored = restore(created->tenant.id, source.id);
  if (!restored) {
    (void)storage::RunToCompletion(
        tenant_db::PurgeTenant(store, databases, nullptr, created->tenant.id));
    return Fail("restore into a new tenant: " + OperatorDetail(restored.error()) +
                " (the new tenant was removed again)");
  }
  if (json) {
    PrintJson(
        json::object{{"tenant", admin::TenantToJson(created->tenant)},
                     {"credentials", json::object{{"app_key", created->tenant.app_key},
                                                  {"app_secret", created->app_secret.Reveal()}}},
                     {"backup", ManifestSummary(restored->manifest)},
                     {"files", restored->files},
                     {"bytes", restored->bytes}});
  } else {
    std::printf("restored %s (%s) as new tenant %s (%s): %llu files, %llu bytes\n",
                source.id.c_str(), source.slug.c_str(), created->tenant.id.c_str(),
                created->tenant.slug.c_str(), static_cast<unsigned long long>(restored->files),
                static_cast<unsigned long long>(restored->bytes));
    std::printf("%-30s %s\n%-30s %s\n\nThe app secret is shown only now: store it safely.\n",
                "app_key", created->tenant.app_key.c_str(), "app_secret",
                created->app_secret.Reveal().c_str());
  }
  return 0;
}

}  // namespace tenantd::cli
