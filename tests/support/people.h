// Users in a TestServer's control store, made from the test process
// through control::People (the store the server uses: SQLite in its data
// directory or, in the PostgreSQL run, its database), for the suites of
// routes and commands that need someone to have signed up.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tenantd::test {

struct CreatedUser {
  std::string id;  // "usr_…"
  std::string email;
  std::string account_id;
  std::string personal_tenant_id;
  std::string password_hash;  // what must never be answered
};

// Signs up `email` on the control store of `data_dir` (which a server or
// CLI run has opened before: its master key exists). The personal
// tenant's slug is `slug`; it gets no database of its own. Fails the
// current test when that fails.
CreatedUser CreateUser(const std::filesystem::path& data_dir, std::string_view email,
                       std::string_view slug, std::string_view name = "Test User");

// Adds a live user session ("ses_…" id) of `user_id` serving `tenant_id`
// to the control store's sessions table, as the server's store writes one.
void AddUserSession(const std::filesystem::path& data_dir, std::string_view user_id,
                    std::string_view tenant_id, std::string_view session_id);

// How many sessions of the user the control store's table holds.
int CountUserSessions(const std::filesystem::path& data_dir, std::string_view user_id);

}  // namespace tenantd::test
