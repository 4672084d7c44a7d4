#include "app/serve.h"

#include <cstdio>
#include <thread>

#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "admin/admin_token.h"
#include "app/public_api.h"
#include "base/version.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "logging/logger.h"

namespace tenantd::app {
namespace {

int Fail(std::string_view message) {
  std::fprintf(stderr, "tenantd: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

}  // namespace

int Serve(const config::Config& config) {
  logging::LoggerOptions log_options;
  log_options.file = config.data_dir / "storage" / "framework" / "log.txt";
  log_options.json = config.log_json;
  log_options.level = logging::ParseLevel(config.log_level).value_or(logging::Level::kInfo);
  auto logger = logging::Logger::Open(log_options);
  if (!logger) return Fail(logger.error().public_message);
  logging::Logger& log = **logger;

  auto master_key = crypto::LoadOrCreateMasterKey(config.master_key, config.data_dir);
  if (!master_key) return Fail(master_key.error().public_message);
  auto box = crypto::SecretBox::Create(*master_key);
  if (!box) return Fail(box.error().public_message);
  auto store = control::ControlStore::Open(config.data_dir, *box);
  if (!store) {
    return Fail(store.error().public_message +
                (store.error().log_detail.empty() ? "" : " (" + store.error().log_detail + ")"));
  }
  auto token = admin::EnsureAdminToken(config.admin_token, config.data_dir, **store);
  if (!token) return Fail(token.error().public_message + " " + token.error().log_detail);

  http::Metrics metrics;
  http::Router router;
  admin::AdminAuth admin_auth(token->sha256);
  RegisterPublicRoutes(router, **store, metrics);
  admin::RegisterAdminRoutes(router, admin_auth, **store);
  metrics.SetRoutes(router.patterns());

  http::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  options.max_body_bytes = config.max_json_bytes;
  options.header_timeout = config.header_timeout;
  options.body_idle_timeout = config.body_idle_timeout;
  options.keepalive_timeout = config.keepalive_timeout;
  options.shutdown_timeout = config.shutdown_timeout;
  options.tls_cert = config.tls_cert;
  options.tls_key = config.tls_key;
  http::ServerHooks hooks;
  hooks.on_access = [&log](const http::AccessRecord& rec) { log.Access(rec); };
  hooks.on_error = [&log](std::string_view id, std::string_view msg) { log.Error(id, msg); };

  http::Server server(options, router, metrics, std::move(hooks));
  if (auto st = server.Listen(); !st) return Fail(st.error().public_message);

  if (!token->written_to.empty()) {
    log.Info("generated the admin token; it is in " + token->written_to.string() +
             " (mode 0600). Set TENANTD_ADMIN_TOKEN to choose your own.");
  } else if (!token->from_environment) {
    log.Info("admin token: the one generated at first start, see " +
             (config.data_dir / "admin.token").string());
  }
  log.Info(std::string("tenantd ") + base::kVersion + " listening on " +
           (server.is_tls() ? "https://" : "http://") + config.host + ":" +
           std::to_string(server.port()) + " with " + std::to_string(options.threads) +
           " event-loop threads, data in " + config.data_dir.string());
  server.Run(/*handle_signals=*/true);
  log.Info("tenantd stopped");
  log.Flush();
  return 0;
}

}  // namespace tenantd::app
