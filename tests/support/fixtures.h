// gtest fixtures around TestServer.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/test_server.h"

namespace tenantd::test {

// One server shared by every test of a suite, for suites whose tests only
// read or create uniquely named things. `Suite` may declare
// `static ServerOptions Options()` to start it with other settings.
//
//   class AdminApi : public SharedServerTest<AdminApi> {};
//   TEST_F(AdminApi, ...) { server().Admin("GET", "/admin/v1/tenants"); }
template <class Suite>
class SharedServerTest : public ::testing::Test {
 public:
  static ServerOptions Options() { return {}; }

  static void SetUpTestSuite() {
    server_ = std::make_unique<TestServer>();
    ::testing::AssertionResult started = server_->Start(Suite::Options());
    start_error_ = started ? "" : started.message();
    if (start_error_.empty() && !started) start_error_ = "server did not start";
  }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr && start_error_.empty()) << start_error_;
    ASSERT_TRUE(server_->running())
        << "the shared server has died (exit status "
        << server_->WaitForExit(std::chrono::milliseconds(0)) << "); stderr:\n"
        << server_->StderrText();
  }

  static TestServer& server() { return *server_; }

 private:
  inline static std::unique_ptr<TestServer> server_;
  inline static std::string start_error_;
};

}  // namespace tenantd::test
