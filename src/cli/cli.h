// The tenantd command line (api.md §9): serve, tenant …, version.
#pragma once

namespace tenantd::cli {

// Parses argv, runs the command, returns the process exit code
// (0 ok, 1 failure, 2 usage error).
int Main(int argc, char** argv);

}  // namespace tenantd::cli
