#include "cli/cli.h"

#include <sys/stat.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>

#include "admin/tenant_json.h"
#include "app/serve.h"
#include "base/data_dir.h"
#include "base/version.h"
#include "cli/backup_command.h"
#include "cli/migrate_command.h"
#include "cli/output.h"
#include "cli/user_command.h"
#include "config/config.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "storage/run_to_completion.h"
#include "tenant_db/provisioning.h"
#include "tenant_db/tenant_databases.h"

namespace tenantd::cli {
namespace {

// Options every command takes.
struct Common {
  std::string data;
  std::string config_file;
  bool json = false;
};

// --data, --config and --json: every command takes them and lists them in
// its --help (those it already has are left as they are).
void AddCommonOptions(CLI::App& app, Common& common) {
  if (app.get_option_no_throw("--data") == nullptr) {
    app.add_option("--data", common.data, "Data directory (default ./data, env TENANTD_DATA)");
  }
  if (app.get_option_no_throw("--config") == nullptr) {
    app.add_option("--config", common.config_file, "TOML configuration file (env TENANTD_CONFIG)");
  }
  if (app.get_option_no_throw("--json") == nullptr) {
    app.add_flag("--json", common.json, "Print one JSON document instead of human lines");
  }
}

// The same for `app`'s commands and theirs, all the way down.
void AddCommonOptionsToEveryCommand(CLI::App& app, Common& common) {
  for (CLI::App* command : app.get_subcommands({})) {
    AddCommonOptions(*command, common);
    AddCommonOptionsToEveryCommand(*command, common);
  }
}

// The environment block of --help: the top level's and serve's only.
std::string EnvironmentHelp() {
  std::string out = "\nEnvironment variables (flags > environment > TOML file > defaults):\n";
  for (const auto& s : config::AllSettings()) {
    out += "  " + s.env + std::string(s.env.size() < 30 ? 30 - s.env.size() : 1, ' ') + s.help +
           (s.default_value.empty() ? "" : " [" + s.default_value + "]") + "\n";
  }
  return out;
}

std::string FlagName(const config::SettingInfo& s) {
  std::string f = "--" + s.name;
  for (char& c : f) {
    if (c == '_') c = '-';
  }
  return f;
}

base::Result<config::Config> LoadConfig(const Common& common, config::Values flags) {
  if (!common.data.empty()) flags["data"] = common.data;
  std::optional<std::filesystem::path> file;
  if (!common.config_file.empty()) {
    file = common.config_file;
  } else if (const char* env = std::getenv("TENANTD_CONFIG"); env && *env) {
    file = env;
  }
  return config::Load(flags, config::EnvironmentValues(), file);
}

// Opens the control store of the configured data directory (for the
// commands that work on it directly, with or without a running server).
struct Stores {
  std::unique_ptr<crypto::SecretBox> box;  // on the heap: the store keeps its address
  std::unique_ptr<control::ControlStore> control;
};

base::Result<Stores> OpenStores(const config::Config& cfg) {
  TENANTD_TRY(auto key, crypto::LoadOrCreateMasterKey(cfg.master_key, cfg.data_dir));
  Stores s;
  TENANTD_TRY(auto box, crypto::SecretBox::Create(key));
  s.box = std::make_unique<crypto::SecretBox>(std::move(box));
  TENANTD_TRY(auto db, control::OpenControlDatabase(cfg.data_dir, cfg.database_url.Reveal()));
  control::ControlStoreOptions options;
  options.plans = cfg.plans.Names();
  TENANTD_TRY(s.control, storage::RunToCompletion(
                             control::ControlStore::Open(std::move(db), *s.box, options)));
  return s;
}

void PrintTenant(const control::Tenant& t) {
  std::printf("%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n", "id",
              t.id.c_str(), "slug", t.slug.c_str(), "name", t.name.c_str(), "plan", t.plan.c_str(),
              "status", std::string(control::ToString(t.status)).c_str(), "isolation",
              t.isolation.c_str(), "created_at", base::FormatRfc3339(t.created_at).c_str());
}

}  // namespace

int Main(int argc, char** argv, const std::vector<storage::Migration>& tenant_migrations) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed client or pipe is an error value, not a crash
  // Whatever any command creates (databases, logs, uploads, backups) is
  // owner-only; the data directory holds every tenant's data.
  ::umask(base::kOwnerOnlyUmask);
  CLI::App app{"tenantd: a self-hosted multi-tenant backend", "tenantd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tenantd ") + base::kVersion);
  Common common;
  AddCommonOptions(app, common);
  app.fallthrough();

  // serve: every setting has a flag (except secrets, which argv would expose).
  auto* serve = app.add_subcommand("serve", "Run the HTTP server");
  AddCommonOptions(*serve, common);
  config::Values flags;
  std::map<std::string, std::string> raw;
  for (const auto& s : config::AllSettings()) {
    if (!s.has_flag || s.name == "data") continue;
    const std::string help = s.help + " (env " + s.env + ")";
    CLI::Option* option =
        serve->add_option(FlagName(s), raw[s.name], help)->type_name(s.value_type);
    if (s.value_type == "BOOL") {
      // `--log-json`, `--log-json true`, `--log-json=false`: the value is optional.
      option->expected(0, 1);
    } else {
      option->default_str(s.default_value);
    }
  }

  auto* tenant = app.add_subcommand("tenant", "Manage tenants in the control store");
  tenant->require_subcommand(1);
  std::string slug, name, plan = "free", id;
  bool purge = false;
  auto* create = tenant->add_subcommand("create", "Create a tenant; prints its credentials once");
  create->add_option("--slug", slug, "3-63 chars of [a-z0-9-]")->required();
  create->add_option("--name", name, "Display name")->required();
  create->add_option("--plan", plan, "free | pro | enterprise")->default_str("free");
  auto* list = tenant->add_subcommand("list", "List tenants");
  std::string status_filter;
  list->add_option("--status", status_filter, "active | suspended | deleted");
  auto* show = tenant->add_subcommand("show", "Show one tenant");
  auto* suspend = tenant->add_subcommand("suspend", "Suspend a tenant (its requests answer 403)");
  auto* activate = tenant->add_subcommand("activate", "Activate a suspended tenant");
  auto* del = tenant->add_subcommand("delete", "Delete a tenant (its credentials stop working)");
  del->add_flag("--purge", purge, "Remove the tenant's record for good");
  auto* rotate = tenant->add_subcommand(
      "rotate-secret", "Issue a new app secret; prints it once (the old one works for the grace)");
  int64_t grace_seconds = 0;
  rotate
      ->add_option("--grace-seconds", grace_seconds,
                   "How long the previous secret keeps working (0 = stops now)")
      ->default_str("0")
      ->check(CLI::Range(int64_t{0}, int64_t{30 * 86400}));
  for (auto* c : {show, suspend, activate, del, rotate}) {
    c->add_option("id", id, "Tenant id or slug")->required();
  }
  for (auto* c : {create, list, show, suspend, activate, del, rotate}) AddCommonOptions(*c, common);
  MigrateCommand migrate(app);
  BackupCommand backup(app);
  UserCommand user(app);
  auto* version = app.add_subcommand("version", "Print the version");
  AddCommonOptionsToEveryCommand(app, common);
  // Set once every subcommand exists (they copy their parent's footer):
  // the environment block shows at the top level and for serve only.
  app.footer(EnvironmentHelp());
  serve->footer(EnvironmentHelp());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (migrate.parsed()) {
    if (std::string usage = migrate.UsageError(); !usage.empty()) {
      std::fprintf(stderr, "tenantd: %s\n", usage.c_str());
      return 2;
    }
  }
  if (backup.parsed()) {
    if (std::string usage = backup.UsageError(); !usage.empty()) {
      std::fprintf(stderr, "tenantd: %s\n", usage.c_str());
      return 2;
    }
  }

  if (version->parsed()) {
    if (common.json) {
      PrintJson(boost::json::object{{"name", "tenantd"}, {"version", base::kVersion}});
    } else {
      std::printf("tenantd %s\n", base::kVersion);
    }
    return 0;
  }

  for (const auto& s : config::AllSettings()) {
    if (auto it = raw.find(s.name); it != raw.end() && serve->count(FlagName(s)) > 0) {
      // A boolean flag given without a value means true.
      flags[s.name] = it->second.empty() && s.value_type == "BOOL" ? "true" : it->second;
    }
  }
  auto cfg = LoadConfig(common, flags);
  if (!cfg) return Fail(cfg.error().public_message);

  if (serve->parsed()) return app::Serve(*cfg, tenant_migrations);

  auto stores = OpenStores(*cfg);
  if (!stores) {
    // Which server or file, and why (never a password): the operator's to fix.
    const base::Error& e = stores.error();
    return Fail(Describe(e) + (e.log_detail.empty() ? "" : " (" + OperatorDetail(e) + ")"));
  }
  control::ControlStore& store = *stores->control;
  const tenant_db::TenantDatabases databases(cfg->data_dir, tenant_migrations);
  if (migrate.parsed()) return migrate.Run(store, databases, common.json);
  if (backup.parsed()) return backup.Run(*cfg, store, databases, common.json);
  if (user.parsed()) return user.Run(*cfg, store, common.json);

  if (create->parsed()) {
    control::NewTenant t;
    t.slug = slug;
    t.name = name;
    t.plan = plan;
    auto created = storage::RunToCompletion(tenant_db::CreateTenant(store, databases, t));
    if (!created) return Fail(Describe(created.error()));
    if (common.json) {
      PrintJson(boost::json::object{
          {"tenant", admin::TenantToJson(created->tenant)},
          {"credentials", boost::json::object{{"app_key", created->tenant.app_key},
                                              {"app_secret", created->app_secret.Reveal()}}}});
    } else {
      PrintTenant(created->tenant);
      std::printf("%-30s %s\n%-30s %s\n\nThe app secret is shown only now: store it safely.\n",
                  "app_key", created->tenant.app_key.c_str(), "app_secret",
                  created->app_secret.Reveal().c_str());
    }
    return 0;
  }

  if (list->parsed()) {
    control::TenantListQuery q;
    q.limit = 500;
    if (!status_filter.empty()) {
      q.status = control::ParseTenantStatus(status_filter);
      if (!q.status) return Fail("--status must be active, suspended or deleted");
    }
    boost::json::array data;
    if (!common.json) {
      std::printf("%-30s %-24s %-10s %-10s %s\n", "ID", "SLUG", "PLAN", "STATUS", "NAME");
    }
    for (;;) {
      auto page = storage::RunToCompletion(store.ListTenants(q));
      if (!page) return Fail(Describe(page.error()));
      for (const auto& t : page->items) {
        if (common.json) {
          data.push_back(admin::TenantToJson(t));
        } else {
          std::printf("%-30s %-24s %-10s %-10s %s\n", t.id.c_str(), t.slug.c_str(), t.plan.c_str(),
                      std::string(control::ToString(t.status)).c_str(), t.name.c_str());
        }
      }
      if (!page->next_cursor) break;
      q.after = *page->next_cursor;
    }
    if (common.json) PrintJson(boost::json::object{{"data", std::move(data)}});
    return 0;
  }

  if (rotate->parsed()) {
    auto rotated =
        storage::RunToCompletion(store.RotateAppSecret(id, std::chrono::seconds(grace_seconds)));
    if (!rotated) {
      return Fail(Describe(rotated.error()) +
                  (rotated.error().code == base::ErrorCode::kNotFound ? " (" + id + ")" : ""));
    }
    const std::string expires = base::FormatRfc3339(rotated->previous_expires_at);
    if (common.json) {
      PrintJson(boost::json::object{
          {"credentials", boost::json::object{{"app_key", rotated->app_key},
                                              {"app_secret", rotated->app_secret.Reveal()}}},
          {"previous_secret_expires_at", expires}});
    } else {
      std::printf(
          "%-30s %s\n%-30s %s\n%-30s %s\n\nThe app secret is shown only now: store it "
          "safely.\n",
          "app_key", rotated->app_key.c_str(), "app_secret", rotated->app_secret.Reveal().c_str(),
          "previous secret works until", expires.c_str());
    }
    return 0;
  }

  base::Result<control::Tenant> result = base::NotFound("No such tenant.");
  if (show->parsed()) {
    auto found = storage::RunToCompletion(store.FindTenant(id));
    if (!found) return Fail(Describe(found.error()));
    if (!*found) return Fail("no such tenant: " + id);
    result = **found;
  } else if (suspend->parsed() || activate->parsed()) {
    control::TenantPatch patch;
    patch.status =
        suspend->parsed() ? control::TenantStatus::kSuspended : control::TenantStatus::kActive;
    result = storage::RunToCompletion(store.UpdateTenant(id, patch));
  } else if (del->parsed()) {
    if (purge) {
      // A running server may still hold the database open; it cannot
      // serve it any more (the tenant is gone), and its handles close at
      // their idle TTL.
      auto purged = storage::RunToCompletion(tenant_db::PurgeTenant(store, databases, nullptr, id));
      if (!purged) {
        return Fail(Describe(purged.error()) +
                    (purged.error().code == base::ErrorCode::kNotFound ? " (" + id + ")" : ""));
      }
      if (common.json) {
        PrintJson(boost::json::object{{"purged", id}});
      } else {
        std::printf("purged %s\n", id.c_str());
      }
      return 0;
    }
    result = storage::RunToCompletion(store.DeleteTenant(id));
  }
  if (!result)
    return Fail(Describe(result.error()) +
                (result.error().code == base::ErrorCode::kNotFound ? " (" + id + ")" : ""));
  if (common.json) {
    PrintJson(boost::json::object{{"tenant", admin::TenantToJson(*result)}});
  } else {
    PrintTenant(*result);
  }
  return 0;
}

}  // namespace tenantd::cli
