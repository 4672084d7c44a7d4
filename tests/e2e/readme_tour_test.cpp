// The README's five-minute tour, run as written against a live server: the
// block is read from README.md at test time, so the tour cannot rot. Only
// BASE and DATA are set (the tour's own defaults name `make run`'s).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

// The first ```sh block after the heading "## A five-minute tour".
std::string TourBlock() {
  const std::string readme = ReadFile(fs::path(TENANTD_SOURCE_DIR) / "README.md");
  const std::size_t heading = readme.find("\n## A five-minute tour\n");
  if (heading == std::string::npos) return "";
  const std::size_t open = readme.find("\n```sh\n", heading);
  if (open == std::string::npos) return "";
  const std::size_t begin = open + 7;
  const std::size_t close = readme.find("\n```\n", begin);
  if (close == std::string::npos) return "";
  return readme.substr(begin, close - begin + 1);
}

TEST(ReadmeTour, RunsAsWrittenAgainstALiveServer) {
  const std::string tour = TourBlock();
  ASSERT_NE(tour.find("TOKEN=$(cat \"$DATA/admin.token\")"), std::string::npos) << tour;
  TestServer server;
  // As `make run`: the token generated into the data directory.
  ASSERT_TRUE(server.Start({.set_admin_token = false}));
  const fs::path script = server.root() / "tour.sh";
  // From the repository root, as the README says; -e: any failing step fails the tour.
  WriteFile(script, "cd '" + std::string(TENANTD_SOURCE_DIR) + "'\n" + tour);
  const CommandResult r = RunCommand({"bash", "-e", script.string()},
                                     {{"BASE", "http://127.0.0.1:" + std::to_string(server.port())},
                                      {"DATA", server.data_dir().string()}},
                                     std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  for (const char* expected :
       {"{\"ok\":true}", "\"mode\":\"session\"", "insufficient_scope", "\"price_cents\":1499",
        "downloaded byte for byte", "\n100\n", "\n200\n", "\"mode\":\"signature\"",
        "RateLimit-Limit", "\n204\n", "validation_failed"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " not in:\n" << r.out;
  }
  EXPECT_TRUE(r.err.empty()) << r.err;
}

}  // namespace
}  // namespace tenantd::test
