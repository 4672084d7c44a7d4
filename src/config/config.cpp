#include "config/config.h"

#include <toml.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/text.h"
#include "mail/message.h"
#include "mail/smtp_transport.h"

namespace tenantd::config {
namespace {

namespace fs = std::filesystem;

// The kinds of TOML value a setting accepts besides a string. Strings feed
// every setting because environment variables and flags are text too, so a
// quoted `port = "9090"` is as good as `port = 9090`.
enum class Kind { kString, kInteger, kBoolean };

// One setting: its public row plus how its text becomes part of a Config.
struct Setting {
  SettingInfo info;
  Kind kind = Kind::kString;
  // Completes "invalid <name> (<ENV>): ", e.g. "must be an integer 0-65535".
  std::string requirement;
  // Stores `text` into `config`; false when the text breaks `requirement`.
  std::function<bool(std::string_view text, Config& config)> store;
  // A secret's value never appears in a message.
  bool is_secret = false;
};

constexpr uint64_t kMaxTimeoutSeconds = 86400;  // one day: beyond it a typo is likelier

base::Error ConfigError(std::string message) {
  return base::InvalidArgument("invalid_config", std::move(message));
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Quotes a rejected value for a one-line message: control characters and
// quotes are escaped, so a value with a newline cannot split the line, and
// long values are cut short.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

// Strict: decimal digits only, the whole text, within [min, max]. from_chars
// already refuses signs, blanks and hex prefixes for unsigned types; the
// `ptr` check refuses trailing garbage such as "12abc".
std::optional<uint64_t> ParseInteger(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<bool> ParseBoolean(std::string_view text) {
  const std::string lower = ToLower(text);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

// An http(s) URL without query or fragment that links are built under,
// its trailing '/' dropped; "" is accepted (unset).
bool StoreBaseUrl(std::string_view text, std::string& out) {
  std::string_view url = text;
  while (url.ends_with('/')) url.remove_suffix(1);
  const std::string lower = ToLower(url);
  const bool scheme = lower.starts_with("https://") || lower.starts_with("http://");
  const std::size_t host = url.find("://") + 3;
  const bool clean = std::none_of(url.begin(), url.end(), [](unsigned char c) {
    return c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '"' || c == '\\';
  });
  if (!text.empty() && (!scheme || !clean || url.size() <= host)) return false;
  out = std::string(url);
  return true;
}

Setting IntegerSetting(std::string name, std::string env, std::string default_value,
                       std::string help, uint64_t min, uint64_t max,
                       std::function<void(Config&, uint64_t)> assign) {
  Setting s;
  s.info = {std::move(name), std::move(env), std::move(default_value), std::move(help)};
  s.info.value_type = "INT";
  s.kind = Kind::kInteger;
  s.requirement = "must be an integer " + std::to_string(min) + "-" + std::to_string(max);
  s.store = [min, max, assign = std::move(assign)](std::string_view text, Config& config) {
    const std::optional<uint64_t> value = ParseInteger(text, min, max);
    if (!value) return false;
    assign(config, *value);
    return true;
  };
  return s;
}

Setting TimeoutSetting(std::string name, std::string env, std::string default_value,
                       std::string help, std::chrono::seconds Config::*member) {
  Setting s = IntegerSetting(
      std::move(name), std::move(env), std::move(default_value), std::move(help), 1,
      kMaxTimeoutSeconds,
      [member](Config& config, uint64_t value) { config.*member = std::chrono::seconds(value); });
  s.requirement = "must be a whole number of seconds 1-" + std::to_string(kMaxTimeoutSeconds);
  return s;
}

Setting BooleanSetting(std::string name, std::string env, std::string default_value,
                       std::string help, bool Config::*member) {
  Setting s;
  s.info = {std::move(name), std::move(env), std::move(default_value), std::move(help)};
  s.info.value_type = "BOOL";
  s.kind = Kind::kBoolean;
  s.requirement = "must be one of 1, 0, true, false, yes, no, on, off";
  s.store = [member](std::string_view text, Config& config) {
    const std::optional<bool> value = ParseBoolean(text);
    if (!value) return false;
    config.*member = *value;
    return true;
  };
  return s;
}

// An empty path means "no TLS"; whether the file is readable is checked once
// every layer has been applied (CheckTls), because a later layer may still
// replace the path.
Setting TlsPathSetting(std::string name, std::string env, std::string help,
                       std::string Config::*member) {
  Setting s;
  s.info = {std::move(name), std::move(env), "", std::move(help)};
  s.requirement = "must be a file path";
  s.store = [member](std::string_view text, Config& config) {
    config.*member = std::string(text);
    return true;
  };
  return s;
}

// A postgres:// URL. It holds a password: no flag (argv shows in `ps`),
// never echoed. Its parts are checked where it is used (storage/postgres).
Setting PostgresUrlSetting(std::string name, std::string env, std::string help,
                           base::Secret Config::*member) {
  Setting s;
  s.info = {std::move(name), std::move(env), "", std::move(help), /*has_flag=*/false};
  s.requirement = "must be postgres://user:pass@host:port/db";
  s.is_secret = true;
  s.store = [member](std::string_view text, Config& config) {
    if (!text.empty() && !text.starts_with("postgres://") && !text.starts_with("postgresql://")) {
      return false;
    }
    config.*member = base::Secret(std::string(text));
    return true;
  };
  return s;
}

// The one table. Its order is the order of Config's members, of `--help`
// and of docs/configuration.md; default_value must match Config's
// initializers (a unit test loads each default_value to check).
const std::vector<Setting>& Table() {
  static const std::vector<Setting> table = [] {
    std::vector<Setting> t;

    Setting host;
    host.info = {"host", "APP_HOST", "127.0.0.1",
                 "Address to listen on (IP address or host name; 0.0.0.0 for all IPv4)."};
    host.requirement = "must be a host name or IP address";
    host.store = [](std::string_view text, Config& config) {
      const bool has_blank = std::any_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isspace(c) || std::iscntrl(c);
      });
      if (text.empty() || has_blank) return false;
      config.host = std::string(text);
      return true;
    };
    t.push_back(std::move(host));

    t.push_back(IntegerSetting(
        "port", "APP_PORT", "8080", "TCP port to listen on; 0 picks a free port and prints it.", 0,
        65535, [](Config& config, uint64_t value) { config.port = static_cast<uint16_t>(value); }));

    Setting data;
    data.info = {"data", "TENANTD_DATA", "./data",
                 "Data directory: control database, keys, tenant data, logs."};
    data.requirement = "must be a non-empty directory path";
    data.store = [](std::string_view text, Config& config) {
      if (text.empty()) return false;
      config.data_dir = fs::path(std::string(text));
      return true;
    };
    t.push_back(std::move(data));

    t.push_back(IntegerSetting(
        "threads", "TENANTD_THREADS", "0", "Event-loop threads; 0 means one per CPU core.", 0, 256,
        [](Config& config, uint64_t value) { config.threads = static_cast<unsigned>(value); }));
    t.push_back(IntegerSetting("max_json_bytes", "TENANTD_MAX_JSON_BYTES", "1048576",
                               "Largest JSON request body in bytes; a larger one is answered 413.",
                               1, 1073741824, [](Config& config, uint64_t value) {
                                 config.max_json_bytes = static_cast<std::size_t>(value);
                               }));
    t.push_back(IntegerSetting(
        "max_upload_size", "MAX_UPLOAD_SIZE", "0",
        "Largest uploaded file in bytes (413 above it); 0 = unlimited (plan quotas still apply).",
        0, uint64_t{1} << 50,
        [](Config& config, uint64_t value) { config.max_upload_size = value; }));
    t.push_back(TimeoutSetting("header_timeout", "TENANTD_HEADER_TIMEOUT", "10",
                               "Seconds a client has to send the whole header block.",
                               &Config::header_timeout));
    t.push_back(TimeoutSetting("body_idle_timeout", "TENANTD_BODY_IDLE_TIMEOUT", "30",
                               "Longest pause, in seconds, while a request body arrives.",
                               &Config::body_idle_timeout));
    t.push_back(TimeoutSetting("keepalive_timeout", "TENANTD_KEEPALIVE_TIMEOUT", "60",
                               "Seconds an idle keep-alive connection stays open.",
                               &Config::keepalive_timeout));
    t.push_back(TimeoutSetting("shutdown_timeout", "TENANTD_SHUTDOWN_TIMEOUT", "10",
                               "Seconds in-flight requests get to finish on SIGTERM/SIGINT.",
                               &Config::shutdown_timeout));
    t.push_back(TlsPathSetting("tls_cert", "TENANTD_TLS_CERT",
                               "PEM certificate chain; set with tls_key to serve HTTPS.",
                               &Config::tls_cert));
    t.push_back(TlsPathSetting("tls_key", "TENANTD_TLS_KEY",
                               "PEM private key; set with tls_cert to serve HTTPS.",
                               &Config::tls_key));

    t.push_back(BooleanSetting("log_json", "LOG_JSON", "false",
                               "Also write every access line as one JSON object (1/0, true/false, "
                               "yes/no, on/off).",
                               &Config::log_json));

    Setting log_level;
    log_level.info = {"log_level", "TENANTD_LOG_LEVEL", "info",
                      "Least severe level logged: trace, debug, info, warn or error."};
    log_level.requirement = "must be one of trace, debug, info, warn, error";
    log_level.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
        if (lower == level) {
          config.log_level = lower;
          return true;
        }
      }
      return false;
    };
    t.push_back(std::move(log_level));

    // Secrets have no flag (argv is visible to every user through `ps`) and
    // an empty value means "not set", so a deployment template that expands
    // an unset variable to "" gets the documented generated default.
    Setting admin_token;
    admin_token.info = {"admin_token", "TENANTD_ADMIN_TOKEN", "",
                        "Bearer token for /admin (16+ characters); generated into "
                        "<data>/admin.token when unset.",
                        /*has_flag=*/false};
    admin_token.requirement = "must be at least 16 characters";
    admin_token.is_secret = true;
    admin_token.store = [](std::string_view text, Config& config) {
      // 16 characters is the floor below which online guessing stops being
      // hopeless; generated tokens are much longer.
      if (!text.empty() && text.size() < 16) return false;
      config.admin_token = base::Secret(std::string(text));
      return true;
    };
    t.push_back(std::move(admin_token));

    Setting master_key;
    master_key.info = {"master_key", "TENANTD_MASTER_KEY", "",
                       "Base64 of 32 random bytes encrypting app secrets; generated into "
                       "<data>/master.key when unset.",
                       /*has_flag=*/false};
    master_key.requirement = "must be base64 of 32 bytes";
    master_key.is_secret = true;
    // The crypto module decodes and checks the key, where a bad one can be
    // reported without this module depending on it.
    master_key.store = [](std::string_view text, Config& config) {
      config.master_key = base::Secret(std::string(text));
      return true;
    };
    t.push_back(std::move(master_key));

    Setting base_domain;
    base_domain.info = {"base_domain", "TENANTD_BASE_DOMAIN", "",
                        "Domain under which <slug>.<domain> identifies a tenant (e.g. "
                        "api.example.com); empty = off."};
    base_domain.requirement = "must be a domain name such as api.example.com";
    base_domain.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      const bool valid = std::all_of(lower.begin(), lower.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.';
      });
      if (!valid || (!lower.empty() && (lower.front() == '.' || lower.back() == '.'))) {
        return false;
      }
      config.base_domain = lower;
      return true;
    };
    t.push_back(std::move(base_domain));

    t.push_back(BooleanSetting("dev_mode", "TENANTD_DEV_MODE", "false",
                               "Development conveniences: ?tenant=<slug> identifies a tenant.",
                               &Config::dev_mode));
    t.push_back(IntegerSetting(
        "session_ttl_ms", "SESSION_TTL_MS", "7200000",
        "Session lifetime in milliseconds, sliding: use in the second half extends it.", 60000,
        31536000000ULL, [](Config& config, uint64_t value) {
          config.session_ttl = std::chrono::milliseconds(value);
        }));
    t.push_back(IntegerSetting(
        "user_session_ttl_ms", "USER_SESSION_TTL_MS", "2592000000",
        "A signed-in user's session lifetime in milliseconds (api.md §11), rolling: renewed when "
        "less than half is left.",
        60000, 31536000000ULL, [](Config& config, uint64_t value) {
          config.user_session_ttl = std::chrono::milliseconds(value);
        }));
    t.push_back(BooleanSetting("force_secure_cookies", "FORCE_SECURE_COOKIES", "false",
                               "Mark the session cookie Secure also over plain HTTP (behind a "
                               "TLS-terminating proxy).",
                               &Config::force_secure_cookies));
    t.push_back(
        IntegerSetting("signature_skew", "TENANTD_SIGNATURE_SKEW", "300",
                       "Seconds a signed request's X-Date may differ from the server clock.", 1,
                       3600, [](Config& config, uint64_t value) {
                         config.signature_skew = std::chrono::seconds(value);
                       }));

    Setting session_store;
    session_store.info = {"session_store", "TENANTD_SESSION_STORE", "control",
                          "Where sessions live: control (control database, survives restarts) or "
                          "memory (this process only)."};
    session_store.requirement = "must be control or memory";
    session_store.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      if (lower != "control" && lower != "memory") return false;
      config.session_store = lower;
      return true;
    };
    t.push_back(std::move(session_store));

    // Rate limits (api.md §7). The window exists as a setting so tests can
    // watch a limit roll over in a second or two; production keeps a minute.
    t.push_back(IntegerSetting(
        "rate_limit_window_ms", "TENANTD_RATE_LIMIT_WINDOW_MS", "60000",
        "Rate-limit window in milliseconds; plan limits count per window. Keep 60000 outside "
        "tests.",
        100, 3600000, [](Config& config, uint64_t value) {
          config.rate_limit_window = std::chrono::milliseconds(value);
        }));
    t.push_back(IntegerSetting(
        "auth_failures_per_ip", "TENANTD_AUTH_FAILURES_PER_IP", "10",
        "Failed authentications a client IP may make per window before its requests "
        "answer 429.",
        1, 1000000, [](Config& config, uint64_t value) { config.auth_failures_per_ip = value; }));
    t.push_back(IntegerSetting(
        "auth_failures_per_key", "TENANTD_AUTH_FAILURES_PER_KEY", "100",
        "Failed authentications per window for one app key or API key prefix before its "
        "requests answer 429.",
        1, 1000000, [](Config& config, uint64_t value) { config.auth_failures_per_key = value; }));
    t.push_back(IntegerSetting(
        "signin_failures_per_email", "TENANTD_SIGNIN_FAILURES_PER_EMAIL", "10",
        "Failed sign-ins per window for one email address before sign-ins with it answer 429 "
        "(the client IP's count is auth_failures_per_ip).",
        1, 1000000,
        [](Config& config, uint64_t value) { config.signin_failures_per_email = value; }));
    t.push_back(IntegerSetting(
        "user_auth_requests_per_ip", "TENANTD_USER_AUTH_REQUESTS_PER_IP", "60",
        "Requests per window one client IP may make to the user routes that need no session "
        "(sign-up, sign-in, recover, reset, verify, accept an invite) before they answer 429.",
        1, 1000000,
        [](Config& config, uint64_t value) { config.user_auth_requests_per_ip = value; }));
    t.push_back(IntegerSetting(
        "public_file_rate", "TENANTD_PUBLIC_FILE_RATE", "500",
        "Public file requests (/public/…) one client IP may make per hour before they answer "
        "429; 0 = no limit.",
        0, 100000000, [](Config& config, uint64_t value) { config.public_file_rate = value; }));

    t.push_back(
        PostgresUrlSetting("database_url", "TENANTD_DATABASE_URL",
                           "postgres://user:pass@host:port/db: the control store on "
                           "PostgreSQL; empty = the embedded SQLite file <data>/control.db.",
                           &Config::database_url));
    // The control store's LISTEN connection must reach PostgreSQL itself:
    // through a pooler in transaction mode the LISTEN would be lost.
    t.push_back(PostgresUrlSetting(
        "database_listen_url", "TENANTD_DATABASE_LISTEN_URL",
        "postgres://…: where the control store's LISTEN connection goes, when "
        "TENANTD_DATABASE_URL names a pooler (PgBouncer); empty = TENANTD_DATABASE_URL.",
        &Config::database_listen_url));
    t.push_back(IntegerSetting(
        "cache_max_staleness", "TENANTD_CACHE_MAX_STALENESS", "5",
        "Seconds a server may answer from credentials it cached without confirming them with the "
        "control store; past that it answers 503 until it can.",
        1, 3600, [](Config& config, uint64_t value) {
          config.cache_max_staleness = std::chrono::seconds(value);
        }));

    // Holds a password: no flag (argv shows in `ps`), and never echoed.
    // The URL's parts are checked where it is used (redis module).
    Setting redis_url;
    redis_url.info = {"redis_url", "REDIS_URL", "",
                      "redis://[user:pass@]host:port/db: rate limits shared by every process "
                      "using it; empty = each process limits alone.",
                      /*has_flag=*/false};
    redis_url.requirement = "must be redis://[user:pass@]host:port/db";
    redis_url.is_secret = true;
    redis_url.store = [](std::string_view text, Config& config) {
      if (!text.empty() && !text.starts_with("redis://")) return false;
      config.redis_url = base::Secret(std::string(text));
      return true;
    };
    t.push_back(std::move(redis_url));

    Setting redis_down;
    redis_down.info = {"rate_limit_redis_down", "TENANTD_RATE_LIMIT_REDIS_DOWN", "local",
                       "While Redis is unreachable: local (each process limits alone) or closed "
                       "(tenant requests answer 503)."};
    redis_down.requirement = "must be local or closed";
    redis_down.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      if (lower != "local" && lower != "closed") return false;
      config.rate_limit_redis_down = lower;
      return true;
    };
    t.push_back(std::move(redis_down));

    t.push_back(IntegerSetting(
        "tenant_db_pool_size", "TENANTD_TENANT_DB_POOL_SIZE", "1024",
        "Tenant database handles kept open (3 file descriptors each); least recently used close "
        "first.",
        1, 1000000, [](Config& config, uint64_t value) { config.tenant_db_pool_size = value; }));
    t.push_back(IntegerSetting("tenant_db_idle_ttl", "TENANTD_TENANT_DB_IDLE_TTL", "300",
                               "Seconds an unused tenant database handle stays open.", 1, 86400,
                               [](Config& config, uint64_t value) {
                                 config.tenant_db_idle_ttl = std::chrono::seconds(value);
                               }));

    // Backups (docs/operations.md): a command whose stdout is added to each
    // tenant's backup archive (external database dumps).
    Setting backup_dump_command;
    backup_dump_command.info = {
        "backup_dump_command", "TENANTD_BACKUP_DUMP_COMMAND", "",
        "Shell command run per tenant during a backup; its stdout is archived as "
        "dumps/database.dump ({tenant_id}, {slug}, {data} are replaced). Empty = none."};
    backup_dump_command.requirement = "must be one line, not only blanks";
    backup_dump_command.store = [](std::string_view text, Config& config) {
      // Blanks alone are a template gone wrong, not "no hook" (that is "").
      const bool blank = !text.empty() && text.find_first_not_of(" \t\r") == std::string_view::npos;
      if (blank || text.find('\n') != std::string_view::npos) return false;
      config.backup_dump_command = std::string(text);
      return true;
    };
    t.push_back(std::move(backup_dump_command));

    Setting image_variants;
    image_variants.info = {"image_variants", "TENANTD_IMAGE_VARIANTS", "64x64,256x256,1024x1024",
                           "The sizes (W x H, comma-separated) image variants may be made in "
                           "(GET /v1/files/{id}/variants/<W>x<H>.<png|webp|jpeg>); other sizes "
                           "answer 404; empty = no variants."};
    image_variants.requirement = "must be sizes such as 64x64,256x256 (sides 1..8192)";
    image_variants.store = [](std::string_view text, Config& config) {
      base::Result<std::vector<images::Size>> parsed = images::ParseSizes(text);
      if (!parsed) return false;
      config.image_variants = std::move(*parsed);
      return true;
    };
    t.push_back(std::move(image_variants));

    // Behind reverse proxies (docs/operations.md "Running behind a proxy").
    Setting trusted_proxies;
    trusted_proxies.info = {"trusted_proxies", "TENANTD_TRUSTED_PROXIES", "",
                            "Proxies (IPs or CIDRs, comma-separated) whose forwarding header "
                            "names the client; empty = the peer is the client."};
    trusted_proxies.requirement = "must be IP addresses or CIDRs such as 10.0.0.0/8, ::1";
    trusted_proxies.store = [](std::string_view text, Config& config) {
      base::Result<http::TrustedProxies> parsed = http::TrustedProxies::Parse(text);
      if (!parsed) return false;
      config.trusted_proxies = std::move(*parsed);
      return true;
    };
    t.push_back(std::move(trusted_proxies));

    Setting forwarded_header;
    forwarded_header.info = {"forwarded_header", "TENANTD_FORWARDED_HEADER", "x-forwarded-for",
                             "The header trusted proxies write: x-forwarded-for or forwarded "
                             "(RFC 7239); the other is ignored."};
    forwarded_header.requirement = "must be x-forwarded-for or forwarded";
    forwarded_header.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      if (lower == "x-forwarded-for") {
        config.forwarded_header = http::ForwardedHeader::kXForwardedFor;
      } else if (lower == "forwarded") {
        config.forwarded_header = http::ForwardedHeader::kForwarded;
      } else {
        return false;
      }
      return true;
    };
    t.push_back(std::move(forwarded_header));

    Setting public_url;
    public_url.info = {"public_url", "TENANTD_PUBLIC_URL", "",
                       "The URL clients reach this server at (https://api.example.com); "
                       "presigned links are absolute under it. Empty = relative links."};
    public_url.requirement = "must be an http:// or https:// URL without query or fragment";
    public_url.store = [](std::string_view text, Config& config) {
      return StoreBaseUrl(text, config.public_url);
    };
    t.push_back(std::move(public_url));
    // File storage (api.md §14, docs/operations.md "File storage").
    Setting blob_store;
    blob_store.info = {"blob_store", "TENANTD_BLOB_STORE", "local",
                       "Where file bytes live: local (<data>/storage/uploads) or s3 (the "
                       "s3_* settings)."};
    blob_store.requirement = "must be local or s3";
    blob_store.store = [](std::string_view text, Config& config) {
      const std::string lower = ToLower(text);
      if (lower != "local" && lower != "s3") return false;
      config.blob_store = lower;
      return true;
    };
    t.push_back(std::move(blob_store));
    auto text_setting = [](std::string name, std::string env, std::string default_value,
                           std::string help, std::string requirement, std::string Config::*member) {
      Setting s;
      s.info = {std::move(name), std::move(env), std::move(default_value), std::move(help)};
      s.requirement = std::move(requirement);
      s.store = [member](std::string_view text, Config& config) {
        if (text.find_first_of(" \t\r\n") != std::string_view::npos) return false;
        config.*member = std::string(text);
        return true;
      };
      return s;
    };
    t.push_back(text_setting("s3_endpoint", "TENANTD_S3_ENDPOINT", "",
                             "S3 endpoint URL, http(s)://host[:port] (blob_store = s3).",
                             "must be a URL without blanks", &Config::s3_endpoint));
    t.push_back(text_setting("s3_region", "TENANTD_S3_REGION", "us-east-1",
                             "S3 region the requests are signed for.", "must have no blanks",
                             &Config::s3_region));
    t.push_back(text_setting("s3_bucket", "TENANTD_S3_BUCKET", "",
                             "S3 bucket holding every tenant's files under tenant-<id>/.",
                             "must have no blanks", &Config::s3_bucket));
    t.push_back(text_setting("s3_access_key_id", "TENANTD_S3_ACCESS_KEY_ID", "",
                             "S3 access key id.", "must have no blanks",
                             &Config::s3_access_key_id));
    Setting s3_secret;
    s3_secret.info = {"s3_secret_access_key", "TENANTD_S3_SECRET_ACCESS_KEY", "",
                      "S3 secret access key (a secret: no flag, never printed).",
                      /*has_flag=*/false};
    s3_secret.requirement = "must have no blanks";
    s3_secret.is_secret = true;
    s3_secret.store = [](std::string_view text, Config& config) {
      if (text.find_first_of(" \t\r\n") != std::string_view::npos) return false;
      config.s3_secret_access_key = base::Secret(std::string(text));
      return true;
    };
    t.push_back(std::move(s3_secret));
    t.push_back(BooleanSetting("s3_force_path_style", "TENANTD_S3_FORCE_PATH_STYLE", "false",
                               "Address the bucket as host/bucket/key (MinIO and most "
                               "self-hosted stores) instead of bucket.host/key.",
                               &Config::s3_force_path_style));
    t.push_back(text_setting("s3_ca_file", "TENANTD_S3_CA_FILE", "",
                             "PEM file of extra CA certificates trusted for an https S3 "
                             "endpoint.",
                             "must be a file path without blanks", &Config::s3_ca_file));

    // Email (api.md §11 "Email", docs/operations.md "Email delivery").
    // Holds a password: no flag, never echoed; parsed here so that a typo
    // stops start-up rather than every email.
    Setting smtp_url;
    smtp_url.info = {"smtp_url", "TENANTD_SMTP_URL", "",
                     "smtp://[user:pass@]host[:port] (STARTTLS) or smtps://… (implicit TLS): "
                     "where emails are sent; empty = written as .eml files under <data>/mail/.",
                     /*has_flag=*/false};
    smtp_url.requirement =
        "must be smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]";
    smtp_url.is_secret = true;
    smtp_url.store = [](std::string_view text, Config& config) {
      if (!text.empty() && !mail::ParseSmtpUrl(text)) return false;
      config.smtp_url = base::Secret(std::string(text));
      return true;
    };
    t.push_back(std::move(smtp_url));
    t.push_back(text_setting("smtp_ca_file", "TENANTD_SMTP_CA_FILE", "",
                             "PEM file of the CA certificates trusted for the SMTP server's TLS "
                             "(STARTTLS or smtps); empty = the system's.",
                             "must be a file path without blanks", &Config::smtp_ca_file));
    Setting mail_from;
    mail_from.info = {"mail_from", "TENANTD_MAIL_FROM", "tenantd <no-reply@localhost>",
                      "The From of tenantd's emails: an address, optionally with a display name "
                      "(\"Acme <no-reply@acme.example>\")."};
    mail_from.requirement =
        "must be one address local@domain, optionally as \"Name <local@domain>\"";
    mail_from.store = [](std::string_view text, Config& config) {
      if (!mail::BareAddress(text)) return false;
      config.mail_from = std::string(base::TrimAsciiSpace(text));
      return true;
    };
    t.push_back(std::move(mail_from));
    Setting auth_link_base;
    auth_link_base.info = {"auth_link_base", "TENANTD_AUTH_LINK_BASE", "",
                           "Where the links in emails point: {base}/auth/verify?token=…; empty = "
                           "public_url, else http://localhost:<port>."};
    auth_link_base.requirement = "must be an http:// or https:// URL without query or fragment";
    auth_link_base.store = [](std::string_view text, Config& config) {
      return StoreBaseUrl(text, config.auth_link_base);
    };
    t.push_back(std::move(auth_link_base));

    // X-Tenantd-Token needs tenantd's own access tokens (api.md §12), which
    // this version does not issue: turning it on must fail loudly at
    // start-up, not serve answers without the token the upstream expects.
    Setting forward_token = BooleanSetting(
        "forward_token", "TENANTD_FORWARD_TOKEN", "false",
        "Add X-Tenantd-Token to /auth/v1/check answers; not available yet (needs tenantd access "
        "tokens), so only false is accepted.",
        &Config::forward_token);
    forward_token.requirement =
        "must be false: X-Tenantd-Token needs tenantd's own access tokens (api.md §12), which "
        "this version does not issue yet; the upstream can trust the X-Tenant-* headers on a "
        "private network instead (docs/forward-auth.md)";
    forward_token.store = [](std::string_view text, Config& config) {
      const std::optional<bool> value = ParseBoolean(text);
      if (!value || *value) return false;
      config.forward_token = false;
      return true;
    };
    t.push_back(std::move(forward_token));

    return t;
  }();
  return table;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : Table()) {
    if (s.info.name == name) return &s;
  }
  return nullptr;
}

std::string FlagName(const SettingInfo& info) {
  std::string flag = "--" + info.name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// "invalid port (APP_PORT)" + where: every message names the setting and its
// environment variable, so the reader finds the documentation row, and
// `where` says which layer supplied the value ("" for the environment, whose
// variable is already named).
std::string Subject(const Setting& s, std::string_view where) {
  return "invalid " + s.info.name + " (" + s.info.env + ")" + std::string(where);
}

base::Status ApplyText(const Setting& s, std::string_view text, std::string_view where,
                       Config& config) {
  if (s.store(text, config)) return {};
  std::string message = Subject(s, where) + ": " + s.requirement;
  if (!s.is_secret) message += ", got " + Quote(text);
  return ConfigError(std::move(message));
}

enum class Layer { kEnvironment, kFlags };

// Applies environment or flag values in table order, so the first error
// reported does not depend on the map's order.
base::Status ApplyValues(const Values& values, Layer layer, Config& config) {
  for (const auto& [name, text] : values) {
    const Setting* s = FindSetting(name);
    // Callers build these maps from AllSettings(), so this is their bug, but
    // it is still reported like any other configuration error.
    if (s == nullptr) return ConfigError("unknown setting " + Quote(name));
    if (layer == Layer::kFlags && !s->info.has_flag) {
      return ConfigError(s->info.name + " has no command-line flag (it would show in `ps`); set " +
                         s->info.env + " instead");
    }
  }
  for (const Setting& s : Table()) {
    const auto it = values.find(s.info.name);
    if (it == values.end()) continue;
    const std::string where = layer == Layer::kFlags ? " from " + FlagName(s.info) : "";
    TENANTD_RETURN_IF_ERROR(ApplyText(s, it->second, where, config));
  }
  return {};
}

// toml11 reports "[error] toml::parse_table: invalid line format" followed by
// lines quoting the file around the fault. Only the first line is kept: the
// message must be one line, and the quoted lines could hold a secret.
std::string FirstLineOf(std::string_view what) {
  std::string_view line = what;
  while (!line.empty()) {
    const std::size_t eol = line.find('\n');
    std::string_view candidate = line.substr(0, eol);
    if (candidate.find_first_not_of(" \t\r") != std::string_view::npos) {
      line = candidate;
      break;
    }
    line = eol == std::string_view::npos ? std::string_view{} : line.substr(eol + 1);
  }
  constexpr std::string_view kErrorTag = "[error] ";
  if (line.starts_with(kErrorTag)) line.remove_prefix(kErrorTag.size());
  // Drop the parser function name ("toml::parse_table: "), which means
  // nothing to someone editing the file.
  const std::size_t colon = line.find(": ");
  if (colon != std::string_view::npos &&
      line.substr(0, colon).find_first_of(" \"'") == std::string_view::npos) {
    line.remove_prefix(colon + 2);
  }
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
    line.remove_suffix(1);
  }
  return std::string(line);
}

std::string TomlTypeName(const toml::value& value) {
  switch (value.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time:
      return "a date or time";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      break;
  }
  return "an empty value";
}

// The text a TOML value stands for, or nullopt when its type does not suit
// the setting (a float port, a boolean host).
std::optional<std::string> TomlText(const toml::value& value, Kind kind) {
  if (value.is_string()) return value.as_string().str;
  if (kind == Kind::kInteger && value.is_integer()) return std::to_string(value.as_integer());
  if (kind == Kind::kBoolean && value.is_boolean()) {
    return std::string(value.as_boolean() ? "true" : "false");
  }
  return std::nullopt;
}

// Levenshtein distance, for "did you mean" on a misspelt key.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A likely intended setting for an unknown key: the flag or environment
// spelling of a name ("max-json-bytes", "APP_PORT") or a near miss ("prot").
std::string Suggestion(std::string_view key) {
  std::string normalized = ToLower(key);
  std::replace(normalized.begin(), normalized.end(), '-', '_');
  const Setting* best = nullptr;
  std::size_t best_distance = 3;  // further than two edits is not a typo
  for (const Setting& s : Table()) {
    if (normalized == s.info.name || normalized == ToLower(s.info.env)) return s.info.name;
    const std::size_t distance = EditDistance(normalized, s.info.name);
    if (distance < best_distance) {
      best = &s;
      best_distance = distance;
    }
  }
  return best == nullptr ? std::string() : best->info.name;
}

base::Result<std::string> ReadConfigFile(const fs::path& file) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    return ConfigError("cannot read config file " + file.string() + ": it is a directory");
  }
  errno = 0;  // ifstream reports failure without a reason; open(2) leaves it in errno
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int error = errno;
    return ConfigError("cannot read config file " + file.string() + ": " +
                       (error != 0 ? std::strerror(error) : "cannot open"));
  }
  std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    return ConfigError("cannot read config file " + file.string() + ": read failed");
  }
  return content;
}

// One numeric limit of a plan: a non-negative integer (quoted or not).
base::Status ReadPlanLimit(const toml::value& value, const std::string& subject, uint64_t minimum,
                           uint64_t& out) {
  const std::optional<std::string> text = TomlText(value, Kind::kInteger);
  uint64_t parsed = 0;
  if (text) {
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, parsed);
    if (ec == std::errc() && ptr == end && parsed >= minimum) {
      out = parsed;
      return {};
    }
  }
  return ConfigError("invalid " + subject + ": must be an integer >= " + std::to_string(minimum) +
                     ", got " + (text ? Quote(*text) : TomlTypeName(value)));
}

// `[plans.<name>]` tables: each overrides the fields it names of a default
// plan, or adds a plan. Names are what tenants carry in `plan`.
base::Status ApplyPlans(const toml::value& plans, const std::string& where, Plans& out) {
  if (!plans.is_table()) return ConfigError("invalid plans" + where + ": must be a table");
  std::vector<std::string> names;
  for (const auto& [name, value] : plans.as_table()) names.push_back(name);
  std::sort(names.begin(), names.end());  // toml11's table is unordered; messages must not be
  for (const std::string& name : names) {
    const toml::value& table = plans.as_table().at(name);
    const std::string subject = "plans." + name + where;
    const bool good_name =
        !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
    if (!good_name) {
      return ConfigError("invalid plan name " + Quote(name) + where +
                         ": 1-32 characters of [a-z0-9_-]");
    }
    if (!table.is_table()) return ConfigError("invalid " + subject + ": must be a table");
    Plan& plan = out.Upsert(name);
    std::vector<std::string> keys;
    for (const auto& [key, value] : table.as_table()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      const toml::value& value = table.as_table().at(key);
      const std::string field = "plans." + name + "." + key + where;
      if (key == "requests_per_minute") {
        TENANTD_RETURN_IF_ERROR(ReadPlanLimit(value, field, 1, plan.requests_per_minute));
      } else if (key == "storage_bytes") {
        TENANTD_RETURN_IF_ERROR(ReadPlanLimit(value, field, 0, plan.storage_bytes));
      } else if (key == "credential_requests_per_minute") {
        TENANTD_RETURN_IF_ERROR(
            ReadPlanLimit(value, field, 0, plan.credential_requests_per_minute));
      } else if (key == "auth_requests_per_minute") {
        TENANTD_RETURN_IF_ERROR(ReadPlanLimit(value, field, 1, plan.auth_requests_per_minute));
      } else {
        return ConfigError("unknown plan setting " + Quote(key) + " in " + subject +
                           " (known: requests_per_minute, credential_requests_per_minute, "
                           "auth_requests_per_minute, storage_bytes)");
      }
    }
  }
  return {};
}

base::Status ApplyFile(const fs::path& file, Config& config) {
  TENANTD_TRY(const std::string content, ReadConfigFile(file));
  toml::value root;
  try {
    std::istringstream stream(content);
    root = toml::parse(stream, file.string());
  } catch (const toml::exception& e) {
    std::string message =
        "cannot parse config file " + file.string() + ": " + FirstLineOf(e.what());
    if (e.location().line() > 0) message += " (line " + std::to_string(e.location().line()) + ")";
    return ConfigError(std::move(message));
  } catch (const std::exception& e) {
    return ConfigError("cannot parse config file " + file.string() + ": " + FirstLineOf(e.what()));
  }

  // Unknown keys are reported in sorted order: toml11's table is unordered,
  // and the same file must always give the same message.
  std::vector<std::string> unknown;
  for (const auto& [key, value] : root.as_table()) {
    if (key == "plans") continue;  // read by ApplyPlans
    if (FindSetting(key) == nullptr) unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string message = "unknown setting " + Quote(unknown.front()) + " in " + file.string();
    const std::string suggestion = Suggestion(unknown.front());
    if (!suggestion.empty()) message += " (did you mean \"" + suggestion + "\"?)";
    return ConfigError(std::move(message));
  }

  const std::string where = " in " + file.string();
  for (const Setting& s : Table()) {
    const auto it = root.as_table().find(s.info.name);
    if (it == root.as_table().end()) continue;
    const std::optional<std::string> text = TomlText(it->second, s.kind);
    if (!text) {
      return ConfigError(Subject(s, where) + ": " + s.requirement + ", got " +
                         TomlTypeName(it->second));
    }
    TENANTD_RETURN_IF_ERROR(ApplyText(s, *text, where, config));
  }
  if (const auto it = root.as_table().find("plans"); it != root.as_table().end()) {
    TENANTD_RETURN_IF_ERROR(ApplyPlans(it->second, where, config.plans));
  }
  return {};
}

// A TLS path must name a regular file this process can read; a directory
// "opens" on Linux and fails only at the first read, so it is ruled out first.
base::Status CheckReadableFile(const Setting& s, const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  std::string reason;
  if (ec) {
    reason = ec.message();
  } else if (!fs::is_regular_file(status)) {
    reason = "not a regular file";
  } else {
    errno = 0;
    if (std::ifstream in(path, std::ios::binary); !in) {
      reason = errno != 0 ? std::strerror(errno) : "cannot open";
    }
  }
  if (reason.empty()) return {};
  return ConfigError(Subject(s, "") + ": cannot read " + Quote(path) + ": " + reason);
}

// Checks that span settings or need the final value.
base::Status CheckTls(const Config& config) {
  const Setting& cert = *FindSetting("tls_cert");
  const Setting& key = *FindSetting("tls_key");
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    const Setting& missing = config.tls_cert.empty() ? cert : key;
    return ConfigError("missing " + missing.info.name + " (" + missing.info.env +
                       "): tls_cert and tls_key must be set together");
  }
  if (config.tls_cert.empty()) return {};
  TENANTD_RETURN_IF_ERROR(CheckReadableFile(cert, config.tls_cert));
  return CheckReadableFile(key, config.tls_key);
}

// A LISTEN connection elsewhere only makes sense for a control store on
// PostgreSQL: on SQLite it would be silently ignored, and the operator
// meant something else.
base::Status CheckListenUrl(const Config& config) {
  if (config.database_listen_url.empty() || !config.database_url.empty()) return {};
  return ConfigError(
      "database_listen_url (TENANTD_DATABASE_LISTEN_URL) is set but database_url "
      "(TENANTD_DATABASE_URL) is not: the LISTEN connection belongs to a control store on "
      "PostgreSQL");
}

}  // namespace

const std::vector<SettingInfo>& AllSettings() {
  static const std::vector<SettingInfo> settings = [] {
    std::vector<SettingInfo> out;
    for (const Setting& s : Table()) out.push_back(s.info);
    return out;
  }();
  return settings;
}

Values EnvironmentValues() {
  Values values;
  for (const SettingInfo& info : AllSettings()) {
    if (const char* value = std::getenv(info.env.c_str()); value != nullptr) {
      values.emplace(info.name, value);
    }
  }
  return values;
}

std::string AuthLinkBase(const Config& config, uint16_t port) {
  if (!config.auth_link_base.empty()) return config.auth_link_base;
  if (!config.public_url.empty()) return config.public_url;
  const std::string scheme = config.tls_cert.empty() ? "http://" : "https://";
  // A server on every address or the loopback is reached, on this machine,
  // as localhost; a particular address is the one to use.
  const std::string& host = config.host;
  const bool local = host.empty() || host == "0.0.0.0" || host == "::" || host == "127.0.0.1" ||
                     host == "::1" || host == "localhost";
  const std::string name = local                                 ? "localhost"
                           : host.find(':') != std::string::npos ? "[" + host + "]"
                                                                 : host;
  return scheme + name + ":" + std::to_string(port);
}

base::Result<Config> Load(const Values& flags, const Values& env,
                          const std::optional<fs::path>& config_file) {
  Config config;
  if (config_file) TENANTD_RETURN_IF_ERROR(ApplyFile(*config_file, config));
  TENANTD_RETURN_IF_ERROR(ApplyValues(env, Layer::kEnvironment, config));
  TENANTD_RETURN_IF_ERROR(ApplyValues(flags, Layer::kFlags, config));
  TENANTD_RETURN_IF_ERROR(CheckTls(config));
  TENANTD_RETURN_IF_ERROR(CheckListenUrl(config));
  return config;
}

}  // namespace tenantd::config
