// A real PostgreSQL 15 cluster for tests (Debian package postgresql-15;
// `make test` installs it): initdb into a fresh temporary directory, a free
// loopback port, trust authentication on loopback only, torn down after.
// As root (CI), the server runs as the unprivileged `postgres` user.
// A missing PostgreSQL fails the test: PostgreSQL tests never skip.
//
// One cluster is shared by every test binary of a ctest run: the CTest
// fixture `postgres` (tests/support/postgres_fixture_main.cpp) starts it
// and writes its URL to a file; SharedPostgresUrl() reads that file, or
// starts a cluster for this process when run outside ctest. Each test then
// creates a database of its own (CreateTestDatabase).
//
// Not thread-safe: use from one test thread.
#pragma once

#include <filesystem>
#include <string>

namespace tenantd::test {

class PostgresCluster {
 public:
  PostgresCluster() = default;
  ~PostgresCluster();  // stops the server and removes its directory
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // initdb (first time), then starts the server and waits until it accepts
  // connections. The first start picks a free port; later ones (after
  // Stop) reuse it, as a restarted server keeps its address. "" on
  // success, else what went wrong.
  std::string Start();
  // A fast shutdown (pg_ctl -m fast): clients are disconnected.
  void Stop();
  // Leaves the server running and its directory in place when this object
  // goes (the CTest fixture's start); StopAndRemove(dir()) ends it later.
  void Detach();
  static void StopAndRemove(const std::filesystem::path& dir);

  int port() const { return port_; }
  // postgres://postgres@127.0.0.1:<port>/<database>
  std::string Url(const std::string& database = "postgres") const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  // pg_ctl start on port_ (the cluster exists); "" or what went wrong.
  std::string StartOnPort();
  std::filesystem::path dir_;
  int port_ = 0;
  bool running_ = false;
};

// The URL of the shared cluster's `postgres` database. Throws when no
// cluster can be had.
std::string SharedPostgresUrl();

// Creates a fresh database t_<random> on the shared cluster and returns
// its URL. Throws on failure.
std::string CreateTestDatabase();

// The URL with its database name replaced.
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace tenantd::test
