#include "app/serve.h"

#include <malloc.h>
#include <sys/resource.h>

#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <thread>

#include "access/tenant_access.h"
#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "admin/admin_token.h"
#include "admin/backup_routes.h"
#include "admin/user_routes.h"
#include "app/api_docs.h"
#include "app/change_listener.h"
#include "app/housekeeping.h"
#include "app/public_api.h"
#include "auth/authenticator.h"
#include "auth/directory.h"
#include "auth/failure_counters.h"
#include "auth/replay_cache.h"
#include "backup/backup.h"
#include "backup/restore.h"
#include "base/clock.h"
#include "base/data_dir.h"
#include "base/version.h"
#include "control/control_store.h"
#include "crypto/secret_box.h"
#include "files/file_links.h"
#include "files/local_blob_store.h"
#include "files/open_blob_store.h"
#include "files/upload_staging.h"
#include "forward_auth/forward_auth_routes.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "logging/logger.h"
#include "outbox/courier.h"
#include "outbox/open_transport.h"
#include "outbox/outbox.h"
#include "ratelimit/in_process_limiter.h"
#include "ratelimit/redis_limiter.h"
#include "ratelimit/shared_limiter.h"
#include "ratelimit/tenant_limits.h"
#include "redis/redis_client.h"
#include "redis/redis_url.h"
#include "session/memory_session_store.h"
#include "session/redis_session_store.h"
#include "session/session_binder.h"
#include "session/session_cookie.h"
#include "session/sql_session_store.h"
#include "storage/postgres/postgres_url.h"
#include "storage/run_to_completion.h"
#include "tenant_api/file_routes.h"
#include "tenant_api/tenant_routes.h"
#include "tenant_api/upload_locks.h"
#include "tenant_api/upload_routes.h"
#include "tenant_api/upload_sweep.h"
#include "tenant_db/pool.h"
#include "tenant_db/provisioning.h"
#include "tenant_db/restore_marks.h"
#include "tenant_db/tenant_data.h"
#include "tenant_db/tenant_databases.h"
#include "usage/pooled_totals.h"
#include "usage/usage_meter.h"
#include "users/user_routes.h"

namespace tenantd::app {
namespace {

int Fail(std::string_view message) {
  std::fprintf(stderr, "tenantd: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

// Every pooled tenant database holds three descriptors and every connection
// one: the soft limit (often 1024) would be the first thing to run out.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int Serve(const config::Config& config, const std::vector<storage::Migration>& tenant_migrations) {
  RaiseOpenFileLimit();
  // Before anything creates a file in it (the logger is first).
  if (auto st = base::PrepareDataDir(config.data_dir); !st) return Fail(st.error().public_message);
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
  // The control store: SQLite in the data directory, or PostgreSQL when
  // TENANTD_DATABASE_URL is set (migrated now; other nodes wait meanwhile).
  auto control_db = control::OpenControlDatabase(config.data_dir, config.database_url.Reveal());
  if (!control_db) return Fail(control_db.error().public_message);
  control::ControlStoreOptions store_options;
  store_options.plans = config.plans.Names();
  store_options.max_staleness = config.cache_max_staleness;
  store_options.clock = &base::ServerClock();
  auto store = storage::RunToCompletion(
      control::ControlStore::Open(std::move(*control_db), *box, std::move(store_options)));
  if (!store) {
    return Fail(store.error().public_message +
                (store.error().log_detail.empty() ? "" : " (" + store.error().log_detail + ")"));
  }
  // On PostgreSQL, other nodes' changes are announced as they commit.
  std::unique_ptr<ChangeListener> change_listener;
  if (!config.database_url.Reveal().empty()) {
    const std::string& listen_url = config.database_listen_url.Reveal().empty()
                                        ? config.database_url.Reveal()
                                        : config.database_listen_url.Reveal();
    auto url = storage::ParsePostgresUrl(listen_url);
    if (!url) return Fail("TENANTD_DATABASE_LISTEN_URL: " + url.error().public_message);
    change_listener = std::make_unique<ChangeListener>(**store, std::move(*url), log);
  }
  // Email (api.md §11): request handlers queue messages in the outbox; the
  // courier, on a thread of its own, delivers them over SMTP or as .eml
  // files. Its link base is final once the server listens (port 0).
  auto mail_transport =
      outbox::OpenTransport(config.smtp_url.Reveal(), config.smtp_ca_file, config.data_dir);
  if (!mail_transport) return Fail(mail_transport.error().public_message);
  outbox::OutboxOptions outbox_options;
  outbox_options.from = config.mail_from;
  outbox_options.clock = &base::ServerClock();
  outbox_options.link_base = config::AuthLinkBase(config, config.port);
  outbox::Outbox outbox(**store, *box, std::move(outbox_options));
  outbox::CourierOptions courier_options;
  courier_options.clock = &base::ServerClock();
  courier_options.log = &log;
  courier_options.send_timeout = outbox::kSmtpTimeout;
  outbox::Courier courier(**store, *box, *mail_transport->transport, courier_options);
  outbox.OnEnqueued([&courier] { courier.Wake(); });

  auto token = admin::EnsureAdminToken(config.admin_token, config.data_dir, **store);
  if (!token) return Fail(token.error().public_message + " " + token.error().log_detail);

  const tenant_db::TenantDatabases databases(config.data_dir, tenant_migrations);
  // A crash while a tenant was being created or purged can leave a database
  // file no tenant owns; it goes before anything is served.
  auto orphans = storage::RunToCompletion(tenant_db::RemoveOrphanDatabases(**store, databases));
  if (!orphans) return Fail(orphans.error().public_message + " " + orphans.error().log_detail);
  for (const std::string& name : *orphans) {
    log.Warn("removed tenants/" + name +
             ": no tenant owns it (left by an interrupted create or "
             "purge)");
  }
  // Blocking work of the local blob store (fsync of a finished upload)
  // runs here, never on an event-loop thread.
  boost::asio::thread_pool blocking(2);
  auto blob_store = files::OpenBlobStore(config, &blocking);
  if (!blob_store) return Fail(blob_store.error().public_message);
  files::BlobStore& blobs = **blob_store;
  // Uploads a crash interrupted leave temporaries (and maybe bytes no
  // metadata row claims); they go before anything is served.
  files::LocalBlobStore local_blobs(config.data_dir);
  auto recovered = local_blobs.Recover([&](std::string_view tenant_id, std::string_view file_id) {
    auto db = databases.Open(tenant_id);
    if (!db) return base::Result<bool>(db.error().code != base::ErrorCode::kNotFound);
    auto st = (*db)->Prepare("SELECT 1 FROM files WHERE id = ?");
    if (!st) return base::Result<bool>(true);  // keep bytes rather than guess
    st->Bind(1, file_id);
    auto row = st->Step();
    return base::Result<bool>(!row || *row);
  });
  if (!recovered)
    return Fail(recovered.error().public_message + " " + recovered.error().log_detail);
  if (recovered->temporaries > 0) {
    log.Warn("removed " + std::to_string(recovered->temporaries) +
             " unfinished upload(s) left by an interrupted run");
  }
  tenant_db::PoolOptions pool_options;
  pool_options.capacity = config.tenant_db_pool_size;
  pool_options.idle_ttl = config.tenant_db_idle_ttl;
  // Opening a tenant database is CPU work (its schema is parsed): as many
  // threads as event loops, so a burst of cold tenants can use every core
  // without holding up the warm requests on the loops.
  pool_options.open_threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  tenant_db::TenantDbPool pool(databases, pool_options);

  // Redis, when REDIS_URL is set: sessions and rate limits shared by every
  // process using it (rate limits fall back to this process while it is away).
  std::unique_ptr<redis::RedisClient> redis_client;
  std::unique_ptr<ratelimit::RedisLimiter> redis_limiter;
  if (!config.redis_url.empty()) {
    auto url = redis::ParseRedisUrl(config.redis_url.Reveal());
    if (!url) return Fail(url.error().public_message);
    redis_client = std::make_unique<redis::RedisClient>(redis::RedisClientOptions{*url});
    redis_limiter = std::make_unique<ratelimit::RedisLimiter>(*redis_client);
    if (const std::string why = redis_client->Health(); !why.empty()) {
      log.Warn("Redis does not answer (" + why + "); limiting in this process until it does");
    }
  }

  // Backups, restores and usage (backup/, usage/). A restore that a crash
  // interrupted is finished or rolled back before anything is served.
  tenant_db::RestoreMarks restore_marks;
  pool.UseRestoreMarks(&restore_marks);
  // Backups read file bytes from the S3 store; local ones straight from
  // the uploads directory.
  const backup::Backups backups(
      databases, {config.backup_dump_command, config.blob_store == "s3" ? &blobs : nullptr});
  const backup::Restorer restorer(databases, &restore_marks);
  auto swept = restorer.Sweep();
  if (!swept) return Fail(swept.error().public_message + " " + swept.error().log_detail);
  for (const std::string& line : *swept) log.Warn(line);
  usage::UsageMeter usage_meter;
  // One worker: backups and restores compress and fsync off the event loop,
  // one at a time, leaving the other cores to the requests.
  boost::asio::thread_pool backup_workers(1);

  std::unique_ptr<session::SessionStore> sessions;
  if (redis_client) {
    sessions = std::make_unique<session::RedisSessionStore>(*redis_client);
  } else if (config.session_store == "memory") {
    sessions = std::make_unique<session::MemorySessionStore>();
  } else {
    // On PostgreSQL other nodes may end a session: one read from the
    // database is trusted for half a second, then read again.
    const auto recheck = config.database_url.Reveal().empty() ? std::chrono::milliseconds(0)
                                                              : std::chrono::milliseconds(500);
    sessions = std::make_unique<session::SqlSessionStore>((*store)->database(), recheck);
  }
  // Each purpose its own subkey: a leak of one cannot forge another.
  const session::SessionCookies cookies(box->DeriveKey("session-cookie-signing"),
                                        box->DeriveKey("session-id-pepper"));
  auth::Directory directory(**store);
  auth::ReplayCache replays(config.signature_skew);
  auth::AuthFailureCounters auth_failures;
  auth::AuthenticatorOptions auth_options;
  auth_options.base_domain = config.base_domain;
  auth_options.dev_mode = config.dev_mode;
  auth_options.signature_skew = config.signature_skew;
  const auth::Authenticator authenticator(auth_options, directory, *sessions, cookies, replays);
  session::SessionBinderOptions binder_options;
  binder_options.session_ttl = config.session_ttl;
  binder_options.user_session_ttl = config.user_session_ttl;
  binder_options.force_secure_cookies = config.force_secure_cookies;
  const session::SessionBinder session_binder(binder_options, *sessions, cookies);
  // The counts: in this process, or in Redis shared by every node (this
  // process's own while Redis is away, unless configured to fail closed).
  ratelimit::InProcessLimiter local_limiter;
  std::optional<ratelimit::SharedLimiter> shared_limiter;
  if (redis_limiter) {
    shared_limiter.emplace(*redis_limiter, local_limiter, config.rate_limit_redis_down == "closed");
  }
  ratelimit::TenantLimits limits(
      {config.plans, config.rate_limit_window, config.auth_failures_per_ip,
       config.auth_failures_per_key, config.signin_failures_per_email,
       config.user_auth_requests_per_ip},
      shared_limiter ? static_cast<ratelimit::RateLimiter&>(*shared_limiter) : local_limiter);
  // Every tenant route: gate, authenticate, admit, bind the session.
  const access::TenantAccess tenant_access(authenticator, session_binder, auth_failures, &limits);

  http::Metrics metrics;
  http::Router router;
  admin::AdminAuth admin_auth(token->sha256, &auth_failures, &limits);
  std::vector<ReadinessCheck> readiness;
  if (redis_client) {
    readiness.push_back({"redis", [&redis_client] { return redis_client->HealthAsync(); }});
  }
  RegisterPublicRoutes(router, **store, metrics, std::move(readiness));
  admin::RegisterAdminRoutes(router, admin_auth, {**store, databases, pool, &blobs, &blocking});
  admin::RegisterUserRoutes(router, admin_auth, {**store, *sessions});
  admin::RegisterBackupRoutes(router, admin_auth,
                              {**store, backups, restorer, pool, usage_meter, backup_workers});
  const tenant_api::TenantRoutes tenant_routes(tenant_access, auth_failures, directory, **store,
                                               *sessions, pool);
  tenant_routes.Register(router);
  const files::FileLinks file_links(box->DeriveKey("file-link-signing"));
  // The local store's one-time upload URLs: a key of their own, so a
  // download link never opens the upload route.
  const files::FileLinks upload_links(box->DeriveKey("file-upload-signing"));
  // A committed write on a tenant's file rows may change its file totals:
  // the next usage flush reads them again (and only then).
  tenant_db::TenantData file_data(
      pool, [&usage_meter](std::string_view tenant_id) { usage_meter.FilesChanged(tenant_id); });
  // Files on their way in (api.md §14): tus uploads staged on this node's
  // disk, and the sweep that removes expired ones and pending direct uploads.
  const files::UploadStaging upload_staging(config.data_dir, &blocking);
  tenant_api::UploadSweep upload_sweep(file_data, blobs, upload_staging);
  tenant_api::UploadLocks upload_locks;
  tenant_api::FileHandlers file_handlers{file_data,
                                         blobs,
                                         file_links,
                                         directory,
                                         config.plans,
                                         blocking,
                                         config.max_upload_size,
                                         &limits,
                                         config.public_url};
  file_handlers.upload_links = &upload_links;
  file_handlers.sweep = &upload_sweep;
  tenant_api::VariantFlights variant_flights;
  file_handlers.image_sizes = &config.image_variants;
  file_handlers.variant_flights = &variant_flights;
  const tenant_api::FileRoutes file_routes(tenant_access, auth_failures, file_handlers,
                                           config.public_file_rate);
  file_routes.Register(router);
  const tenant_api::UploadRoutes upload_routes(
      tenant_access, auth_failures,
      tenant_api::UploadHandlers{file_data, blobs, upload_staging, upload_locks, upload_sweep,
                                 config.plans, &blocking, config.max_upload_size,
                                 config.public_url});
  upload_routes.Register(router);
  // Pending files and uploads may have outlived the last run: every tenant
  // is looked at once by the first sweep, and dropped when it has none.
  for (std::string after;;) {
    control::TenantListQuery query;
    query.after = after;
    query.limit = 500;
    auto page = storage::RunToCompletion((*store)->ListTenants(query));
    if (!page) return Fail(page.error().public_message + " " + page.error().log_detail);
    for (const control::Tenant& t : page->items) upload_sweep.Watch(t.id);
    if (!page->next_cursor || page->items.empty()) break;
    after = *page->next_cursor;
  }
  const forward_auth::ForwardAuthRoutes forward_auth_routes(
      {tenant_access, auth_failures, admin_auth,
       [&config](std::string_view peer) { return config.trusted_proxies.Contains(peer); }});
  forward_auth_routes.Register(router);
  // Sign-ins hash passwords (argon2id, 19 MiB each) on two threads of their
  // own: a burst of them neither stalls the event loops nor delays fsyncs.
  boost::asio::thread_pool password_workers(2);
  const users::UserRoutes user_routes({**store, databases, blocking, password_workers, *sessions,
                                       cookies, session_binder, tenant_access, directory,
                                       auth_failures, &limits, outbox});
  user_routes.Register(router);
  // Last: the OpenAPI document describes every route registered before it.
  for (const std::string& route : RegisterApiDocs(router, base::kVersion)) {
    log.Warn("route " + route + " has no OpenAPI description (http/route_doc.h)");
  }
  metrics.SetRoutes(router.patterns());
  metrics.AddCollector([&auth_failures](std::string& out) { auth_failures.Render(out); });
  if (change_listener) {
    metrics.AddCollector([&change_listener](std::string& out) {
      out +=
          "# HELP tenantd_control_store_listening Whether the LISTEN connection that announces "
          "other nodes' changes is up (1) or not (0).\n";
      out += "# TYPE tenantd_control_store_listening gauge\n";
      out += change_listener->listening() ? "tenantd_control_store_listening 1\n"
                                          : "tenantd_control_store_listening 0\n";
    });
  }
  metrics.AddCollector([&pool](std::string& out) { pool.Render(out); });
  metrics.AddCollector([&limits](std::string& out) { limits.Render(out); });
  metrics.AddCollector([&usage_meter](std::string& out) { usage_meter.Render(out); });
  if (redis_client) {
    metrics.AddCollector([&redis_client](std::string& out) {
      out += "# HELP tenantd_redis_up Whether Redis answered the last command (1) or not (0).\n";
      out += "# TYPE tenantd_redis_up gauge\n";
      out += redis_client->is_up() ? "tenantd_redis_up 1\n" : "tenantd_redis_up 0\n";
      out += "# HELP tenantd_redis_commands_waiting Commands sent to Redis awaiting a reply.\n";
      out += "# TYPE tenantd_redis_commands_waiting gauge\n";
      out += "tenantd_redis_commands_waiting " + std::to_string(redis_client->waiting()) + "\n";
    });
  }

  Housekeeping housekeeping({
      {"flush API key last use", std::chrono::seconds(5),
       [&] {
         if (auto st = storage::RunToCompletion(directory.FlushKeyUses()); !st) {
           log.Warn("could not record API key use: " + st.error().log_detail);
         }
       }},
      {"sweep interrupted restores", backup::kSweepInterval,
       [&] {
         auto lines = restorer.Sweep();
         if (!lines) {
           log.Warn("could not sweep restores: " + lines.error().log_detail);
           return;
         }
         for (const std::string& line : *lines) log.Warn(line);
       }},
      {"flush usage", std::chrono::seconds(10),
       [&] {
         auto flushed = usage::Flush(usage_meter, **store,
                                     usage::PooledTotals(pool, usage::kColdOpensPerFlush));
         if (!flushed) log.Warn("could not record usage: " + flushed.error().log_detail);
       }},
      {"remove expired uploads", std::chrono::seconds(5),
       [&] {
         for (const std::string& line : storage::RunToCompletion(upload_sweep.Run())) {
           log.Info(line);
         }
       }},
      {"close idle tenant databases", std::chrono::seconds(30),
       [&] { pool.CloseIdle(std::chrono::steady_clock::now()); }},
      // Memory freed after a burst (tenant handles closed and reopened,
      // tenants provisioned, sessions written behind) stays in malloc's
      // per-thread arenas, where it counts as resident for good: measured,
      // 250 of 300 MiB after a read over 3,000 tenants. This hands the
      // free pages back, so the resident size follows what is in use.
      {"return freed memory to the system", std::chrono::seconds(10), [] { malloc_trim(0); }},
      // A key whose budget is full again says nothing: dropping it bounds
      // the limiter's memory by the keys used within one window.
      {"purge rate-limit state", std::chrono::seconds(10),
       [&] { limits.Purge(std::chrono::steady_clock::now()); }},
      // Requests never wait for a Redis known to be down; this brings it
      // back into use within a quarter second of it answering again.
      {"reconnect to Redis", std::chrono::milliseconds(250),
       [&, was_up = true]() mutable {
         if (!redis_client) return;
         redis_client->Reconnect();
         const bool up = redis_client->is_up();
         if (up != was_up) {
           if (up) {
             log.Info("Redis " + redis_client->url().Masked() +
                      " answers again; sessions and rate limits "
                      "are shared again");
           } else {
             log.Warn("Redis unavailable (" + redis_client->Health() +
                      "); cookie-only requests answer 503 and " +
                      (config.rate_limit_redis_down == "closed" ? "tenant requests answer 503"
                                                                : "rate limits are per process") +
                      " until it answers");
           }
           was_up = up;
         }
       }},
      {"prune the control store's change log", std::chrono::seconds(60),
       [&] {
         if (auto st = storage::RunToCompletion((*store)->PruneChangeLog()); !st) {
           log.Warn("could not prune the change log: " + st.error().log_detail);
         }
       }},
      {"purge expired sessions", std::chrono::seconds(60),
       [&] {
         if (auto n = sessions->PurgeExpired(std::chrono::system_clock::now()); !n) {
           log.Warn("could not purge expired sessions: " + n.error().log_detail);
         }
       }},
  });

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
  options.trusted_proxies = config.trusted_proxies;
  options.forwarded_header = config.forwarded_header;
  http::ServerHooks hooks;
  hooks.on_access = [&log, &usage_meter](const http::AccessRecord& rec) {
    log.Access(rec);
    if (!rec.tenant_id.empty()) {
      usage_meter.Record(rec.tenant_id, rec.start, rec.bytes_received, rec.bytes_sent, rec.tenant);
    }
  };
  hooks.on_error = [&log](std::string_view id, std::string_view msg) { log.Error(id, msg); };

  http::Server server(options, router, metrics, std::move(hooks));
  if (auto st = server.Listen(); !st) return Fail(st.error().public_message);
  outbox.set_link_base(config::AuthLinkBase(config, server.port()));
  courier.Start();
  log.Info("email: " + mail_transport->description + ", from " + config.mail_from +
           ", links under " + outbox.link_base());

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
  courier.Stop();         // a send under way completes (within the SMTP timeout)
  backup_workers.join();  // a backup or restore under way completes
  housekeeping.Stop();    // last usage flush included
  blocking.join();
  log.Info("tenantd stopped");
  log.Flush();
  return 0;
}

}  // namespace tenantd::app
