// Size limits and slow clients (api.md §1): 414, 431, 413 (from
// Content-Length and from chunked bodies), header / body-idle / keep-alive
// timeouts, keep-alive and HTTP/1.0 connection handling.
//
// Timeouts are set to 2 s so that every wait here is short; each test only
// bounds how long the server may take, never how fast it is.
#include <boost/json.hpp>
#include <string>
#include <thread>

#include "support/fixtures.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxJsonBytes = 4096;

class Limits : public SharedServerTest<Limits> {
 public:
  static ServerOptions Options() {
    return {.args = {"--header-timeout", "2", "--body-idle-timeout", "2", "--keepalive-timeout",
                     "2", "--max-json-bytes", std::to_string(kMaxJsonBytes)}};
  }

 protected:
  static std::string AdminPostHead(std::string_view extra_headers) {
    return "POST /admin/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           server().admin_token() + "\r\nContent-Type: application/json\r\n" +
           std::string(extra_headers) + "\r\n";
  }

  // A valid create body padded with spaces to exactly `size` bytes.
  static std::string PaddedTenantBody(std::string_view slug, std::size_t size) {
    std::string body = R"({"slug":")" + std::string(slug) + R"(","name":"Padded")";
    body += std::string(size - body.size() - 1, ' ');
    body += "}";
    return body;
  }
};

std::string Chunk(std::string_view data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + std::string(data) + "\r\n";
}

// After a server closed `conn` on a slow client: no answer at all, or a 408.
::testing::AssertionResult ClosedSilentlyOrWith408(const Connection& conn) {
  if (conn.received().empty()) return ::testing::AssertionSuccess();
  return IsProblem(ParseResponse(conn.received()), 408, "request_timeout")
         << " (a slow client gets a close or a 408)";
}

// ---- request line and headers ---------------------------------------------

TEST_F(Limits, RequestLineOver8KiBIsUriTooLong) {
  Response r = server().Request("GET", "/healthz?pad=" + std::string(9000, 'a'));
  EXPECT_TRUE(IsProblem(r, 414, "uri_too_long"));
}

TEST_F(Limits, RequestLineJustUnder8KiBIsServed) {
  Response r = server().Request("GET", "/healthz?pad=" + std::string(8000, 'a'));
  EXPECT_EQ(r.status, 200) << r.Describe();
}

TEST_F(Limits, HeaderBlockOver16KiBIsHeaderTooLarge) {
  Headers many;
  for (int i = 0; i < 20; ++i)
    many.emplace_back("X-Pad-" + std::to_string(i), std::string(1000, 'h'));
  EXPECT_TRUE(IsProblem(server().Request("GET", "/healthz", many), 431, "header_too_large"));
}

TEST_F(Limits, SingleHeaderOver16KiBIsHeaderTooLarge) {
  Response r = server().Request("GET", "/healthz", {{"X-Big", std::string(17 * 1024, 'h')}});
  EXPECT_TRUE(IsProblem(r, 431, "header_too_large"));
}

TEST_F(Limits, HeaderBlockUnder16KiBIsServed) {
  Headers some;
  for (int i = 0; i < 12; ++i)
    some.emplace_back("X-Pad-" + std::to_string(i), std::string(1000, 'h'));
  EXPECT_EQ(server().Request("GET", "/healthz", some).status, 200);
}

// ---- JSON body size ----------------------------------------------------------

TEST_F(Limits, JsonBodyOverTheLimitIsRefusedFromContentLengthAlone) {
  Connection conn(server().port(), 5s);
  // Headers only: the answer must come without the server waiting for the body.
  ASSERT_TRUE(conn.Write(AdminPostHead("Content-Length: 100000\r\n")));
  Response r = conn.ReadResponse();
  EXPECT_TRUE(IsProblem(r, 413, "payload_too_large")) << "(body never sent)";
}

TEST_F(Limits, JsonBodyOneByteOverTheLimitIsPayloadTooLarge) {
  std::string body = PaddedTenantBody(UniqueSlug("over"), kMaxJsonBytes + 1);
  EXPECT_TRUE(
      IsProblem(server().Admin("POST", "/admin/v1/tenants", body), 413, "payload_too_large"));
}

TEST_F(Limits, JsonBodyAtTheLimitIsServed) {
  std::string body = PaddedTenantBody(UniqueSlug("atlimit"), kMaxJsonBytes);
  ASSERT_EQ(body.size(), static_cast<std::size_t>(kMaxJsonBytes));
  Response r = server().Admin("POST", "/admin/v1/tenants", body);
  EXPECT_EQ(r.status, 201) << r.Describe();
}

TEST_F(Limits, ChunkedJsonBodyGrowingPastTheLimitIsPayloadTooLarge) {
  Connection conn(server().port(), 5s);
  ASSERT_TRUE(conn.Write(AdminPostHead("Transfer-Encoding: chunked\r\n")));
  std::string slug = UniqueSlug("chunky");
  conn.Write(Chunk(R"({"slug":")" + slug + R"(","name":")"));
  // The server may answer and close part way; later writes may then fail.
  for (int i = 0; i < 6 && conn.Write(Chunk(std::string(1000, 'n'))); ++i) {
  }
  conn.Write(Chunk("\"}") + Chunk(""));
  Response r = conn.ReadResponse();
  EXPECT_TRUE(IsProblem(r, 413, "payload_too_large"));
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
}

TEST_F(Limits, ChunkedJsonBodyWithinTheLimitIsServed) {
  Connection conn(server().port(), 5s);
  std::string slug = UniqueSlug("chunked");
  std::string request = AdminPostHead("Transfer-Encoding: chunked\r\n") +
                        Chunk(R"({"slug":")" + slug + "\",") + Chunk(R"("name":"Chunked"})") +
                        Chunk("");
  ASSERT_TRUE(conn.Write(request));
  Response r = conn.ReadResponse();
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "tenant.slug"), slug);
}

// ---- slow clients -------------------------------------------------------------

TEST_F(Limits, HeadersDribbledOneBytePerSecondAreCutOffByTheHeaderTimeout) {
  auto start = Clock::now();
  Connection conn(server().port(), 2s);
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // Each byte arrives well inside any per-read timeout; only a deadline for
  // the whole header block stops this.
  bool closed = false;
  while (!closed && Clock::now() - start < 8s) {
    if (!conn.Write("X")) break;
    closed = conn.WaitForClose(1s);
  }
  closed = closed || conn.WaitForClose(100ms);
  EXPECT_TRUE(closed)
      << "connection still open after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
      << " ms with --header-timeout 2";
  EXPECT_LE(Clock::now() - start, 6s);
  EXPECT_TRUE(ClosedSilentlyOrWith408(conn));
}

TEST_F(Limits, SilentConnectionIsClosedByTheHeaderTimeout) {
  Connection conn(server().port(), 2s);
  ASSERT_TRUE(conn.connected()) << conn.error();
  EXPECT_TRUE(conn.WaitForClose(6s)) << "a connection that sends nothing is closed";
  EXPECT_TRUE(ClosedSilentlyOrWith408(conn));
}

TEST_F(Limits, StalledBodyIsClosedAfterTheBodyIdleTimeout) {
  std::string slug = UniqueSlug("stall");
  Connection conn(server().port(), 2s);
  ASSERT_TRUE(conn.Write(AdminPostHead("Content-Length: 200\r\n") + R"({"slug":")" + slug));
  EXPECT_TRUE(conn.WaitForClose(6s)) << "a body that stalls is closed";
  if (!conn.received().empty()) {
    Response r = ParseResponse(conn.received());
    EXPECT_TRUE(r.status >= 400) << "a stalled body is never served: " << conn.received();
  }
  EXPECT_TRUE(IsProblem(server().Admin("GET", "/admin/v1/tenants/" + slug), 404, "not_found"));
}

TEST_F(Limits, SlowButSteadyBodyIsServed) {
  std::string slug = UniqueSlug("steady");
  std::string body = R"({"slug":")" + slug + R"(","name":"Slow and steady"})";
  Connection conn(server().port(), 5s);
  ASSERT_TRUE(conn.Write(AdminPostHead("Content-Length: " + std::to_string(body.size()) + "\r\n")));
  // Five pieces 700 ms apart: 2.8 s in all, longer than the 2 s idle timeout,
  // but no single pause is.
  std::size_t piece = body.size() / 5 + 1;
  for (std::size_t off = 0; off < body.size(); off += piece) {
    std::this_thread::sleep_for(700ms);
    ASSERT_TRUE(conn.Write(body.substr(off, piece))) << "closed at byte " << off;
  }
  Response r = conn.ReadResponse();
  EXPECT_EQ(r.status, 201) << r.Describe();
}

// ---- connection handling --------------------------------------------------------

TEST_F(Limits, KeepAliveServesSeveralRequestsOnOneConnection) {
  Connection conn(server().port());
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    Response r = conn.Request("GET", "/healthz", {{"X-Request-Id", "ka-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(r.Header("X-Request-Id"), "ka-" + std::to_string(i));
    EXPECT_FALSE(EqualsIgnoreCase(r.Header("Connection"), "close"));
  }
  Response created = conn.Request(
      "POST", "/admin/v1/tenants",
      {{"Authorization", "Bearer " + server().admin_token()}, {"Content-Type", "application/json"}},
      R"({"slug":")" + UniqueSlug("ka") + R"(","name":"KA"})");
  EXPECT_EQ(created.status, 201) << created.Describe();
  EXPECT_EQ(conn.Request("GET", "/healthz").status, 200);
  EXPECT_FALSE(conn.peer_closed());
}

TEST_F(Limits, IdleKeepAliveConnectionIsClosedAfterTheKeepaliveTimeout) {
  Connection conn(server().port());
  ASSERT_EQ(conn.Request("GET", "/healthz").status, 200);
  EXPECT_TRUE(conn.WaitForClose(6s)) << "idle connection still open with --keepalive-timeout 2";
  EXPECT_TRUE(ClosedSilentlyOrWith408(conn));
}

TEST_F(Limits, PipelinedRequestsAreAnsweredInOrder) {
  Connection conn(server().port());
  ASSERT_TRUE(
      conn.Write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                 "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n"
                 "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n\r\n"));
  Response a = conn.ReadResponse();
  Response b = conn.ReadResponse();
  Response c = conn.ReadResponse();
  EXPECT_EQ(a.status, 200) << a.Describe();
  EXPECT_EQ(a.Header("X-Request-Id"), "first");
  EXPECT_EQ(b.status, 404) << b.Describe();
  EXPECT_EQ(b.Header("X-Request-Id"), "second");
  EXPECT_EQ(c.status, 200) << c.Describe();
  EXPECT_EQ(c.Header("X-Request-Id"), "third");
}

TEST_F(Limits, Http10RequestIsAnsweredThenClosed) {
  Connection conn(server().port(), 5s);
  ASSERT_TRUE(conn.Write("GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(conn.WaitForClose(3s)) << "HTTP/1.0 without keep-alive is closed after the answer";
  Response r = ParseResponse(conn.received());
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, R"({"ok":true})");
}

TEST_F(Limits, ConnectionCloseIsHonoured) {
  Connection conn(server().port(), 5s);
  Response r = conn.Request("GET", "/healthz", {{"Connection", "close"}});
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(conn.WaitForClose(3s));
}

TEST_F(Limits, ServerSurvivesAClientThatVanishesMidRequest) {
  {
    Connection conn(server().port());
    ASSERT_TRUE(conn.Write(AdminPostHead("Content-Length: 500\r\n") + "{\"slug\":"));
  }  // closed by the client with the body unfinished
  {
    Connection conn(server().port());
    ASSERT_TRUE(conn.Write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    conn.ShutdownWrite();
  }
  EXPECT_EQ(server().Request("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace tenantd::test
