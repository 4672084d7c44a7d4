// Graceful shutdown: SIGTERM/SIGINT exit 0, a request in flight completes,
// new connections are refused, and --shutdown-timeout bounds the drain.
#include <csignal>
#include <string>
#include <thread>

#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

// Headers of a tenant creation whose body is `body`, plus its first `sent`
// bytes: the server then waits for the rest, so the request is in flight.
std::string PartialCreate(const TestServer& server, const std::string& body, std::size_t sent) {
  return "POST /admin/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
         server.admin_token() +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body.substr(0, sent);
}

std::string CreateBody(const std::string& slug) {
  return R"({"slug":")" + slug + R"(","name":"In flight"})";
}

// True when a new client cannot get an answer: connect refused, or the
// connection closed (or silent) without a response.
bool NewConnectionRefused(int port) {
  Response r = Send(port, "GET", "/healthz", {}, {}, 1s);
  return !r.ok();
}

TEST(GracefulShutdown, SigtermExitsZero) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.StderrText();
}

TEST(GracefulShutdown, SigintExitsZero) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(server.Stop(SIGINT), 0) << server.StderrText();
}

TEST(GracefulShutdown, RequestInFlightAtSigtermCompletes) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  std::string slug = UniqueSlug("inflight");
  std::string body = CreateBody(slug);
  Connection conn(server.port(), 15s);
  ASSERT_TRUE(conn.Write(PartialCreate(server, body, 10)));
  std::this_thread::sleep_for(300ms);  // let the server read the headers
  server.Signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(server.running()) << "exited with a request in flight, status "
                                << server.WaitForExit(0ms);
  ASSERT_TRUE(conn.Write(body.substr(10))) << conn.error();
  Response r = conn.ReadResponse();
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "tenant.slug"), slug);
  EXPECT_EQ(server.WaitForExit(15s), 0) << server.StderrText();

  // The answered tenant was committed before the process ended.
  ASSERT_TRUE(server.Start());
  Response after = server.Admin("GET", "/admin/v1/tenants/" + slug);
  EXPECT_EQ(after.status, 200) << after.Describe();
}

TEST(GracefulShutdown, NewConnectionsAfterSigtermAreRefused) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int port = server.port();
  std::string slug = UniqueSlug("drain");
  std::string body = CreateBody(slug);
  Connection in_flight(server.port(), 15s);
  ASSERT_TRUE(in_flight.Write(PartialCreate(server, body, 5)));
  std::this_thread::sleep_for(300ms);
  server.Signal(SIGTERM);

  // The request in flight keeps the process alive while we knock.
  EXPECT_TRUE(PollUntil([&] { return NewConnectionRefused(port); }, 5s))
      << "new connections are still served after SIGTERM";
  EXPECT_TRUE(server.running()) << "the request in flight should keep the server draining";

  ASSERT_TRUE(in_flight.Write(body.substr(5))) << in_flight.error();
  Response r = in_flight.ReadResponse();
  EXPECT_EQ(r.status, 201) << r.Describe();
  EXPECT_EQ(server.WaitForExit(15s), 0) << server.StderrText();
}

TEST(GracefulShutdown, ShutdownTimeoutBoundsARequestThatNeverFinishes) {
  TestServer server;
  ASSERT_TRUE(server.Start({.args = {"--shutdown-timeout", "1", "--body-idle-timeout", "60"}}));
  std::string body = CreateBody(UniqueSlug("never"));
  Connection stuck(server.port(), 15s);
  ASSERT_TRUE(stuck.Write(PartialCreate(server, body, 5)));
  std::this_thread::sleep_for(300ms);
  server.Signal(SIGTERM);
  int status = server.WaitForExit(6s);
  EXPECT_NE(status, kStillRunning)
      << "a stalled request kept the server alive past --shutdown-timeout 1";
  EXPECT_TRUE(stuck.WaitForClose(2s));
}

TEST(GracefulShutdown, IdleKeepAliveConnectionDoesNotDelayShutdown) {
  TestServer server;
  ASSERT_TRUE(server.Start({.args = {"--shutdown-timeout", "30", "--keepalive-timeout", "60"}}));
  Connection idle(server.port());
  ASSERT_EQ(idle.Request("GET", "/healthz").status, 200);
  server.Signal(SIGTERM);
  // An idle connection has nothing in flight: it is closed at once rather
  // than waited for until the keep-alive or shutdown timeout.
  EXPECT_EQ(server.WaitForExit(5s), 0);
  EXPECT_TRUE(idle.WaitForClose(1s));
}

}  // namespace
}  // namespace tenantd::test
