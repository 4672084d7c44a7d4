#include "outbox/open_transport.h"

#include "mail/eml_directory.h"
#include "mail/smtp_transport.h"

namespace tenantd::outbox {

base::Result<TransportChoice> OpenTransport(const std::string& smtp_url, const std::string& ca_file,
                                            const std::filesystem::path& data_dir) {
  if (smtp_url.empty()) {
    const std::filesystem::path dir = data_dir / "mail";
    return TransportChoice{std::make_unique<mail::EmlDirectory>(dir),
                           ".eml files in " + dir.string() + " (TENANTD_SMTP_URL is not set)"};
  }
  TENANTD_TRY(mail::SmtpUrl url, mail::ParseSmtpUrl(smtp_url));
  TENANTD_TRY(std::unique_ptr<mail::SmtpTransport> smtp,
              mail::SmtpTransport::Create({smtp_url, ca_file, kSmtpTimeout}));
  return TransportChoice{std::move(smtp), "SMTP " + url.Masked()};
}

}  // namespace tenantd::outbox
