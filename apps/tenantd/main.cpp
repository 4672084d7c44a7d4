#include "cli/cli.h"

int main(int argc, char** argv) { return tenantd::cli::Main(argc, argv); }
