// Access log (api.md §8): one line per request on stdout and in
// <data>/storage/framework/log.txt, in text or (LOG_JSON=1 / --log-json) JSON
// form, with credentials masked and never a secret, cookie or body.
//
// The log is written asynchronously, so every check polls for its line.
#include <algorithm>
#include <boost/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "support/fixtures.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

// 2026-11-22T21:04:05.123Z 200 GET /healthz 0.1ms 12B tenant=- id=<id> ip=127.0.0.1 ua="…" ref="-"
const std::regex kTextLine(
    R"re(^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\d{3}) ([A-Z]+) (\S+) (\d+(?:\.\d+)?)ms )re"
    R"re((\d+(?:\.\d+)?)(B|KB|MB) tenant=(\S+) id=(\S+) ip=(\S+) ua="(.*)" ref="(.*)"$)re");

struct TextLine {
  std::string ts, status, method, target, tenant, id, ip, ua, ref;
};

std::optional<TextLine> ParseTextLine(const std::string& line) {
  std::smatch m;
  if (!std::regex_match(line, m, kTextLine)) return std::nullopt;
  return TextLine{m[1], m[2], m[3], m[4], m[8], m[9], m[10], m[11], m[12]};
}

int CountLinesContaining(const std::string& text, std::string_view needle) {
  int n = 0;
  for (const std::string& line : SplitLines(text)) n += line.find(needle) != std::string::npos;
  return n;
}

class AccessLog : public SharedServerTest<AccessLog> {};

TEST_F(AccessLog, EachRequestIsOneTextLineInTheLogFile) {
  Response r = server().Request("GET", "/healthz",
                                {{"X-Request-Id", "log-text-1"}, {"User-Agent", "e2e-agent/1.0"}});
  ASSERT_EQ(r.status, 200);
  std::optional<std::string> line = server().WaitForLogLine("id=log-text-1 ");
  ASSERT_TRUE(line) << "no access line in " << server().log_file() << ":\n" << server().LogText();
  std::optional<TextLine> parsed = ParseTextLine(*line);
  ASSERT_TRUE(parsed) << "line does not have the §8 format: " << *line;
  EXPECT_TRUE(IsRfc3339Millis(parsed->ts));
  EXPECT_EQ(parsed->status, "200");
  EXPECT_EQ(parsed->method, "GET");
  EXPECT_EQ(parsed->target, "/healthz");
  EXPECT_EQ(parsed->tenant, "-");
  EXPECT_EQ(parsed->id, "log-text-1");
  EXPECT_EQ(parsed->ip, "127.0.0.1");
  EXPECT_EQ(parsed->ua, "e2e-agent/1.0");
  EXPECT_EQ(parsed->ref, "-");
  EXPECT_EQ(CountLinesContaining(server().LogText(), "id=log-text-1 "), 1);
}

TEST_F(AccessLog, AccessLinesAlsoGoToStdout) {
  ASSERT_EQ(server().Request("GET", "/readyz", {{"X-Request-Id", "log-stdout-1"}}).status, 200);
  std::optional<std::string> line = server().WaitForLogLine("id=log-stdout-1 ", 5s, true);
  ASSERT_TRUE(line) << "stdout:\n" << server().StdoutText();
  std::optional<TextLine> parsed = ParseTextLine(*line);
  ASSERT_TRUE(parsed) << *line;
  EXPECT_EQ(parsed->target, "/readyz");
}

TEST_F(AccessLog, GeneratedRequestIdIsLogged) {
  Response r = server().Request("GET", "/healthz");
  std::string id = r.Header("X-Request-Id");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(server().WaitForLogLine("id=" + id + " ")) << server().LogText();
}

TEST_F(AccessLog, ErrorsAreLoggedWithTheirStatus) {
  ASSERT_EQ(server().Request("GET", "/nope/logged", {{"X-Request-Id", "log-404"}}).status, 404);
  ASSERT_EQ(server().Request("POST", "/healthz", {{"X-Request-Id", "log-405"}}).status, 405);
  std::optional<std::string> a = server().WaitForLogLine("id=log-404 ");
  std::optional<std::string> b = server().WaitForLogLine("id=log-405 ");
  ASSERT_TRUE(a && b) << server().LogText();
  EXPECT_NE(a->find(" 404 GET /nope/logged "), std::string::npos) << *a;
  EXPECT_NE(b->find(" 405 POST /healthz "), std::string::npos) << *b;
}

TEST_F(AccessLog, RefererIsLogged) {
  server().Request("GET", "/healthz",
                   {{"X-Request-Id", "log-ref"}, {"Referer", "https://example.test/page?q=1"}});
  std::optional<std::string> line = server().WaitForLogLine("id=log-ref ");
  ASSERT_TRUE(line) << server().LogText();
  std::optional<TextLine> parsed = ParseTextLine(*line);
  ASSERT_TRUE(parsed) << *line;
  EXPECT_EQ(parsed->ref, "https://example.test/page?q=1");
}

// Issue 12: a Referer carrying a presigned link's signature or a token was
// logged as sent.
TEST_F(AccessLog, CredentialsInTheRefererAreMasked) {
  server().Request("GET", "/healthz",
                   {{"X-Request-Id", "log-ref-mask"},
                    {"Referer",
                     "https://example.test/v1/files/f?expires=9&signature=refsig-4417"
                     "&token=reftok-4417&q=1"}});
  std::optional<std::string> line = server().WaitForLogLine("id=log-ref-mask ");
  ASSERT_TRUE(line) << server().LogText();
  std::optional<TextLine> parsed = ParseTextLine(*line);
  ASSERT_TRUE(parsed) << *line;
  EXPECT_EQ(parsed->ref, "https://example.test/v1/files/f?expires=9&signature=***&token=***&q=1");
  EXPECT_EQ(server().LogText().find("-4417"), std::string::npos);
  EXPECT_EQ(server().StdoutText().find("-4417"), std::string::npos);
}

TEST_F(AccessLog, LongUserAgentIsTrimmedTo120Characters) {
  std::string ua = "Agent/" + std::string(300, 'u');
  server().Request("GET", "/healthz", {{"X-Request-Id", "log-ua"}, {"User-Agent", ua}});
  std::optional<std::string> line = server().WaitForLogLine("id=log-ua ");
  ASSERT_TRUE(line) << server().LogText();
  std::optional<TextLine> parsed = ParseTextLine(*line);
  ASSERT_TRUE(parsed) << *line;
  EXPECT_TRUE(parsed->ua.starts_with("Agent/uuu")) << parsed->ua;
  EXPECT_LE(std::count(parsed->ua.begin(), parsed->ua.end(), 'u'), 120) << parsed->ua;
}

TEST_F(AccessLog, CredentialQueryParametersAreMasked) {
  ASSERT_EQ(
      server().Request("GET", "/healthz?token=abc&x=1", {{"X-Request-Id", "log-mask"}}).status,
      200);
  std::optional<std::string> line = server().WaitForLogLine("id=log-mask ");
  ASSERT_TRUE(line) << server().LogText();
  EXPECT_NE(line->find(" GET /healthz?token=***&x=1 "), std::string::npos) << *line;

  for (const char* name : {"signature", "sig", "token", "key", "secret"}) {
    SCOPED_TRACE(name);
    std::string value = std::string("val-") + name + "-93731";
    std::string id = std::string("log-mask-") + name;
    server().Request("GET", "/healthz?a=1&" + std::string(name) + "=" + value,
                     {{"X-Request-Id", id}});
    std::optional<std::string> masked = server().WaitForLogLine("id=" + id + " ");
    ASSERT_TRUE(masked) << server().LogText();
    EXPECT_NE(masked->find("/healthz?a=1&" + std::string(name) + "=*** "), std::string::npos)
        << *masked;
    EXPECT_EQ(server().LogText().find(value), std::string::npos);
    EXPECT_EQ(server().StdoutText().find(value), std::string::npos);
  }
}

TEST_F(AccessLog, AuthorizationAndCookieValuesAreNeverLogged) {
  std::string token = server().admin_token();
  Response r = server().Request("GET", "/admin/v1/tenants",
                                {{"Authorization", "Bearer " + token},
                                 {"Cookie", "sid=cookie-value-58213; theme=dark"},
                                 {"X-Request-Id", "log-auth"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  server().Request("GET", "/admin/v1/tenants",
                   {{"Authorization", "Bearer wrong-token-77215"}, {"X-Request-Id", "log-auth-2"}});
  ASSERT_TRUE(server().WaitForLogLine("id=log-auth ")) << server().LogText();
  ASSERT_TRUE(server().WaitForLogLine("id=log-auth-2 ")) << server().LogText();
  for (const std::string& text : {server().LogText(), server().StdoutText()}) {
    EXPECT_EQ(text.find(token), std::string::npos) << "admin token logged";
    EXPECT_EQ(text.find("wrong-token-77215"), std::string::npos) << "presented token logged";
    EXPECT_EQ(text.find("cookie-value-58213"), std::string::npos) << "cookie logged";
  }
}

TEST_F(AccessLog, AppSecretAndRequestBodiesAreNeverLogged) {
  std::string marker = "BodyMarker-" + UniqueSlug("m");
  Response r =
      server().Request("POST", "/admin/v1/tenants",
                       {{"Authorization", "Bearer " + server().admin_token()},
                        {"Content-Type", "application/json"},
                        {"X-Request-Id", "log-create"}},
                       R"({"slug":")" + UniqueSlug("logged") + R"(","name":")" + marker + "\"}");
  ASSERT_EQ(r.status, 201) << r.Describe();
  std::string secret = StringAt(r.Json(), "credentials.app_secret");
  ASSERT_FALSE(secret.empty());
  std::optional<std::string> line = server().WaitForLogLine("id=log-create ");
  ASSERT_TRUE(line) << server().LogText();
  EXPECT_NE(line->find(" 201 POST /admin/v1/tenants "), std::string::npos) << *line;
  std::this_thread::sleep_for(200ms);  // anything else the request might log
  for (const std::string& text :
       {server().LogText(), server().StdoutText(), server().StderrText()}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "app secret logged";
    EXPECT_EQ(text.find(marker), std::string::npos) << "request body logged";
  }
}

TEST_F(AccessLog, RequestsRejectedBeforeRoutingAreLogged) {
  Response too_long = server().Request("GET", "/healthz?pad=" + std::string(9000, 'p'));
  ASSERT_EQ(too_long.status, 414) << too_long.Describe();
  Response too_large = server().Request("GET", "/healthz", {{"X-Big", std::string(17000, 'h')}});
  ASSERT_EQ(too_large.status, 431) << too_large.Describe();
  Connection conn(server().port(), 5s);
  ASSERT_TRUE(conn.Write("POST /admin/v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                         server().admin_token() +
                         "\r\nContent-Type: application/json\r\nX-Request-Id: log-413\r\n"
                         "Content-Length: 5000000\r\n\r\n"));
  Response payload = conn.ReadResponse();
  ASSERT_EQ(payload.status, 413) << payload.Describe();

  EXPECT_TRUE(server().WaitForLogLine(" 414 ")) << server().LogText();
  EXPECT_TRUE(server().WaitForLogLine(" 431 ")) << server().LogText();
  std::optional<std::string> line = server().WaitForLogLine(" 413 POST /admin/v1/tenants ");
  ASSERT_TRUE(line) << server().LogText();
  EXPECT_NE(line->find("id=log-413 "), std::string::npos) << *line;
}

TEST(AccessLogFile, IsAppendedAcrossRestarts) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  server.Request("GET", "/healthz", {{"X-Request-Id", "before-restart"}});
  ASSERT_TRUE(server.WaitForLogLine("id=before-restart ")) << server.LogText();
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  server.Request("GET", "/healthz", {{"X-Request-Id", "after-restart"}});
  ASSERT_TRUE(server.WaitForLogLine("id=after-restart ")) << server.LogText();
  EXPECT_EQ(CountLinesContaining(server.LogText(), "id=before-restart "), 1) << server.LogText();
}

// Checks the JSON access line of request `id` in the log file and stdout.
void ExpectJsonAccessLine(const TestServer& server, const std::string& id) {
  for (bool from_stdout : {false, true}) {
    SCOPED_TRACE(from_stdout ? "stdout" : "log.txt");
    std::optional<std::string> line = server.WaitForLogLine("\"" + id + "\"", 5s, from_stdout);
    ASSERT_TRUE(line) << (from_stdout ? server.StdoutText() : server.LogText());
    boost::system::error_code ec;
    json::value v = json::parse(*line, ec);
    ASSERT_FALSE(ec) << "not one JSON object: " << *line;
    ASSERT_TRUE(v.is_object()) << *line;
    EXPECT_TRUE(IsRfc3339Millis(StringAt(v, "ts"))) << *line;
    ASSERT_NE(FindPath(v, "status"), nullptr) << *line;
    EXPECT_TRUE(FindPath(v, "status")->is_number() &&
                FindPath(v, "status")->to_number<int>() == 200)
        << *line;
    EXPECT_EQ(StringAt(v, "method"), "GET");
    EXPECT_EQ(StringAt(v, "target"), "/healthz?token=***&x=1");
    ASSERT_NE(FindPath(v, "duration_ms"), nullptr) << *line;
    EXPECT_TRUE(FindPath(v, "duration_ms")->is_number()) << *line;
    ASSERT_NE(FindPath(v, "bytes"), nullptr) << *line;
    EXPECT_TRUE(FindPath(v, "bytes")->is_number()) << *line;
    EXPECT_NE(FindPath(v, "tenant"), nullptr) << *line;
    EXPECT_EQ(StringAt(v, "request_id"), id);
    EXPECT_EQ(StringAt(v, "ip"), "127.0.0.1");
    EXPECT_EQ(StringAt(v, "ua"), "json-agent");
    EXPECT_NE(FindPath(v, "ref"), nullptr) << *line;
    EXPECT_EQ(line->find("tokval"), std::string::npos) << *line;
  }
  // api.md §8: the JSON object comes in addition to the text line.
  for (const std::string& text : {server.LogText(), server.StdoutText()}) {
    EXPECT_EQ(CountLinesContaining(text, "\"" + id + "\""), 1) << text;
    EXPECT_EQ(CountLinesContaining(text, "id=" + id + " "), 1) << text;
  }
}

TEST(AccessLogJson, LogJsonEnvironmentWritesOneJsonObjectPerLine) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"LOG_JSON", "1"}}}));
  ASSERT_EQ(server
                .Request("GET", "/healthz?token=tokval&x=1",
                         {{"X-Request-Id", "json-env-1"}, {"User-Agent", "json-agent"}})
                .status,
            200);
  ExpectJsonAccessLine(server, "json-env-1");
}

TEST(AccessLogJson, LogJsonFlagWritesOneJsonObjectPerLine) {
  TestServer server;
  ASSERT_TRUE(server.Start({.args = {"--log-json"}}));
  ASSERT_EQ(server
                .Request("GET", "/healthz?token=tokval&x=1",
                         {{"X-Request-Id", "json-flag-1"}, {"User-Agent", "json-agent"}})
                .status,
            200);
  ExpectJsonAccessLine(server, "json-flag-1");
}

// Issue 12: the help says --log-json takes true/false; `false` was refused.
TEST(AccessLogJson, LogJsonFlagTakesFalse) {
  TestServer server;
  ASSERT_TRUE(server.Start({.args = {"--log-json", "false"}}));
  server.Request("GET", "/healthz", {{"X-Request-Id", "json-false-1"}});
  std::optional<std::string> line = server.WaitForLogLine("id=json-false-1 ");
  ASSERT_TRUE(line) << server.LogText();
  EXPECT_TRUE(ParseTextLine(*line)) << *line;
}

}  // namespace
}  // namespace tenantd::test
