// The transport the courier delivers through (api.md §11 "Email").
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"
#include "mail/transport.h"

namespace tenantd::outbox {

// How long one SMTP delivery may take, connecting included.
inline constexpr std::chrono::seconds kSmtpTimeout{30};

struct TransportChoice {
  std::unique_ptr<mail::Transport> transport;
  // For the start-up log line: "SMTP smtp://user:***@host:587" or
  // ".eml files in <dir>"; never the password.
  std::string description;
};

// SMTP when `smtp_url` (TENANTD_SMTP_URL) is set, trusting `ca_file`
// (TENANTD_SMTP_CA_FILE, "" = the system's CAs); else .eml files under
// `<data_dir>/mail/`. kInvalidArgument for a bad URL or an unreadable CA
// file (the message never shows the password).
base::Result<TransportChoice> OpenTransport(const std::string& smtp_url, const std::string& ca_file,
                                            const std::filesystem::path& data_dir);

}  // namespace tenantd::outbox
