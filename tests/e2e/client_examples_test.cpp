// The signing examples of docs/examples (shell + openssl, Python) run
// against the real server: what the docs show must work.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = fs::path(TENANTD_SOURCE_DIR) / "docs" / "examples";

class ClientExamples : public SharedServerTest<ClientExamples>,
                       public ::testing::WithParamInterface<std::vector<std::string>> {
 protected:
  void SetUp() override {
    SharedServerTest<ClientExamples>::SetUp();
    const std::string slug = UniqueSlug("example");
    Response r = server().CreateTenant(slug);
    ASSERT_EQ(r.status, 201) << r.Describe();
    slug_ = slug;
    env_ = {{"TENANTD_APP_KEY", StringAt(r.Json(), "credentials.app_key")},
            {"TENANTD_APP_SECRET", StringAt(r.Json(), "credentials.app_secret")}};
  }
  std::string Url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(server().port()) + std::string(target);
  }
  CommandResult Run(std::vector<std::string> args, const Env& env) const {
    std::vector<std::string> argv = GetParam();
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env);
  }

  std::string slug_;
  Env env_;
};

TEST_P(ClientExamples, SignedGetSucceeds) {
  CommandResult r = Run({"GET", Url("/v1/whoami")}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"slug\":\"" + slug_ + "\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"mode\":\"signature\""), std::string::npos) << r.out;
}

TEST_P(ClientExamples, SignedGetWithAQuerySucceeds) {
  CommandResult r = Run({"GET", Url("/v1/api-keys?limit=5")}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"data\""), std::string::npos) << r.out;
}

TEST_P(ClientExamples, SignedPostWithABodySucceeds) {
  const fs::path body = server().root() / ("key-" + slug_ + ".json");
  WriteFile(body, R"({"name":"from the example","environment":"test"})");
  CommandResult r = Run({"POST", Url("/v1/api-keys"), body.string()}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"secret\":\"sk_test_"), std::string::npos) << r.out;
}

TEST_P(ClientExamples, WrongSecretFailsWithInvalidSignature) {
  Env wrong = env_;
  wrong[1].second += "x";
  CommandResult r = Run({"GET", Url("/v1/whoami")}, wrong);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("invalid_signature"), std::string::npos) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    ShellAndPython, ClientExamples,
    ::testing::Values(std::vector<std::string>{"bash", (kExamples / "sign-request.sh").string()},
                      std::vector<std::string>{"python3",
                                               (kExamples / "sign_request.py").string()}),
    [](const auto& info) { return info.param[0] == "bash" ? "Shell" : "Python"; });

}  // namespace
}  // namespace tenantd::test
