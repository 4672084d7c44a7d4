#include "config/config.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace tenantd::config {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
using test::TempDir;

// Sets an environment variable for one scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const std::optional<std::string>& value) {
    if (value) {
      setenv(name_.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

const SettingInfo& Info(const std::string& name) {
  for (const SettingInfo& info : AllSettings()) {
    if (info.name == name) return info;
  }
  throw std::runtime_error("no setting " + name);
}

std::string FlagOf(const SettingInfo& info) {
  std::string flag = "--" + info.name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// The message of a failed load; fails the test when the load succeeded.
std::string ErrorMessage(const base::Result<Config>& result) {
  if (result) {
    ADD_FAILURE() << "expected an error, the load succeeded";
    return {};
  }
  EXPECT_EQ(result.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().problem_code, "invalid_config");
  EXPECT_EQ(result.error().public_message.find('\n'), std::string::npos)
      << "not one line: " << result.error().public_message;
  return result.error().public_message;
}

Config LoadOk(const Values& flags, const Values& env,
              const std::optional<fs::path>& file = std::nullopt) {
  base::Result<Config> result = Load(flags, env, file);
  if (!result) {
    ADD_FAILURE() << "load failed: " << result.error().public_message;
    return {};
  }
  return *result;
}

// Fields compared one by one: Config has no operator== (Secret must not
// grow one that could be misused as a non-constant-time compare).
void ExpectSameConfig(const Config& a, const Config& b) {
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.port, b.port);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.max_json_bytes, b.max_json_bytes);
  EXPECT_EQ(a.max_upload_size, b.max_upload_size);
  EXPECT_EQ(a.header_timeout, b.header_timeout);
  EXPECT_EQ(a.body_idle_timeout, b.body_idle_timeout);
  EXPECT_EQ(a.keepalive_timeout, b.keepalive_timeout);
  EXPECT_EQ(a.shutdown_timeout, b.shutdown_timeout);
  EXPECT_EQ(a.tls_cert, b.tls_cert);
  EXPECT_EQ(a.tls_key, b.tls_key);
  EXPECT_EQ(a.log_json, b.log_json);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.admin_token.Reveal(), b.admin_token.Reveal());
  EXPECT_EQ(a.master_key.Reveal(), b.master_key.Reveal());
  EXPECT_EQ(a.base_domain, b.base_domain);
  EXPECT_EQ(a.dev_mode, b.dev_mode);
  EXPECT_EQ(a.session_ttl, b.session_ttl);
  EXPECT_EQ(a.force_secure_cookies, b.force_secure_cookies);
  EXPECT_EQ(a.signature_skew, b.signature_skew);
  EXPECT_EQ(a.session_store, b.session_store);
  EXPECT_EQ(a.rate_limit_window, b.rate_limit_window);
  EXPECT_EQ(a.auth_failures_per_ip, b.auth_failures_per_ip);
  EXPECT_EQ(a.auth_failures_per_key, b.auth_failures_per_key);
  EXPECT_EQ(a.public_file_rate, b.public_file_rate);
  EXPECT_EQ(a.redis_url.Reveal(), b.redis_url.Reveal());
  EXPECT_EQ(a.database_url.Reveal(), b.database_url.Reveal());
  EXPECT_EQ(a.database_listen_url.Reveal(), b.database_listen_url.Reveal());
  EXPECT_EQ(a.rate_limit_redis_down, b.rate_limit_redis_down);
  EXPECT_EQ(a.tenant_db_pool_size, b.tenant_db_pool_size);
  EXPECT_EQ(a.tenant_db_idle_ttl, b.tenant_db_idle_ttl);
  EXPECT_EQ(a.backup_dump_command, b.backup_dump_command);
  EXPECT_EQ(a.trusted_proxies.empty(), b.trusted_proxies.empty());
  EXPECT_EQ(a.forwarded_header, b.forwarded_header);
  EXPECT_EQ(a.public_url, b.public_url);
  EXPECT_EQ(a.blob_store, b.blob_store);
  EXPECT_EQ(a.s3_endpoint, b.s3_endpoint);
  EXPECT_EQ(a.s3_region, b.s3_region);
  EXPECT_EQ(a.s3_bucket, b.s3_bucket);
  EXPECT_EQ(a.s3_access_key_id, b.s3_access_key_id);
  EXPECT_EQ(a.s3_secret_access_key.Reveal(), b.s3_secret_access_key.Reveal());
  EXPECT_EQ(a.s3_force_path_style, b.s3_force_path_style);
  EXPECT_EQ(a.s3_ca_file, b.s3_ca_file);
  EXPECT_EQ(a.smtp_url.Reveal(), b.smtp_url.Reveal());
  EXPECT_EQ(a.smtp_ca_file, b.smtp_ca_file);
  EXPECT_EQ(a.mail_from, b.mail_from);
  EXPECT_EQ(a.auth_link_base, b.auth_link_base);
}

// ---- The table ----

TEST(AllSettings, ListsEverySettingInConfigOrder) {
  std::vector<std::string> names;
  for (const SettingInfo& info : AllSettings()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"host",
                                             "port",
                                             "data",
                                             "threads",
                                             "max_json_bytes",
                                             "max_upload_size",
                                             "header_timeout",
                                             "body_idle_timeout",
                                             "keepalive_timeout",
                                             "shutdown_timeout",
                                             "tls_cert",
                                             "tls_key",
                                             "log_json",
                                             "log_level",
                                             "admin_token",
                                             "master_key",
                                             "base_domain",
                                             "dev_mode",
                                             "session_ttl_ms",
                                             "user_session_ttl_ms",
                                             "force_secure_cookies",
                                             "signature_skew",
                                             "session_store",
                                             "rate_limit_window_ms",
                                             "auth_failures_per_ip",
                                             "auth_failures_per_key",
                                             "signin_failures_per_email",
                                             "user_auth_requests_per_ip",
                                             "public_file_rate",
                                             "database_url",
                                             "database_listen_url",
                                             "cache_max_staleness",
                                             "redis_url",
                                             "rate_limit_redis_down",
                                             "tenant_db_pool_size",
                                             "tenant_db_idle_ttl",
                                             "backup_dump_command",
                                             "image_variants",
                                             "trusted_proxies",
                                             "forwarded_header",
                                             "public_url",
                                             "blob_store",
                                             "s3_endpoint",
                                             "s3_region",
                                             "s3_bucket",
                                             "s3_access_key_id",
                                             "s3_secret_access_key",
                                             "s3_force_path_style",
                                             "s3_ca_file",
                                             "smtp_url",
                                             "smtp_ca_file",
                                             "mail_from",
                                             "auth_link_base",

                                             "forward_token"}));
}

TEST(AllSettings, MapsNamesToTheirEnvironmentVariables) {
  const std::map<std::string, std::string> expected = {
      {"host", "APP_HOST"},
      {"port", "APP_PORT"},
      {"data", "TENANTD_DATA"},
      {"threads", "TENANTD_THREADS"},
      {"max_json_bytes", "TENANTD_MAX_JSON_BYTES"},
      {"max_upload_size", "MAX_UPLOAD_SIZE"},
      {"header_timeout", "TENANTD_HEADER_TIMEOUT"},
      {"body_idle_timeout", "TENANTD_BODY_IDLE_TIMEOUT"},
      {"keepalive_timeout", "TENANTD_KEEPALIVE_TIMEOUT"},
      {"shutdown_timeout", "TENANTD_SHUTDOWN_TIMEOUT"},
      {"tls_cert", "TENANTD_TLS_CERT"},
      {"tls_key", "TENANTD_TLS_KEY"},
      {"log_json", "LOG_JSON"},
      {"log_level", "TENANTD_LOG_LEVEL"},
      {"admin_token", "TENANTD_ADMIN_TOKEN"},
      {"master_key", "TENANTD_MASTER_KEY"},
      {"base_domain", "TENANTD_BASE_DOMAIN"},
      {"dev_mode", "TENANTD_DEV_MODE"},
      {"session_ttl_ms", "SESSION_TTL_MS"},
      {"user_session_ttl_ms", "USER_SESSION_TTL_MS"},
      {"force_secure_cookies", "FORCE_SECURE_COOKIES"},
      {"signature_skew", "TENANTD_SIGNATURE_SKEW"},
      {"session_store", "TENANTD_SESSION_STORE"},
      {"rate_limit_window_ms", "TENANTD_RATE_LIMIT_WINDOW_MS"},
      {"auth_failures_per_ip", "TENANTD_AUTH_FAILURES_PER_IP"},
      {"auth_failures_per_key", "TENANTD_AUTH_FAILURES_PER_KEY"},
      {"signin_failures_per_email", "TENANTD_SIGNIN_FAILURES_PER_EMAIL"},
      {"user_auth_requests_per_ip", "TENANTD_USER_AUTH_REQUESTS_PER_IP"},
      {"public_file_rate", "TENANTD_PUBLIC_FILE_RATE"},
      {"image_variants", "TENANTD_IMAGE_VARIANTS"},
      {"database_url", "TENANTD_DATABASE_URL"},
      {"database_listen_url", "TENANTD_DATABASE_LISTEN_URL"},
      {"cache_max_staleness", "TENANTD_CACHE_MAX_STALENESS"},
      {"redis_url", "REDIS_URL"},
      {"rate_limit_redis_down", "TENANTD_RATE_LIMIT_REDIS_DOWN"},
      {"tenant_db_pool_size", "TENANTD_TENANT_DB_POOL_SIZE"},
      {"tenant_db_idle_ttl", "TENANTD_TENANT_DB_IDLE_TTL"},
      {"backup_dump_command", "TENANTD_BACKUP_DUMP_COMMAND"},
      {"trusted_proxies", "TENANTD_TRUSTED_PROXIES"},
      {"forwarded_header", "TENANTD_FORWARDED_HEADER"},
      {"public_url", "TENANTD_PUBLIC_URL"},
      {"blob_store", "TENANTD_BLOB_STORE"},
      {"s3_endpoint", "TENANTD_S3_ENDPOINT"},
      {"s3_region", "TENANTD_S3_REGION"},
      {"s3_bucket", "TENANTD_S3_BUCKET"},
      {"s3_access_key_id", "TENANTD_S3_ACCESS_KEY_ID"},
      {"s3_secret_access_key", "TENANTD_S3_SECRET_ACCESS_KEY"},
      {"s3_force_path_style", "TENANTD_S3_FORCE_PATH_STYLE"},
      {"s3_ca_file", "TENANTD_S3_CA_FILE"},
      {"smtp_url", "TENANTD_SMTP_URL"},
      {"smtp_ca_file", "TENANTD_SMTP_CA_FILE"},
      {"mail_from", "TENANTD_MAIL_FROM"},
      {"auth_link_base", "TENANTD_AUTH_LINK_BASE"},
      {"forward_token", "TENANTD_FORWARD_TOKEN"},
  };
  for (const SettingInfo& info : AllSettings()) {
    EXPECT_EQ(info.env, expected.at(info.name));
    EXPECT_FALSE(info.help.empty()) << info.name;
  }
}

TEST(AllSettings, GivesSecretsNoFlagBecauseArgvShowsInPs) {
  for (const SettingInfo& info : AllSettings()) {
    const bool is_secret = info.name == "admin_token" || info.name == "master_key" ||
                           info.name == "redis_url" || info.name == "database_url" ||
                           info.name == "database_listen_url" ||
                           info.name == "s3_secret_access_key" || info.name == "smtp_url";
    EXPECT_EQ(info.has_flag, !is_secret) << info.name;
  }
}

TEST(AllSettings, DefaultValuesLoadToTheConfigDefaults) {
  Values flags;
  Values env;
  for (const SettingInfo& info : AllSettings()) {
    (info.has_flag ? flags : env)[info.name] = info.default_value;
  }
  ExpectSameConfig(LoadOk(flags, env), Config{});
}

// ---- Precedence ----

TEST(ConfigLoad, UsesDefaultsWhenNothingIsGiven) {
  const Config config = LoadOk({}, {});
  ExpectSameConfig(config, Config{});
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.data_dir, fs::path("./data"));
  EXPECT_EQ(config.max_json_bytes, 1048576u);
  EXPECT_EQ(config.max_upload_size, 0u);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_FALSE(config.log_json);
  EXPECT_TRUE(config.admin_token.empty());
}

TEST(ConfigLoad, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  TempDir dir;
  const fs::path file = dir.Write("tenantd.toml",
                                  "host = \"10.0.0.1\"\n"
                                  "port = 9001\n"
                                  "threads = 3\n"
                                  "log_level = \"debug\"\n");
  const Values env = {{"host", "10.0.0.2"}, {"port", "9002"}, {"threads", "5"}};
  const Values flags = {{"host", "10.0.0.3"}};
  const Config config = LoadOk(flags, env, file);
  EXPECT_EQ(config.host, "10.0.0.3");              // flag over environment and file
  EXPECT_EQ(config.port, 9002);                    // environment over file
  EXPECT_EQ(config.threads, 5u);                   // environment over file
  EXPECT_EQ(config.log_level, "debug");            // file over default
  EXPECT_EQ(config.shutdown_timeout.count(), 10);  // default
}

TEST(ConfigLoad, FlagBeatsFileWithoutEnvironment) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml", "max_json_bytes = 2048\nlog_json = true\n");
  const Config config = LoadOk({{"max_json_bytes", "4096"}, {"log_json", "off"}}, {}, file);
  EXPECT_EQ(config.max_json_bytes, 4096u);
  EXPECT_FALSE(config.log_json);
}

TEST(ConfigLoad, EachLayerSetsEverySettingKind) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml",
                                  "data = \"/var/lib/tenantd\"\n"
                                  "header_timeout = 11\n"
                                  "body_idle_timeout = 31\n"
                                  "keepalive_timeout = 61\n"
                                  "shutdown_timeout = 12\n"
                                  "admin_token = \"file-token-0123456789\"\n"
                                  "master_key = \"file-master-key\"\n");
  Config config = LoadOk({}, {}, file);
  EXPECT_EQ(config.data_dir, fs::path("/var/lib/tenantd"));
  EXPECT_EQ(config.header_timeout.count(), 11);
  EXPECT_EQ(config.body_idle_timeout.count(), 31);
  EXPECT_EQ(config.keepalive_timeout.count(), 61);
  EXPECT_EQ(config.shutdown_timeout.count(), 12);
  EXPECT_EQ(config.admin_token.Reveal(), "file-token-0123456789");
  EXPECT_EQ(config.master_key.Reveal(), "file-master-key");

  config = LoadOk({{"data", "/srv/flag"}, {"keepalive_timeout", "5"}},
                  {{"data", "/srv/env"},
                   {"header_timeout", "20"},
                   {"admin_token", "env-token-0123456789"},
                   {"master_key", "env-master-key"}},
                  file);
  EXPECT_EQ(config.data_dir, fs::path("/srv/flag"));
  EXPECT_EQ(config.header_timeout.count(), 20);
  EXPECT_EQ(config.keepalive_timeout.count(), 5);
  EXPECT_EQ(config.body_idle_timeout.count(), 31);
  EXPECT_EQ(config.admin_token.Reveal(), "env-token-0123456789");
  EXPECT_EQ(config.master_key.Reveal(), "env-master-key");
}

TEST(ConfigLoad, RejectsInvalidValueEvenWhenALaterLayerReplacesIt) {
  // Each value is checked as it is applied: a broken file is reported even
  // if today's flags happen to cover it up.
  TempDir dir;
  const fs::path file = dir.Write("t.toml", "port = \"http\"\n");
  const std::string message = ErrorMessage(Load({{"port", "80"}}, {}, file));
  EXPECT_NE(message.find("invalid port (APP_PORT) in " + file.string()), std::string::npos)
      << message;
}

// ---- Validation messages ----

// A value each setting refuses, from every layer that can carry it.
struct BadValue {
  std::string setting;
  std::string value;
};

TEST(ConfigLoad, EveryValidationErrorNamesItsSettingAndEnvironmentVariable) {
  TempDir dir;
  const fs::path pem = dir.Write("ok.pem", "pem");
  const std::string missing = (dir.path() / "missing.pem").string();
  const std::vector<BadValue> bad = {
      {"host", ""},
      {"port", "65536"},
      {"data", ""},
      {"threads", "257"},
      {"max_json_bytes", "0"},
      {"max_upload_size", "-5"},
      {"header_timeout", "0"},
      {"body_idle_timeout", "86401"},
      {"keepalive_timeout", "x"},
      {"shutdown_timeout", "-1"},
      {"tls_cert", missing},
      {"tls_key", missing},
      {"log_json", "maybe"},
      {"log_level", "verbose"},
      {"admin_token", "too-short"},
      {"base_domain", "bad domain"},
      {"dev_mode", "perhaps"},
      {"session_ttl_ms", "59999"},
      {"user_session_ttl_ms", "59999"},
      {"force_secure_cookies", "2"},
      {"signature_skew", "0"},
      {"session_store", "redis"},
      {"rate_limit_window_ms", "99"},
      {"auth_failures_per_ip", "0"},
      {"auth_failures_per_key", "x"},
      {"signin_failures_per_email", "0"},
      {"user_auth_requests_per_ip", "1000001"},
      {"public_file_rate", "-1"},
      {"image_variants", "64x64,huge"},
      {"database_url", "mysql://db/control"},
      {"database_listen_url", "redis://db/control"},
      {"cache_max_staleness", "0"},
      {"redis_url", "http://cache:6379"},
      {"rate_limit_redis_down", "open"},
      {"tenant_db_pool_size", "0"},
      {"tenant_db_idle_ttl", "0"},
      {"backup_dump_command", "   "},
      {"trusted_proxies", "10.0.0.0/33"},
      {"forwarded_header", "x-real-ip"},
      {"public_url", "ftp://files.example.com"},
      {"blob_store", "floppy"},
      {"s3_endpoint", "http://a b"},
      {"s3_region", "eu west"},
      {"s3_bucket", "my bucket"},
      {"s3_access_key_id", "AK ID"},
      {"s3_secret_access_key", "sec ret"},
      {"s3_force_path_style", "sometimes"},
      {"s3_ca_file", "/etc/my ca.pem"},
      {"smtp_url", "http://mail.example"},
      {"smtp_ca_file", "/etc/smtp ca.pem"},
      {"mail_from", "no address"},
      {"auth_link_base", "ftp://app.example"},
      {"forward_token", "true"},
  };
  // master_key's content is checked by the crypto module, so any text loads.
  std::vector<std::string> covered = {"master_key"};
  for (const BadValue& b : bad) covered.push_back(b.setting);
  for (const SettingInfo& info : AllSettings()) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), info.name), covered.end())
        << info.name << " has no bad value in this test";
  }

  for (const BadValue& b : bad) {
    const SettingInfo& info = Info(b.setting);
    // The TLS pair is only valid together; give the other half a good file.
    Values partner;
    if (b.setting == "tls_cert") partner["tls_key"] = pem.string();
    if (b.setting == "tls_key") partner["tls_cert"] = pem.string();
    const std::string subject = info.name + " (" + info.env + ")";

    Values env = partner;
    env[b.setting] = b.value;
    std::string message = ErrorMessage(Load({}, env, std::nullopt));
    EXPECT_NE(message.find(subject), std::string::npos) << message;

    if (info.has_flag) {
      message = ErrorMessage(Load({{b.setting, b.value}}, partner, std::nullopt));
      EXPECT_NE(message.find(subject), std::string::npos) << message;
    }

    std::string toml = info.name + " = " + "\"" + b.value + "\"\n";
    for (const auto& [name, value] : partner) toml += name + " = \"" + value + "\"\n";
    const fs::path file = dir.Write(info.name + ".toml", toml);
    message = ErrorMessage(Load({}, {}, file));
    EXPECT_NE(message.find(subject), std::string::npos) << message;
  }
}

TEST(ConfigLoad, PublicFileRateAcceptsZeroForNoLimit) {
  EXPECT_EQ(LoadOk({}, {}).public_file_rate, 500u);
  EXPECT_EQ(LoadOk({{"public_file_rate", "0"}}, {}).public_file_rate, 0u);
  EXPECT_EQ(LoadOk({}, {{"public_file_rate", "3"}}).public_file_rate, 3u);
  EXPECT_FALSE(Load({{"public_file_rate", "100000001"}}, {}, std::nullopt));
}

TEST(ConfigLoad, ReadsProxySettingsAndThePublicUrl) {
  const Config config = LoadOk({{"trusted_proxies", "10.0.0.0/8, ::1"},
                                {"forwarded_header", "Forwarded"},
                                {"public_url", "https://api.example.com/"}},
                               {});
  EXPECT_TRUE(config.trusted_proxies.Contains("10.1.2.3"));
  EXPECT_TRUE(config.trusted_proxies.Contains("::1"));
  EXPECT_FALSE(config.trusted_proxies.Contains("11.0.0.1"));
  EXPECT_EQ(config.forwarded_header, http::ForwardedHeader::kForwarded);
  EXPECT_EQ(config.public_url, "https://api.example.com");
  for (const char* bad : {"https://", "https://a b", "https://x/?q", "//x", "https://x#f"}) {
    EXPECT_FALSE(Load({{"public_url", bad}}, {}, std::nullopt)) << bad;
  }
}

TEST(ConfigLoad, ReadsTheEmailSettings) {
  const Config defaults = LoadOk({}, {});
  EXPECT_TRUE(defaults.smtp_url.empty());
  EXPECT_EQ(defaults.mail_from, "tenantd <no-reply@localhost>");
  EXPECT_EQ(AuthLinkBase(defaults, 8080), "http://localhost:8080");

  const Config config =
      LoadOk({{"mail_from", " Acme <no-reply@acme.example> "}, {"host", "10.1.2.3"}},
             {{"smtp_url", "smtps://mailer:p%40ss@mail.acme.example"}});
  EXPECT_EQ(config.smtp_url.Reveal(), "smtps://mailer:p%40ss@mail.acme.example");
  EXPECT_EQ(config.mail_from, "Acme <no-reply@acme.example>");
  EXPECT_EQ(AuthLinkBase(config, 9000), "http://10.1.2.3:9000");
  for (const char* bad : {"smtp://", "smtp://a@b@", "smtp://host:99999", "mail.example"}) {
    const std::string message = ErrorMessage(Load({}, {{"smtp_url", bad}}, std::nullopt));
    EXPECT_NE(message.find("smtp_url (TENANTD_SMTP_URL)"), std::string::npos) << bad;
  }
  // The password never shows, not even in the message refusing the URL.
  const std::string message =
      ErrorMessage(Load({}, {{"smtp_url", "smtp://mailer:hunter2@host:0"}}, std::nullopt));
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(ConfigLoad, EmailLinksFollowAuthLinkBaseThenPublicUrl) {
  Config config = LoadOk({{"public_url", "https://api.example.com/"}}, {});
  EXPECT_EQ(AuthLinkBase(config, 8080), "https://api.example.com");
  config = LoadOk({{"public_url", "https://api.example.com"},
                   {"auth_link_base", "https://app.example.com/account/"}},
                  {});
  EXPECT_EQ(AuthLinkBase(config, 8080), "https://app.example.com/account");
  EXPECT_FALSE(Load({{"auth_link_base", "https://app.example.com/?x"}}, {}, std::nullopt));
}

TEST(ConfigLoad, ExplainsTheRuleAndShowsTheRejectedValue) {
  EXPECT_EQ(ErrorMessage(Load({}, {{"port", "x"}}, std::nullopt)),
            "invalid port (APP_PORT): must be an integer 0-65535, got \"x\"");
  EXPECT_EQ(ErrorMessage(Load({{"port", "x"}}, {}, std::nullopt)),
            "invalid port (APP_PORT) from --port: must be an integer 0-65535, got \"x\"");
  EXPECT_EQ(ErrorMessage(Load({{"max_json_bytes", "0"}}, {}, std::nullopt)),
            "invalid max_json_bytes (TENANTD_MAX_JSON_BYTES) from --max-json-bytes: must be an "
            "integer 1-1073741824, got \"0\"");
  EXPECT_EQ(ErrorMessage(Load({}, {{"log_level", "loud"}}, std::nullopt)),
            "invalid log_level (TENANTD_LOG_LEVEL): must be one of trace, debug, info, warn, "
            "error, got \"loud\"");
}

TEST(ConfigLoad, EscapesControlCharactersSoTheMessageStaysOneLine) {
  const std::string message = ErrorMessage(Load({}, {{"threads", "1\n2\"3"}}, std::nullopt));
  EXPECT_NE(message.find(R"(got "1\x0a2\"3")"), std::string::npos) << message;
}

TEST(ConfigLoad, RejectsHostWithBlanks) {
  EXPECT_FALSE(Load({{"host", "local host"}}, {}, std::nullopt));
  EXPECT_EQ(LoadOk({{"host", "0.0.0.0"}}, {}).host, "0.0.0.0");
  EXPECT_EQ(LoadOk({{"host", "::1"}}, {}).host, "::1");
}

// ---- Integers ----

TEST(ConfigLoad, ParsesIntegersStrictly) {
  for (const std::string text : {"12abc", "-1", "", " 12", "12 ", "+12", "1.5", "0x10", "1e3",
                                 "1_000", "99999999999999999999999"}) {
    const std::string message = ErrorMessage(Load({}, {{"threads", text}}, std::nullopt));
    EXPECT_NE(message.find("invalid threads (TENANTD_THREADS)"), std::string::npos)
        << "accepted \"" << text << "\"";
  }
  EXPECT_EQ(LoadOk({}, {{"threads", "007"}}).threads, 7u);
}

TEST(ConfigLoad, AcceptsIntegerRangeBoundsAndRejectsBeyond) {
  EXPECT_EQ(LoadOk({{"port", "0"}}, {}).port, 0);
  EXPECT_EQ(LoadOk({{"port", "65535"}}, {}).port, 65535);
  EXPECT_FALSE(Load({{"port", "65536"}}, {}, std::nullopt));
  EXPECT_EQ(LoadOk({{"threads", "256"}}, {}).threads, 256u);
  EXPECT_FALSE(Load({{"threads", "257"}}, {}, std::nullopt));
  EXPECT_EQ(LoadOk({{"max_json_bytes", "1"}}, {}).max_json_bytes, 1u);
  EXPECT_EQ(LoadOk({{"max_json_bytes", "1073741824"}}, {}).max_json_bytes, 1073741824u);
  EXPECT_FALSE(Load({{"max_json_bytes", "1073741825"}}, {}, std::nullopt));
  for (const std::string name :
       {"header_timeout", "body_idle_timeout", "keepalive_timeout", "shutdown_timeout"}) {
    EXPECT_FALSE(Load({{name, "0"}}, {}, std::nullopt)) << name;
    EXPECT_TRUE(Load({{name, "1"}}, {}, std::nullopt)) << name;
    EXPECT_TRUE(Load({{name, "86400"}}, {}, std::nullopt)) << name;
    EXPECT_FALSE(Load({{name, "86401"}}, {}, std::nullopt)) << name;
  }
}

// ---- Booleans and levels ----

TEST(ConfigLoad, AcceptsBooleanSpellingsInAnyCase) {
  for (const std::string text : {"1", "true", "TRUE", "True", "yes", "YES", "on", "On"}) {
    EXPECT_TRUE(LoadOk({}, {{"log_json", text}}).log_json) << text;
  }
  for (const std::string text : {"0", "false", "FALSE", "no", "No", "off", "OFF"}) {
    EXPECT_FALSE(LoadOk({{"log_json", text}}, {{"log_json", "1"}}).log_json) << text;
  }
  for (const std::string text : {"", "2", "y", "n", "enabled", " true"}) {
    const std::string message = ErrorMessage(Load({}, {{"log_json", text}}, std::nullopt));
    EXPECT_NE(message.find("invalid log_json (LOG_JSON)"), std::string::npos) << text;
  }
}

TEST(ConfigLoad, AcceptsLogLevelsInAnyCaseAndStoresLowerCase) {
  for (const std::string level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(LoadOk({{"log_level", level}}, {}).log_level, level);
  }
  EXPECT_EQ(LoadOk({}, {{"log_level", "WARN"}}).log_level, "warn");
  EXPECT_FALSE(Load({{"log_level", "warning"}}, {}, std::nullopt));
}

// ---- TLS ----

TEST(ConfigLoad, LoadsTlsWhenBothFilesAreReadable) {
  TempDir dir;
  const fs::path cert = dir.Write("cert.pem", "cert");
  const fs::path key = dir.Write("key.pem", "key");
  const Config config = LoadOk({{"tls_cert", cert.string()}}, {{"tls_key", key.string()}});
  EXPECT_EQ(config.tls_cert, cert.string());
  EXPECT_EQ(config.tls_key, key.string());
}

TEST(ConfigLoad, RequiresTlsCertAndKeyTogether) {
  TempDir dir;
  const fs::path pem = dir.Write("x.pem", "pem");
  EXPECT_EQ(ErrorMessage(Load({{"tls_cert", pem.string()}}, {}, std::nullopt)),
            "missing tls_key (TENANTD_TLS_KEY): tls_cert and tls_key must be set together");
  EXPECT_EQ(ErrorMessage(Load({}, {{"tls_key", pem.string()}}, std::nullopt)),
            "missing tls_cert (TENANTD_TLS_CERT): tls_cert and tls_key must be set together");
}

TEST(ConfigLoad, RefusesAListenUrlWithoutAPostgresControlStore) {
  const std::string url = "postgres://u:p@127.0.0.1:5432/control";
  EXPECT_EQ(ErrorMessage(Load({}, {{"database_listen_url", url}}, std::nullopt)),
            "database_listen_url (TENANTD_DATABASE_LISTEN_URL) is set but database_url "
            "(TENANTD_DATABASE_URL) is not: the LISTEN connection belongs to a control store on "
            "PostgreSQL");
  const Config both = LoadOk({}, {{"database_url", url}, {"database_listen_url", url}});
  EXPECT_EQ(both.database_listen_url.Reveal(), url);
}

TEST(ConfigLoad, RejectsTlsPathThatIsNotAReadableFile) {
  TempDir dir;
  const fs::path pem = dir.Write("x.pem", "pem");
  const std::string missing = (dir.path() / "nope.pem").string();
  std::string message =
      ErrorMessage(Load({{"tls_cert", pem.string()}, {"tls_key", missing}}, {}, std::nullopt));
  EXPECT_NE(message.find("invalid tls_key (TENANTD_TLS_KEY): cannot read \"" + missing),
            std::string::npos)
      << message;
  message = ErrorMessage(
      Load({{"tls_cert", dir.path().string()}, {"tls_key", pem.string()}}, {}, std::nullopt));
  EXPECT_NE(message.find("invalid tls_cert (TENANTD_TLS_CERT)"), std::string::npos) << message;
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
}

TEST(ConfigLoad, LaterLayerCanClearTlsWithEmptyPaths) {
  TempDir dir;
  const fs::path pem = dir.Write("x.pem", "pem");
  const fs::path file = dir.Write(
      "t.toml", "tls_cert = \"" + pem.string() + "\"\ntls_key = \"" + pem.string() + "\"\n");
  const Config config = LoadOk({{"tls_cert", ""}, {"tls_key", ""}}, {}, file);
  EXPECT_TRUE(config.tls_cert.empty());
  EXPECT_TRUE(config.tls_key.empty());
}

// ---- TOML ----

TEST(ConfigFile, AcceptsTypedValuesAndQuotedNumbers) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml",
                                  "# tenantd\n"
                                  "host = \"0.0.0.0\"\n"
                                  "port = \"9090\"\n"
                                  "threads = 4\n"
                                  "log_json = true\n"
                                  "data = \"/var/lib/tenantd\"\n");
  const Config config = LoadOk({}, {}, file);
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.port, 9090);
  EXPECT_EQ(config.threads, 4u);
  EXPECT_TRUE(config.log_json);
  EXPECT_EQ(config.data_dir, fs::path("/var/lib/tenantd"));
  EXPECT_TRUE(LoadOk({}, {}, dir.Write("b.toml", "log_json = \"yes\"\n")).log_json);
}

TEST(ConfigFile, RejectsValuesOfTheWrongTomlType) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"port = 80.5\n", "invalid port (APP_PORT) in %: must be an integer 0-65535, got a float"},
      {"port = true\n", "invalid port (APP_PORT) in %: must be an integer 0-65535, got a boolean"},
      {"host = 5\n",
       "invalid host (APP_HOST) in %: must be a host name or IP address, got an "
       "integer"},
      {"log_json = 1\n",
       "invalid log_json (LOG_JSON) in %: must be one of 1, 0, true, false, yes, no, on, off, got "
       "an integer"},
      {"data = [\"a\"]\n",
       "invalid data (TENANTD_DATA) in %: must be a non-empty directory "
       "path, got an array"},
      {"[log_level]\nx = 1\n",
       "invalid log_level (TENANTD_LOG_LEVEL) in %: must be one of "
       "trace, debug, info, warn, error, got a table"},
      {"port = -1\n", "invalid port (APP_PORT) in %: must be an integer 0-65535, got \"-1\""},
  };
  for (const auto& [toml, expected] : cases) {
    const fs::path file = dir.Write("t.toml", toml);
    std::string want = expected;
    want.replace(want.find('%'), 1, file.string());
    EXPECT_EQ(ErrorMessage(Load({}, {}, file)), want) << toml;
  }
}

TEST(ConfigFile, RejectsUnknownKeyNamingKeyAndFile) {
  TempDir dir;
  const fs::path file = dir.Write("tenantd.toml", "host = \"0.0.0.0\"\nfrobnicate = 1\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, file)), "unknown setting \"frobnicate\" in " + file.string());
}

TEST(ConfigFile, SuggestsTheSettingAMisspeltKeyMeant) {
  TempDir dir;
  fs::path file = dir.Write("tenantd.toml", "prot = 9090\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, file)),
            "unknown setting \"prot\" in " + file.string() + " (did you mean \"port\"?)");
  file = dir.Write("tenantd.toml", "max-json-bytes = 10\n");
  EXPECT_NE(ErrorMessage(Load({}, {}, file)).find("did you mean \"max_json_bytes\"?"),
            std::string::npos);
  file = dir.Write("tenantd.toml", "APP_PORT = 10\n");
  EXPECT_NE(ErrorMessage(Load({}, {}, file)).find("did you mean \"port\"?"), std::string::npos);
}

TEST(ConfigFile, RejectsSettingsNestedInATable) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml", "[server]\nport = 9090\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, file)), "unknown setting \"server\" in " + file.string());
}

TEST(ConfigFile, ToleratesPlansTable) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml",
                                  "port = 9191\n"
                                  "[plans.free]\n"
                                  "requests_per_minute = 60\n"
                                  "[plans.pro]\n"
                                  "requests_per_minute = 600\n");
  const Config config = LoadOk({}, {}, file);
  EXPECT_EQ(config.port, 9191);
  ASSERT_NE(config.plans.Find("free"), nullptr);
  EXPECT_EQ(config.plans.Find("free")->requests_per_minute, 60u);
  EXPECT_EQ(config.plans.Find("pro")->requests_per_minute, 600u);
}

TEST(Plans, DefaultsFollowTheContract) {
  const Config config = LoadOk({}, {}, std::nullopt);
  ASSERT_EQ(config.plans.items().size(), 3u);
  EXPECT_EQ(config.plans.Find("free")->requests_per_minute, 600u);
  EXPECT_EQ(config.plans.Find("pro")->requests_per_minute, 6000u);
  EXPECT_EQ(config.plans.Find("enterprise")->requests_per_minute, 60000u);
  EXPECT_EQ(config.plans.Find("free")->storage_bytes, uint64_t{1} << 30);
  EXPECT_EQ(config.plans.Find("enterprise")->storage_bytes, 0u);
  EXPECT_EQ(config.plans.Find("gold"), nullptr);
  // The auth route group is stricter than reads; a credential may use the
  // whole tenant budget unless a plan says otherwise.
  EXPECT_EQ(config.plans.Find("free")->auth_requests_per_minute, 60u);
  EXPECT_EQ(config.plans.Find("pro")->auth_requests_per_minute, 600u);
  EXPECT_EQ(config.plans.Find("enterprise")->auth_requests_per_minute, 6000u);
  EXPECT_EQ(config.plans.Find("pro")->CredentialLimit(), 6000u);
  EXPECT_EQ(config.plans.Names(), (std::vector<std::string>{"free", "pro", "enterprise"}));
}

TEST(Plans, FileSetsCredentialAndAuthRouteLimits) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml",
                                  "[plans.pro]\ncredential_requests_per_minute = 100\n"
                                  "auth_requests_per_minute = 5\n");
  const Config config = LoadOk({}, {}, file);
  EXPECT_EQ(config.plans.Find("pro")->CredentialLimit(), 100u);
  EXPECT_EQ(config.plans.Find("pro")->auth_requests_per_minute, 5u);
  EXPECT_EQ(config.plans.Find("pro")->requests_per_minute, 6000u);  // kept
  const fs::path zero = dir.Write("z.toml", "[plans.pro]\nauth_requests_per_minute = 0\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, zero)), "invalid plans.pro.auth_requests_per_minute in " +
                                                  zero.string() +
                                                  ": must be an integer >= 1, got \"0\"");
}

TEST(Plans, FileOverridesOneFieldAndAddsPlans) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml",
                                  "[plans.free]\nstorage_bytes = 1000\n"
                                  "[plans.gold]\nrequests_per_minute = \"7\"\n");
  const Config config = LoadOk({}, {}, file);
  EXPECT_EQ(config.plans.Find("free")->storage_bytes, 1000u);
  EXPECT_EQ(config.plans.Find("free")->requests_per_minute, 600u);  // kept
  ASSERT_NE(config.plans.Find("gold"), nullptr);
  EXPECT_EQ(config.plans.Find("gold")->requests_per_minute, 7u);
  EXPECT_EQ(config.plans.Find("gold")->storage_bytes, 0u);
}

TEST(Plans, RejectsBadNamesKeysAndValuesInOneLine) {
  TempDir dir;
  const fs::path zero = dir.Write("a.toml", "[plans.free]\nrequests_per_minute = 0\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, zero)), "invalid plans.free.requests_per_minute in " +
                                                  zero.string() +
                                                  ": must be an integer >= 1, got \"0\"");
  const fs::path negative = dir.Write("b.toml", "[plans.free]\nstorage_bytes = -1\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, negative)), "invalid plans.free.storage_bytes in " +
                                                      negative.string() +
                                                      ": must be an integer >= 0, got \"-1\"");
  const fs::path unknown = dir.Write("c.toml", "[plans.free]\nrequests = 5\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, unknown)),
            "unknown plan setting \"requests\" in plans.free in " + unknown.string() +
                " (known: requests_per_minute, credential_requests_per_minute, "
                "auth_requests_per_minute, storage_bytes)");
  const fs::path name = dir.Write("d.toml", "[plans.\"Gold Plan\"]\nrequests_per_minute = 5\n");
  EXPECT_EQ(
      ErrorMessage(Load({}, {}, name)),
      "invalid plan name \"Gold Plan\" in " + name.string() + ": 1-32 characters of [a-z0-9_-]");
  const fs::path scalar = dir.Write("e.toml", "plans = 3\n");
  EXPECT_EQ(ErrorMessage(Load({}, {}, scalar)),
            "invalid plans in " + scalar.string() + ": must be a table");
}

TEST(ConfigFile, ReportsMissingFileInOneLineNamingIt) {
  TempDir dir;
  const fs::path file = dir.path() / "absent.toml";
  EXPECT_EQ(ErrorMessage(Load({}, {}, file)),
            "cannot read config file " + file.string() + ": No such file or directory");
}

TEST(ConfigFile, ReportsDirectoryInsteadOfFile) {
  TempDir dir;
  EXPECT_EQ(ErrorMessage(Load({}, {}, dir.path())),
            "cannot read config file " + dir.path().string() + ": it is a directory");
}

TEST(ConfigFile, ReportsBadTomlInOneLineNamingFileAndLine) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml", "host = \"0.0.0.0\"\nport = \n");
  const std::string message = ErrorMessage(Load({}, {}, file));
  EXPECT_EQ(message.rfind("cannot parse config file " + file.string() + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("(line 2)"), std::string::npos) << message;
  EXPECT_EQ(message.find("[error]"), std::string::npos) << message;
  EXPECT_EQ(message.find("toml::"), std::string::npos) << message;
}

TEST(ConfigFile, ReportsDuplicateKeyAsParseError) {
  TempDir dir;
  const fs::path file = dir.Write("t.toml", "port = 1\nport = 2\n");
  const std::string message = ErrorMessage(Load({}, {}, file));
  EXPECT_EQ(message.rfind("cannot parse config file " + file.string(), 0), 0u) << message;
}

// ---- Secrets ----

TEST(ConfigLoad, NeverPutsSecretValuesInMessages) {
  TempDir dir;
  const std::string token = "tok-short";
  // From the environment, from a (refused) flag, and from the file.
  std::string message = ErrorMessage(Load({}, {{"admin_token", token}}, std::nullopt));
  EXPECT_EQ(message, "invalid admin_token (TENANTD_ADMIN_TOKEN): must be at least 16 characters");
  message = ErrorMessage(Load({{"admin_token", token}}, {}, std::nullopt));
  EXPECT_EQ(message.find(token), std::string::npos) << message;
  EXPECT_NE(message.find("TENANTD_ADMIN_TOKEN"), std::string::npos) << message;
  message = ErrorMessage(Load({}, {}, dir.Write("a.toml", "admin_token = \"" + token + "\"\n")));
  EXPECT_EQ(message.find(token), std::string::npos) << message;

  const std::string master = "bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk=";
  message = ErrorMessage(Load({{"master_key", master}}, {}, std::nullopt));
  EXPECT_EQ(message.find(master), std::string::npos) << message;
  EXPECT_NE(message.find("TENANTD_MASTER_KEY"), std::string::npos) << message;

  // toml11 quotes the offending line after its first line; only the first survives.
  const std::string long_token = "0123456789abcdef-secret-token";
  message = ErrorMessage(Load({}, {}, dir.Write("b.toml", "admin_token = \"" + long_token + "\n")));
  EXPECT_EQ(message.find(long_token), std::string::npos) << message;
  message =
      ErrorMessage(Load({}, {}, dir.Write("c.toml", "master_key = \"" + master + "\" junk\n")));
  EXPECT_EQ(message.find(master), std::string::npos) << message;
}

TEST(ConfigLoad, RefusesSecretsAsFlagsBecauseArgvShowsInPs) {
  const std::string message =
      ErrorMessage(Load({{"admin_token", "0123456789abcdef0123"}}, {}, std::nullopt));
  EXPECT_NE(message.find("admin_token"), std::string::npos) << message;
  EXPECT_NE(message.find("set TENANTD_ADMIN_TOKEN"), std::string::npos) << message;
}

TEST(ConfigLoad, KeepsAdminTokenOfSixteenOrMoreCharacters) {
  EXPECT_EQ(LoadOk({}, {{"admin_token", "0123456789abcdef"}}).admin_token.Reveal(),
            "0123456789abcdef");
  EXPECT_FALSE(Load({}, {{"admin_token", "0123456789abcde"}}, std::nullopt));
}

TEST(ConfigLoad, TreatsEmptySecretsAsUnset) {
  const Config config = LoadOk({}, {{"admin_token", ""}, {"master_key", ""}});
  EXPECT_TRUE(config.admin_token.empty());
  EXPECT_TRUE(config.master_key.empty());
}

TEST(ConfigLoad, RejectsUnknownSettingNamesFromCallers) {
  EXPECT_EQ(ErrorMessage(Load({{"prot", "1"}}, {}, std::nullopt)), "unknown setting \"prot\"");
  EXPECT_EQ(ErrorMessage(Load({}, {{"config", "x"}}, std::nullopt)), "unknown setting \"config\"");
}

// ---- Environment ----

TEST(EnvironmentValues, ReadsEachSettingsVariableByName) {
  std::vector<std::unique_ptr<ScopedEnv>> cleared;
  for (const SettingInfo& info : AllSettings()) {
    cleared.push_back(std::make_unique<ScopedEnv>(info.env, std::nullopt));
  }
  ScopedEnv port("APP_PORT", "9999");
  ScopedEnv log_json("LOG_JSON", "");
  ScopedEnv token("TENANTD_ADMIN_TOKEN", "env-token-0123456789");
  const Values values = EnvironmentValues();
  EXPECT_EQ(values,
            (Values{{"port", "9999"}, {"log_json", ""}, {"admin_token", "env-token-0123456789"}}));
}

// ---- Documentation ----

TEST(ConfigurationDocs, MentionEverySettingNameFlagAndVariable) {
  const fs::path doc = fs::path(TENANTD_SOURCE_DIR) / "docs" / "configuration.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << "cannot open " << doc;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (const SettingInfo& info : AllSettings()) {
    EXPECT_NE(text.find("`" + info.name + "`"), std::string::npos) << info.name;
    EXPECT_NE(text.find("`" + info.env + "`"), std::string::npos) << info.env;
    if (info.has_flag) {
      EXPECT_NE(text.find("`" + FlagOf(info)), std::string::npos) << FlagOf(info);
    }
  }
}

}  // namespace
}  // namespace tenantd::config

namespace tenantd::config {
namespace {

// X-Tenantd-Token needs access tokens this version does not issue (issue 22).
TEST(ConfigLoad, RefusesForwardTokenUntilAccessTokensExist) {
  EXPECT_FALSE(LoadOk({}, {{"forward_token", "false"}}).forward_token);
  const auto loaded = Load({}, {{"forward_token", "1"}}, std::nullopt);
  ASSERT_FALSE(loaded);
  EXPECT_NE(ErrorMessage(loaded).find("TENANTD_FORWARD_TOKEN"), std::string::npos);
  EXPECT_NE(ErrorMessage(loaded).find("access tokens"), std::string::npos);
}

}  // namespace
}  // namespace tenantd::config
