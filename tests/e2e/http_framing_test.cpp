// HTTP framing attacks through the real binary and raw sockets (issue 12):
// trailers too large for the parser (once a crash), chunk-size lines,
// extensions and trailers that grew the server's memory without bound
// before any authentication, Transfer-Encoding values that smuggled a
// second request, and the 431 / 414 split.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

class HttpFraming : public SharedServerTest<HttpFraming> {
 protected:
  // Sends raw bytes, waits for the server to close, parses what came back.
  static Response SendRaw(const std::string& bytes) {
    Connection conn(server().port(), 5s);
    conn.Write(bytes);  // the server may refuse (and close) before reading it all
    EXPECT_TRUE(conn.WaitForClose(5s)) << "the server kept the connection open";
    return ParseResponse(conn.received());
  }

  static ::testing::AssertionResult StillServing() {
    if (!server().running()) {
      return ::testing::AssertionFailure() << "the server died; stderr:\n" << server().StderrText();
    }
    const Response r = server().Request("GET", "/healthz");
    if (r.status != 200) return ::testing::AssertionFailure() << r.Describe();
    return ::testing::AssertionSuccess();
  }

  static std::string ChunkedHead(std::string_view method, std::string_view target) {
    return std::string(method) + " " + std::string(target) +
           " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  }

  static std::string AdminChunkedHead() {
    return "POST /admin/v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           server().admin_token() +
           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  }
};

std::string Hex(std::size_t n) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

// Server memory from /proc: "VmRSS" now, or "VmHWM" (the peak since the
// last ResetPeakRss).
long KiB(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(std::string(field) + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}
bool ResetPeakRss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// ---- defect 1: a trailer too large for the parser -------------------------

TEST_F(HttpFraming, TrailerValueOf64KiBIsRefusedNotACrash) {
  const Response r =
      SendRaw(ChunkedHead("GET", "/healthz") + "0\r\nX-T: " + std::string(65534, 'y') + "\r\n\r\n");
  EXPECT_TRUE(IsProblem(r, 431, "chunk_framing_too_large")) << r.Describe();
  EXPECT_TRUE(StillServing());
}

TEST_F(HttpFraming, TrailerNameOf70KBIsRefusedNotACrash) {
  const Response r = SendRaw(ChunkedHead("POST", "/admin/v1/tenants") + "0\r\n" +
                             std::string(70000, 'n') + ": v\r\n\r\n");
  EXPECT_TRUE(IsProblem(r, 431, "chunk_framing_too_large")) << r.Describe();
  EXPECT_TRUE(StillServing());
}

TEST_F(HttpFraming, SmallTrailersAndExtensionsAreAccepted) {
  const std::string body = R"({"slug":"framing-ok","name":"Framing"})";
  Connection conn(server().port());
  ASSERT_TRUE(conn.Write(AdminChunkedHead() + Hex(10) + ";part=1\r\n" + body.substr(0, 10) +
                         "\r\n" + Hex(body.size() - 10) + "\r\n" + body.substr(10) +
                         "\r\n0\r\nX-Checksum: abc\r\n\r\n"));
  const Response r = conn.ReadResponse();
  EXPECT_EQ(r.status, 201) << r.Describe();
}

// ---- defect 2: framing bounded like the header block ----------------------

TEST_F(HttpFraming, ExtensionsAddUpAcrossChunks) {
  // Twenty chunks of one byte, each line small, 1 KiB of extension each.
  const std::string body = R"({"slug":"framing-ext","name":"Ext"})";
  std::string req = AdminChunkedHead();
  for (std::size_t i = 0; i < body.size(); ++i) {
    req += "1;e=" + std::string(1024, 'x') + "\r\n" + body[i] + "\r\n";
  }
  req += "0\r\n\r\n";
  EXPECT_TRUE(IsProblem(SendRaw(req), 431, "chunk_framing_too_large"));
  EXPECT_EQ(server().Admin("GET", "/admin/v1/tenants/framing-ext").status, 404);
}

TEST_F(HttpFraming, LeadingZerosOfAChunkSizeCount) {
  const Response r =
      SendRaw(ChunkedHead("POST", "/admin/v1/tenants") + std::string(20000, '0') + "1\r\n{\r\n");
  EXPECT_TRUE(IsProblem(r, 431, "chunk_framing_too_large")) << r.Describe();
}

TEST_F(HttpFraming, ATrailerSectionOver16KiBIsRefused) {
  std::string trailers;
  for (int i = 0; i < 40; ++i)
    trailers += "X-T" + std::to_string(i) + ": " + std::string(500, 't') + "\r\n";
  const Response r = SendRaw(ChunkedHead("GET", "/healthz") + "0\r\n" + trailers + "\r\n");
  EXPECT_TRUE(IsProblem(r, 431, "chunk_framing_too_large")) << r.Describe();
}

TEST_F(HttpFraming, ARouteWithoutABodyRefusesOneUnread) {
  EXPECT_TRUE(
      IsProblem(SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                        std::string(100000, 'b')),
                413, "payload_too_large"));
  EXPECT_TRUE(
      IsProblem(SendRaw(ChunkedHead("DELETE", "/admin/v1/tenants/x") + "5\r\nhello\r\n0\r\n\r\n"),
                413, "payload_too_large"));
  // An empty chunked body is no body.
  Connection conn(server().port());
  ASSERT_TRUE(conn.Write(ChunkedHead("GET", "/healthz") + "0\r\n\r\n"));
  EXPECT_EQ(conn.ReadResponse().status, 200);
}

TEST_F(HttpFraming, NoRouteReadsNoBody) {
  const Response r = SendRaw("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                             std::string(100000, 'b'));
  EXPECT_TRUE(IsProblem(r, 404, "not_found")) << r.Describe();
  EXPECT_TRUE(ContainsIgnoreCase(r.Header("Connection"), "close")) << r.Describe();
}

// 64 connections, each 16 MiB of chunk extension, trailer or zero padding,
// no credentials: the server's memory stays flat, every one is refused.
TEST_F(HttpFraming, SixtyFourConnectionsOf16MiBFramingLeaveMemoryFlat) {
  constexpr int kConnections = 64;
  constexpr std::size_t kAttackBytes = 16 * 1024 * 1024;
  ASSERT_TRUE(StillServing());  // warm: the first request allocates what every request shares
  const pid_t pid = server().pid();
  const long before = KiB(pid, "VmRSS");
  const bool peak = ResetPeakRss(pid);  // then VmHWM is the peak during the attack

  std::vector<std::string> outcomes(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([i, &outcomes] {
      Connection conn(server().port(), 30s);
      const std::string piece = i % 3 == 0   ? std::string(64 * 1024, 'x')
                                : i % 3 == 1 ? "X-T: " + std::string(60000, 'y') + "\r\n"
                                             : std::string(64 * 1024, '0');
      std::string start =
          ChunkedHead(i % 2 ? "GET" : "POST", i % 2 ? "/healthz" : "/admin/v1/tenants");
      start += i % 3 == 0 ? "1;e=" : i % 3 == 1 ? "0\r\n" : "";
      bool open = conn.Write(start);
      for (std::size_t sent = 0; open && sent < kAttackBytes; sent += piece.size()) {
        open = conn.Write(piece);
      }
      conn.WaitForClose(10s);
      const Response r = ParseResponse(conn.received());
      outcomes[i] = r.status == 0 ? "closed" : std::to_string(r.status);
    });
  }
  for (auto& t : threads) t.join();

  const long after = KiB(pid, peak ? "VmHWM" : "VmRSS");
  EXPECT_LE(after - before, 20 * 1024) << "RSS " << before << " KiB before, " << after << " KiB "
                                       << (peak ? "at the peak" : "after");
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_TRUE(outcomes[i] == "400" || outcomes[i] == "431" || outcomes[i] == "closed")
        << "connection " << i << ": " << outcomes[i];
  }
  EXPECT_TRUE(StillServing());
}

// ---- defect 3: Transfer-Encoding that is not exactly chunked --------------

TEST_F(HttpFraming, NonChunkedFinalCodingIsRefusedAndSmuggledRequestNotServed) {
  for (const char* te : {"xchunked", "gzip", "identity", "chunked, identity"}) {
    const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    Connection conn(server().port(), 5s);
    conn.Write(std::string("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te +
               "\r\n\r\n" + smuggled);
    EXPECT_TRUE(conn.WaitForClose(5s)) << te;
    const std::string& got = conn.received();
    EXPECT_TRUE(IsProblem(ParseResponse(got), 400, "bad_transfer_encoding")) << te << ": " << got;
    // Exactly one answer: the bytes after the header were never a request.
    EXPECT_EQ(got.find("HTTP/1.1 ", 1), std::string::npos) << te << ": " << got;
  }
}

TEST_F(HttpFraming, UnknownCodingBeforeChunkedIsNotImplemented) {
  for (const char* te : {"gzip, chunked", "foo, chunked"}) {
    const Response r = SendRaw(std::string("POST /admin/v1/tenants HTTP/1.1\r\nHost: x\r\n"
                                           "Transfer-Encoding: ") +
                               te + "\r\n\r\n0\r\n\r\n");
    EXPECT_TRUE(IsProblem(r, 501, "unsupported_transfer_coding")) << te << ": " << r.Describe();
  }
}

TEST_F(HttpFraming, AmbiguousFramingIsRefused) {
  for (const std::string head : {"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n",
                                 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                                 "Transfer-Encoding: chunked, chunked\r\n"}) {
    const Response r = SendRaw("POST /healthz HTTP/1.1\r\nHost: x\r\n" + head +
                               "\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 400) << head << r.Describe();
  }
  const Response r10 = SendRaw(
      "POST /admin/v1/tenants HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(IsProblem(r10, 400, "bad_transfer_encoding")) << r10.Describe();
}

// ---- defect 7: which limit a long header hits -----------------------------

TEST_F(HttpFraming, ASingle26KBHeaderIsHeaderTooLarge) {
  const Response r = SendRaw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(26 * 1000, 'h') + "\r\n\r\n");
  EXPECT_TRUE(IsProblem(r, 431, "header_too_large")) << r.Describe();
}

TEST_F(HttpFraming, ARequestLineOver8KiBIsUriTooLongWhateverTheHeaders) {
  const Response r =
      SendRaw("GET /healthz?p=" + std::string(10 * 1024, 'a') +
              " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'h') + "\r\n\r\n");
  EXPECT_TRUE(IsProblem(r, 414, "uri_too_long")) << r.Describe();
}

}  // namespace
}  // namespace tenantd::test
