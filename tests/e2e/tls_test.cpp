// TLS: --tls-cert/--tls-key serve HTTPS (checked with curl), plain HTTP to
// that port gets no 200, and half a TLS configuration does not start.
#include <boost/json.hpp>
#include <string>

#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (server_.root() / "c.pem").string();
    key_ = (server_.root() / "k.pem").string();
    CommandResult r = RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                                  "/CN=localhost", "-days", "1", "-keyout", key_, "-out", cert_});
    ASSERT_EQ(r.exit_code, 0) << "openssl: " << r.err;
  }

  ::testing::AssertionResult StartTls() {
    return server_.Start({.args = {"--tls-cert", cert_, "--tls-key", key_}});
  }

  // curl -sk https://127.0.0.1:PORT<target>; the body, then a line with the status.
  CommandResult Curl(const std::string& target, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"curl", "-sk", "--max-time", "10", "-w", "\n%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://127.0.0.1:" + std::to_string(server_.port()) + target);
    return RunCommand(argv);
  }

  // Splits Curl()'s output into body and status.
  static std::pair<std::string, std::string> BodyAndStatus(const std::string& out) {
    std::size_t nl = out.rfind('\n');
    if (nl == std::string::npos) return {"", out};
    return {out.substr(0, nl), out.substr(nl + 1)};
  }

  TestServer server_;
  std::string cert_;
  std::string key_;
};

TEST_F(Tls, ServesHealthzOverHttps) {
  ASSERT_TRUE(StartTls());
  EXPECT_TRUE(server_.is_tls()) << "listening line should say https://: " << server_.StdoutText();
  CommandResult r = Curl("/healthz");
  ASSERT_EQ(r.exit_code, 0) << "curl: " << r.err;
  auto [body, status] = BodyAndStatus(r.out);
  EXPECT_EQ(status, "200");
  EXPECT_EQ(json::parse(body), json::parse(R"({"ok":true})")) << body;
}

TEST_F(Tls, ServesTheAdminApiOverHttps) {
  ASSERT_TRUE(StartTls());
  CommandResult r =
      Curl("/admin/v1/tenants", {"-H", "Authorization: Bearer " + server_.admin_token()});
  ASSERT_EQ(r.exit_code, 0) << "curl: " << r.err;
  auto [body, status] = BodyAndStatus(r.out);
  EXPECT_EQ(status, "200") << body;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  ASSERT_FALSE(ec) << body;
  EXPECT_NE(FindPath(v, "data"), nullptr) << body;
}

TEST_F(Tls, PlainHttpToTheTlsPortGetsNo200) {
  ASSERT_TRUE(StartTls());
  Connection conn(server_.port(), 5s);
  ASSERT_TRUE(conn.connected()) << conn.error();
  conn.Write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  conn.WaitForClose(5s);
  Response r = ParseResponse(conn.received());
  EXPECT_NE(r.status, 200) << conn.received();
  // The server is still serving TLS afterwards.
  CommandResult again = Curl("/healthz");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(BodyAndStatus(again.out).second, "200");
}

TEST_F(Tls, CertificateWithoutKeyDoesNotStart) {
  CommandResult r = RunTenantd({"serve", "--host", "127.0.0.1", "--port", "0", "--data",
                                server_.data_dir().string(), "--tls-cert", cert_},
                               {{"TENANTD_ADMIN_TOKEN", "tls-test-admin-token-123"}}, 10s);
  EXPECT_FALSE(r.timed_out) << "started without a TLS key";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(ContainsIgnoreCase(r.err, "tls")) << r.err;
}

TEST_F(Tls, MissingCertificateFileDoesNotStart) {
  CommandResult r = RunTenantd(
      {"serve", "--host", "127.0.0.1", "--port", "0", "--data", server_.data_dir().string(),
       "--tls-cert", (server_.root() / "missing.pem").string(), "--tls-key", key_},
      {{"TENANTD_ADMIN_TOKEN", "tls-test-admin-token-123"}}, 10s);
  EXPECT_FALSE(r.timed_out) << "started with a missing certificate";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace tenantd::test
