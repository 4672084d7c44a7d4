#include "mail/smtp_transport.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <mutex>
#include <vector>

namespace tenantd::mail {
namespace {

base::Error InvalidUrl(std::string why) {
  return base::InvalidArgument(
      "invalid_smtp_url",
      "invalid TENANTD_SMTP_URL: " + std::move(why) +
          " (smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port])");
}

// %XX escapes, so a password may hold ':', '@' or '/'.
bool Unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != s.data() + i + 3) return false;
    out += static_cast<char>(value);
    i += 2;
  }
  return true;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// The text of a server reply or curl error fit for a log line: printable
// ASCII only, bounded.
std::string Printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (out.size() >= 300) break;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// What one Send reads from and records: the message left to upload and the
// server's reply lines.
struct Session {
  std::string_view pending;
  std::vector<std::string> replies;

  // The last reply line with `code`: the reply that decided the outcome
  // (curl still says QUIT after a failure, and "221 Bye" tells nothing).
  std::string ReplyWithCode(long code) const {
    const std::string prefix = std::to_string(code);
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->starts_with(prefix)) return *it;
    }
    return replies.empty() ? std::string() : replies.back();
  }
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* session = static_cast<Session*>(user);
  const std::size_t n = std::min(size * count, session->pending.size());
  std::memcpy(buffer, session->pending.data(), n);
  session->pending.remove_prefix(n);
  return n;
}

// Keeps the last reply line from the server. Only CURLINFO_HEADER_IN
// (server to client) is looked at: what curl sends, AUTH included, is
// never recorded, so the password cannot reach a log.
int RecordReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto& replies = static_cast<Session*>(user)->replies;
  if (!line.empty() && replies.size() < 100) replies.push_back(Printable(line));
  return 0;
}

void GlobalInit() {
  static std::once_flag once;
  // curl_global_init is not thread-safe; every Send goes through here first.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string SmtpUrl::Masked() const {
  std::string out = implicit_tls ? "smtps://" : "smtp://";
  if (!user.empty()) out += user + (password.empty() ? "@" : ":***@");
  return out + host + ":" + std::to_string(port);
}

base::Result<SmtpUrl> ParseSmtpUrl(std::string_view text) {
  SmtpUrl url;
  std::string_view rest;
  if (text.starts_with("smtp://")) {
    rest = text.substr(7);
  } else if (text.starts_with("smtps://")) {
    rest = text.substr(8);
    url.implicit_tls = true;
    url.port = 465;
  } else {
    return InvalidUrl("must start with smtp:// or smtps://");
  }
  // The last '@' ends the user part: a password may hold a raw '@' or '/'.
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const std::size_t colon = userinfo.find(':');
    std::string user, password;
    if (!Unescape(userinfo.substr(0, colon), user)) return InvalidUrl("bad %-escape in the user");
    if (colon != std::string_view::npos && !Unescape(userinfo.substr(colon + 1), password)) {
      return InvalidUrl("bad %-escape in the password");
    }
    if (user.empty()) return InvalidUrl("a password needs a user");
    url.user = std::move(user);
    url.password = base::Secret(std::move(password));
  }
  const std::size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 != rest.size()) {
    return InvalidUrl("nothing may follow host:port");
  }
  std::string_view port_text;
  if (hostport.starts_with('[')) {
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return InvalidUrl("unclosed '[' in the host");
    for (const char c : hostport.substr(1, close - 1)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return InvalidUrl("bad IPv6 address");
      }
    }
    if (close == 1) return InvalidUrl("no host");
    url.host = std::string(hostport.substr(0, close + 1));
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidUrl("expected ':port' after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return InvalidUrl("port must be 1-65535");
    }
  } else {
    const std::size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      port_text = hostport.substr(colon + 1);
      if (port_text.empty()) return InvalidUrl("port must be 1-65535");
      hostport = hostport.substr(0, colon);
    }
    if (hostport.empty()) return InvalidUrl("no host");
    for (const char c : hostport) {
      if (!IsHostChar(c)) return InvalidUrl("the host holds a character that is not allowed");
    }
    url.host = std::string(hostport);
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return InvalidUrl("port must be 1-65535");
    }
    url.port = static_cast<uint16_t>(port);
  }
  return url;
}

SmtpTransport::SmtpTransport(SmtpUrl url, std::string ca_file, std::chrono::seconds timeout)
    : url_(std::move(url)), ca_file_(std::move(ca_file)), timeout_(timeout) {}

base::Result<std::unique_ptr<SmtpTransport>> SmtpTransport::Create(const SmtpSettings& settings) {
  TENANTD_TRY(SmtpUrl url, ParseSmtpUrl(settings.url));
  if (!settings.ca_file.empty() && ::access(settings.ca_file.c_str(), R_OK) != 0) {
    return base::InvalidArgument("invalid_config",
                                 "TENANTD_SMTP_CA_FILE cannot be read: " + settings.ca_file);
  }
  if (settings.timeout <= std::chrono::seconds(0)) {
    return base::InvalidArgument("invalid_config", "the SMTP timeout must be positive");
  }
  return std::unique_ptr<SmtpTransport>(
      new SmtpTransport(std::move(url), settings.ca_file, settings.timeout));
}

Delivery SmtpTransport::Send(const Message& m) {
  if (auto valid = ValidateMessage(m); !valid) {
    return {Outcome::kFailed, valid.error().public_message};
  }
  // Validated above: both parse.
  const std::string from = "<" + *BareAddress(m.from) + ">";
  const std::string to = "<" + *BareAddress(m.to) + ">";
  const std::string text = FormatMessage(m);
  const std::string where = "SMTP " + url_.Masked() + ": ";

  GlobalInit();
  std::unique_ptr<CURL, CurlEasyDeleter> curl(curl_easy_init());
  if (!curl) return {Outcome::kRetry, where + "cannot create a curl handle"};
  std::unique_ptr<curl_slist, CurlListDeleter> recipients(curl_slist_append(nullptr, to.c_str()));
  if (!recipients) return {Outcome::kRetry, where + "out of memory"};

  Session session{text, {}};
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  // The URL carries no credentials (they go by CURLOPT_USERNAME and
  // CURLOPT_PASSWORD), so nothing curl reports about it can leak them.
  const std::string curl_url = std::string(url_.implicit_tls ? "smtps://" : "smtp://") + url_.host +
                               ":" + std::to_string(url_.port);
  const long timeout_ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count());
  // Without credentials, plain SMTP when the server offers no STARTTLS (a
  // relay on the loopback, say); with them, TLS or nothing.
  const long use_ssl = url_.implicit_tls || !url_.user.empty() ? CURLUSESSL_ALL : CURLUSESSL_TRY;

  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_URL, curl_url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we run on worker threads
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_USE_SSL, use_ssl);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file_.empty()) set(CURLOPT_CAINFO, ca_file_.c_str());
  if (!url_.user.empty()) {
    set(CURLOPT_USERNAME, url_.user.c_str());
    set(CURLOPT_PASSWORD, url_.password.Reveal().c_str());
  }
  set(CURLOPT_MAIL_FROM, from.c_str());
  set(CURLOPT_MAIL_RCPT, recipients.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_READFUNCTION, &ReadBody);
  set(CURLOPT_READDATA, &session);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  set(CURLOPT_DEBUGFUNCTION, &RecordReply);
  set(CURLOPT_DEBUGDATA, &session);
  set(CURLOPT_VERBOSE, 1L);  // feeds RecordReply; nothing is printed
  if (rc != CURLE_OK) {
    return {Outcome::kRetry, where + "curl setup failed: " + curl_easy_strerror(rc)};
  }

  rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  const std::string last = session.ReplyWithCode(code);
  const std::string reply = last.empty() ? std::string() : " (server: " + last + ")";
  if (rc == CURLE_OK) return {Outcome::kSent, where + "accepted" + reply};
  std::string detail =
      where + (error[0] != '\0' ? Printable(error) : curl_easy_strerror(rc)) + reply;
  // RFC 5321 §4.2.1: 5yz is a permanent failure, 4yz a transient one.
  // Anything else (no reply, a 220 before a failed TLS handshake, a 250
  // before a missing STARTTLS) is a failure of the connection: retried.
  if (code >= 500 && code < 600) return {Outcome::kFailed, std::move(detail)};
  return {Outcome::kRetry, std::move(detail)};
}

}  // namespace tenantd::mail
