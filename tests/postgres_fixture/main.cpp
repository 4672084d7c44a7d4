// The CTest fixture that shares one PostgreSQL cluster among the test
// binaries of a run (tests/support/postgres_server.h):
//   postgres_fixture start FILE   starts a cluster, writes its URL to FILE
//                                 and its directory to FILE.dir
//   postgres_fixture stop FILE    stops that cluster and removes both
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/postgres_server.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: postgres_fixture start|stop FILE\n");
    return 2;
  }
  const std::string command = argv[1];
  const std::filesystem::path file = argv[2];
  const std::filesystem::path dir_file = file.string() + ".dir";
  if (command == "stop") {
    std::ifstream in(dir_file);
    std::string dir;
    if (std::getline(in, dir) && !dir.empty()) tenantd::test::PostgresCluster::StopAndRemove(dir);
    std::error_code ec;
    std::filesystem::remove(file, ec);
    std::filesystem::remove(dir_file, ec);
    return 0;
  }
  if (command != "start") return 2;
  {
    // A cluster a killed run left behind goes first.
    std::ifstream in(dir_file);
    std::string dir;
    if (std::getline(in, dir) && !dir.empty()) tenantd::test::PostgresCluster::StopAndRemove(dir);
  }
  tenantd::test::PostgresCluster cluster;
  if (const std::string error = cluster.Start(); !error.empty()) {
    std::fprintf(stderr, "postgres_fixture: %s\n", error.c_str());
    return 1;
  }
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(dir_file) << cluster.dir().string() << "\n";
  std::ofstream(file) << cluster.Url() << "\n";
  std::printf("PostgreSQL for the tests at %s\n", cluster.Url().c_str());
  cluster.Detach();
  return 0;
}
