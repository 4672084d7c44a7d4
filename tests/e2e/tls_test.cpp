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

// Over TLS there is no sendfile: uploads stream through the TLS stream and
// downloads through a buffer; both must be byte-exact, ranges included.
TEST_F(Tls, UploadsAndDownloadsFilesOverHttps) {
  ASSERT_TRUE(StartTls());
  CommandResult created =
      Curl("/admin/v1/tenants",
           {"-H", "Authorization: Bearer " + server_.admin_token(), "-H",
            "Content-Type: application/json", "-d", R"({"slug":"tls-files","name":"TLS files"})"});
  auto [tenant, tenant_status] = BodyAndStatus(created.out);
  ASSERT_EQ(tenant_status, "201") << tenant;
  const json::value t = json::parse(tenant);
  const std::string key_header = "X-App-Key: " + StringAt(t, "credentials.app_key");
  const std::string secret_header = "X-App-Secret: " + StringAt(t, "credentials.app_secret");

  std::string bytes(1536 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) ^ (i >> 9));
  const std::string source = (server_.root() / "up.bin").string();
  WriteFile(source, bytes);
  CommandResult up = Curl("/v1/files", {"-H", key_header, "-H", secret_header, "-H",
                                        "Content-Type: application/octet-stream", "-H",
                                        "X-Filename: up.bin", "--data-binary", "@" + source});
  auto [file, up_status] = BodyAndStatus(up.out);
  ASSERT_EQ(up_status, "201") << file;
  const std::string id = StringAt(json::parse(file), "file.id");

  const std::string back = (server_.root() / "back.bin").string();
  CommandResult down = Curl("/v1/files/" + id, {"-H", key_header, "-H", secret_header, "-o", back});
  EXPECT_EQ(BodyAndStatus(down.out).second, "200");
  EXPECT_TRUE(ReadFile(back) == bytes) << "downloaded bytes differ";
  CommandResult part = Curl(
      "/v1/files/" + id, {"-H", key_header, "-H", secret_header, "-r", "1000-200999", "-o", back});
  EXPECT_EQ(BodyAndStatus(part.out).second, "206");
  EXPECT_TRUE(ReadFile(back) == bytes.substr(1000, 200000));
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
