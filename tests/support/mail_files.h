// The emails a server writes as .eml files when no SMTP server is
// configured (<data>/mail/, api.md §11): what the e2e suites read links from.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace tenantd::test {

// The token of the newest `action` link ("verify", "reset", "invite") in an
// email to `to` (compared lower-cased) under `data_dir`/mail, decoding the
// quoted-printable body; waits up to `wait` for the courier to write it.
// "" when none came.
std::string TokenFromMail(const std::filesystem::path& data_dir, std::string to,
                          std::string_view action,
                          std::chrono::milliseconds wait = std::chrono::seconds(10));

}  // namespace tenantd::test
