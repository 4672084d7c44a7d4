// Delivery over SMTP with libcurl (TENANTD_SMTP_URL, TENANTD_SMTP_CA_FILE).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret.h"
#include "mail/transport.h"

namespace tenantd::mail {

// TENANTD_SMTP_URL: `smtp://[user[:pass]@]host[:port]` (STARTTLS when the
// server offers it; port 587 by default) or `smtps://…` (implicit TLS; port
// 465 by default). A trailing "/" and nothing else may follow the port.
struct SmtpUrl {
  bool implicit_tls = false;  // smtps://
  std::string host;           // as written; an IPv6 literal keeps its brackets
  uint16_t port = 587;
  std::string user;       // percent-decoded; "" = no AUTH
  base::Secret password;  // percent-decoded

  // The URL with the password replaced by "***": what logs show.
  std::string Masked() const;
};

// Parses `text`; kInvalidArgument "invalid_smtp_url" naming what is wrong,
// never echoing the password (nor the user part, which may hold it by mistake).
base::Result<SmtpUrl> ParseSmtpUrl(std::string_view text);

struct SmtpSettings {
  std::string url;                   // TENANTD_SMTP_URL (holds the password)
  std::string ca_file;               // TENANTD_SMTP_CA_FILE; "" = the system store
  std::chrono::seconds timeout{30};  // for a whole Send, connecting included
};

// Sends each message in its own SMTP session (one libcurl easy handle per
// Send, so Send is thread-safe). Certificates are always verified, against
// `ca_file` when set. With credentials, smtp:// requires STARTTLS: the
// password is never sent in the clear, so a server (or an attacker in the
// path) that does not offer STARTTLS gets kRetry, not the password.
//
// Outcomes: the server's 250 after the data -> kSent; a 5xx reply at any
// step (MAIL, RCPT, DATA, AUTH) -> kFailed; a 4xx reply, a connection, TLS
// or certificate failure, a timeout -> kRetry.
class SmtpTransport final : public Transport {
 public:
  // kInvalidArgument "invalid_smtp_url" for a bad URL; "invalid_config"
  // when `ca_file` is set but cannot be read.
  static base::Result<std::unique_ptr<SmtpTransport>> Create(const SmtpSettings& settings);

  Delivery Send(const Message& m) override;

 private:
  SmtpTransport(SmtpUrl url, std::string ca_file, std::chrono::seconds timeout);

  const SmtpUrl url_;
  const std::string ca_file_;
  const std::chrono::seconds timeout_;
};

}  // namespace tenantd::mail
