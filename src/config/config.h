// tenantd configuration: one table of settings drives the command-line
// flags, the environment variables, the TOML keys, `--help` and
// docs/configuration.md. Precedence: flags > environment > TOML file > defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/secret.h"
#include "config/plans.h"
#include "http/client_address.h"
#include "images/variant_spec.h"

namespace tenantd::config {

// The validated settings. Member initializers are the defaults; each equals
// the default_value text of its AllSettings() row (a unit test checks).
struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                        // 0 = any free port (printed at start)
  std::filesystem::path data_dir = "./data";   // setting name "data"
  unsigned threads = 0;                        // event-loop threads; 0 = one per core
  std::size_t max_json_bytes = 1024 * 1024;    // JSON request bodies
  uint64_t max_upload_size = 0;                // one uploaded file, bytes; 0 = unlimited
  std::chrono::seconds header_timeout{10};     // whole header block must arrive within
  std::chrono::seconds body_idle_timeout{30};  // longest pause while a body arrives
  std::chrono::seconds keepalive_timeout{60};  // idle keep-alive connection lifetime
  std::chrono::seconds shutdown_timeout{10};   // drain time for in-flight requests
  // PEM paths; both or neither, each a readable regular file when Load() ran.
  std::string tls_cert;
  std::string tls_key;
  bool log_json = false;
  std::string log_level = "info";  // trace|debug|info|warn|error, lower case
  // Empty = generated into <data>/admin.token on first start; else 16+ chars.
  base::Secret admin_token;
  // Base64 of 32 bytes, checked where it is decoded; empty = <data>/master.key.
  base::Secret master_key;
  // Tenant identification and sessions (api.md §4).
  std::string base_domain;  // "" = subdomains identify nothing; else lower case, no dots at ends
  bool dev_mode = false;    // allows ?tenant=<slug>
  std::chrono::milliseconds session_ttl{7200000};
  std::chrono::milliseconds user_session_ttl{2592000000};  // a signed-in user's session
  bool force_secure_cookies = false;
  std::chrono::seconds signature_skew{300};
  std::string session_store = "control";  // control | memory
  // Rate limits (api.md §7); plan limits are in `plans`.
  std::chrono::milliseconds rate_limit_window{60000};
  uint64_t auth_failures_per_ip = 10;       // failed authentications a window, per client IP
  uint64_t auth_failures_per_key = 100;     // … per app key or API key prefix
  uint64_t signin_failures_per_email = 10;  // failed sign-ins a window, per email
  uint64_t user_auth_requests_per_ip = 60;  // /auth/v1 sign-up, sign-in… a window, per IP
  uint64_t public_file_rate = 500;          // public file requests an hour per client IP; 0 = off
  // The image variant sizes that may be made (api.md §14); empty = none.
  std::vector<images::Size> image_variants = {{64, 64}, {256, 256}, {1024, 1024}};
  // postgres://user:pass@host:port/db: the control store on PostgreSQL;
  // empty = SQLite at <data>/control.db. Holds a password.
  base::Secret database_url;
  // The LISTEN connection's own URL (a direct one when database_url goes
  // through a pooler); empty = database_url.
  base::Secret database_listen_url;
  // How long cached credentials may go unconfirmed by the control store
  // before requests answer 503 (a node cut off from PostgreSQL).
  std::chrono::seconds cache_max_staleness{5};
  // redis://[user:pass@]host:port/db; empty = no Redis. Holds a password.
  base::Secret redis_url;
  std::string rate_limit_redis_down = "local";  // local | closed
  // Tenant databases (connection manager).
  std::size_t tenant_db_pool_size = 1024;
  std::chrono::seconds tenant_db_idle_ttl{300};
  // Backups: the external dump hook (backup/backup.h), "" = none.
  std::string backup_dump_command;
  // Behind reverse proxies (docs/operations.md): the peers whose forwarding
  // header names the client, and which header that is.
  http::TrustedProxies trusted_proxies;
  http::ForwardedHeader forwarded_header = http::ForwardedHeader::kXForwardedFor;
  // "https://api.example.com" (no trailing slash): presigned links are
  // absolute under it; "" = relative links.
  std::string public_url;
  // Where file bytes live (api.md §14): "local" (<data>/storage/uploads)
  // or "s3" (the bucket below; S3Client checks the s3_* values at start).
  std::string blob_store = "local";
  std::string s3_endpoint;  // http(s)://host[:port]
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  std::string s3_access_key_id;
  base::Secret s3_secret_access_key;
  bool s3_force_path_style = false;
  std::string s3_ca_file;  // extra trusted CA certificates (PEM), "" = the system's
  // Email (api.md §11). smtp://[user:pass@]host[:port] or smtps://…; empty
  // = .eml files under <data>/mail/. Holds a password.
  base::Secret smtp_url;
  std::string smtp_ca_file;  // CAs trusted for the SMTP server (PEM), "" = the system's
  std::string mail_from = "tenantd <no-reply@localhost>";
  // Links in emails: {auth_link_base}/auth/verify?token=…; "" = public_url,
  // else derived from the listen address (AuthLinkBase).
  std::string auth_link_base;
  // Forward authentication (api.md §19): X-Tenantd-Token on /auth/v1/check
  // answers. Refused while tenantd issues no access tokens (§12).
  bool forward_token = false;

  // Not a setting row: the `[plans.<name>]` tables of the TOML file, over
  // the built-in defaults (docs/configuration.md).
  Plans plans = Plans::Defaults();
};

// One row of the settings table.
struct SettingInfo {
  std::string name;           // TOML key; flag is "--" + name with '_' -> '-'
  std::string env;            // environment variable
  std::string default_value;  // as text, for --help and docs
  std::string help;           // one line, for --help
  // Secrets have no flag: argv is visible to every user through `ps`.
  bool has_flag = true;
  // What the value is, for --help: "TEXT", "INT" or "BOOL" (true/false...).
  std::string value_type = "TEXT";
};

// Every setting, in the order of Config's members. Built once; the
// reference stays valid for the life of the process.
const std::vector<SettingInfo>& AllSettings();

// Raw setting values by setting name (SettingInfo::name).
using Values = std::map<std::string, std::string>;

// Reads the environment variables of AllSettings() (unset ones are absent).
Values EnvironmentValues();

// Builds the configuration: defaults, then `config_file`, then `env`, then
// `flags`, each value validated as it is applied. `flags` and `env` are keyed
// by setting name and hold only what was given; a flag for a setting without
// one (a secret) is refused. `config_file` (from --config or TENANTD_CONFIG)
// is optional; when given it must exist and parse, its keys must be setting
// names (plus a `plans` table of `[plans.<name>]` tables, see Plans). Every error has code
// kInvalidArgument, problem_code "invalid_config" and a one-line
// public_message naming the setting and its variable, e.g.
// `invalid port (APP_PORT): must be an integer 0-65535, got "x"`; the value
// of admin_token or master_key never appears in it.
// The base of the links in emails (api.md §11): auth_link_base, else
// public_url, else "http(s)://localhost:<port>" for a server on the
// loopback or any address, "http(s)://<host>:<port>" for one on a
// particular address. `port` is the one the server listens on (config.port
// may be 0).
std::string AuthLinkBase(const Config& config, uint16_t port);

base::Result<Config> Load(const Values& flags, const Values& env,
                          const std::optional<std::filesystem::path>& config_file);

}  // namespace tenantd::config
