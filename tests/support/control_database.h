// Where the control store of a test data directory lives: the harness
// (test_server.cpp) gives each data directory a PostgreSQL database of its
// own in the suite's PostgreSQL run, and servers and CLI runs on the
// directory share it.
#pragma once

#include <filesystem>
#include <string>

namespace tenantd::test {

// The PostgreSQL URL of `data_dir`'s control store when the suite runs on
// PostgreSQL (TENANTD_E2E_POSTGRES=1), made on first use; "" otherwise
// (the SQLite file <data_dir>/control.db).
std::string ControlDatabaseUrl(const std::filesystem::path& data_dir);

}  // namespace tenantd::test
