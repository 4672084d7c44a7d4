// The api.md §8 access line, as text and as JSON, for a fixed AccessRecord.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "logging/logger.h"

namespace tenantd::logging {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

base::TimePoint At(std::chrono::sys_days day, std::chrono::milliseconds since_midnight) {
  return base::TimePoint(day) + since_midnight;
}

// 2026-11-22T21:04:05.123Z
const base::TimePoint kStart = At(std::chrono::year{2026} / 11 / 22, 21h + 4min + 5s + 123ms);

http::AccessRecord Sample() {
  http::AccessRecord r;
  r.start = kStart;
  r.status = 200;
  r.method = "GET";
  r.target = "/v1/products";
  r.duration = 1'234'000ns;
  r.bytes_sent = 1434;
  r.tenant = "acme";
  r.request_id = "req_01JDQ2XK7Z3V8W1M0P4R6T9YBC";
  r.remote_ip = "127.0.0.1";
  r.user_agent = "curl/7.88.1";
  r.referer = "";
  return r;
}

TEST(FormatAccessText, MatchesTheDocumentedLine) {
  EXPECT_EQ(FormatAccessText(Sample()),
            "2026-11-22T21:04:05.123Z 200 GET /v1/products 1.2ms 1.4KB tenant=acme "
            "id=req_01JDQ2XK7Z3V8W1M0P4R6T9YBC ip=127.0.0.1 ua=\"curl/7.88.1\" ref=\"-\"");
}

TEST(FormatAccessText, DashesForMissingTenantIpAgentAndReferer) {
  http::AccessRecord r = Sample();
  r.status = 404;
  r.tenant = "";
  r.remote_ip = "";
  r.user_agent = "";
  r.referer = "https://example.com/page";
  EXPECT_EQ(FormatAccessText(r),
            "2026-11-22T21:04:05.123Z 404 GET /v1/products 1.2ms 1.4KB tenant=- "
            "id=req_01JDQ2XK7Z3V8W1M0P4R6T9YBC ip=- ua=\"-\" ref=\"https://example.com/page\"");
}

// The part of a text line between "<status> <method> <target> " and " tenant=".
std::string DurationAndSize(std::chrono::nanoseconds d, uint64_t bytes) {
  http::AccessRecord r = Sample();
  r.duration = d;
  r.bytes_sent = bytes;
  const std::string line = FormatAccessText(r);
  const std::string head = "/v1/products ";
  const auto from = line.find(head) + head.size();
  return line.substr(from, line.find(" tenant=") - from);
}

TEST(FormatAccessText, RoundsDurationToATenthOfAMillisecond) {
  EXPECT_EQ(DurationAndSize(0ns, 0), "0.0ms 0B");
  EXPECT_EQ(DurationAndSize(49'999ns, 0), "0.0ms 0B");
  EXPECT_EQ(DurationAndSize(50'000ns, 0), "0.1ms 0B");
  EXPECT_EQ(DurationAndSize(1'250'000ns, 0), "1.3ms 0B");
  EXPECT_EQ(DurationAndSize(12'345'678ns, 0), "12.3ms 0B");
  EXPECT_EQ(DurationAndSize(2s, 0), "2000.0ms 0B");
}

TEST(FormatAccessText, FormatsSizesInBytesKilobytesAndMegabytes) {
  EXPECT_EQ(DurationAndSize(0ns, 1023), "0.0ms 1023B");
  EXPECT_EQ(DurationAndSize(0ns, 1024), "0.0ms 1.0KB");
  EXPECT_EQ(DurationAndSize(0ns, 1536), "0.0ms 1.5KB");
  EXPECT_EQ(DurationAndSize(0ns, 1024 * 1024), "0.0ms 1.0MB");
  EXPECT_EQ(DurationAndSize(0ns, 5 * 1024 * 1024 + 512 * 1024), "0.0ms 5.5MB");
}

TEST(FormatAccessText, TimestampIsRightAcrossSecondsOnOneThread) {
  http::AccessRecord r = Sample();
  r.start = At(std::chrono::year{2026} / 11 / 22, 21h + 4min + 6s + 7ms);
  EXPECT_EQ(FormatAccessText(r).substr(0, 25), "2026-11-22T21:04:06.007Z ");
  r.start = At(std::chrono::year{2026} / 11 / 22, 21h + 4min + 5s + 999ms);
  EXPECT_EQ(FormatAccessText(r).substr(0, 25), "2026-11-22T21:04:05.999Z ");
  r.start = At(std::chrono::year{2027} / 1 / 1, 0ms);
  EXPECT_EQ(FormatAccessText(r).substr(0, 25), "2027-01-01T00:00:00.000Z ");
}

TEST(FormatAccessText, MasksCredentialsInTheTarget) {
  http::AccessRecord r = Sample();
  r.target = "/v1/files/a?signature=abc123&expires=99&api_key=k";
  const std::string line = FormatAccessText(r);
  EXPECT_NE(line.find(" GET /v1/files/a?signature=***&expires=99&api_key=*** "), std::string::npos)
      << line;
  EXPECT_EQ(line.find("abc123"), std::string::npos) << line;
}

TEST(FormatAccessText, TrimsAgentAndRefererTo120Chars) {
  const std::string agent(200, 'a');
  const std::string referer = "https://example.com/" + std::string(300, 'r');
  http::AccessRecord r = Sample();
  r.user_agent = agent;
  r.referer = referer;
  const std::string line = FormatAccessText(r);
  EXPECT_NE(line.find(" ua=\"" + agent.substr(0, 120) + "\" "), std::string::npos) << line;
  EXPECT_NE(line.find(" ref=\"" + referer.substr(0, 120) + "\""), std::string::npos) << line;
  EXPECT_EQ(line.back(), '"');
}

TEST(FormatAccessText, EscapesQuotesBackslashesAndControlBytes) {
  http::AccessRecord r = Sample();
  r.user_agent = "evil\" ref=\"x\\y\nFAKE LINE\x7f";
  const std::string line = FormatAccessText(r);
  EXPECT_EQ(line.substr(line.find(" ua=")),
            " ua=\"evil\\\" ref=\\\"x\\\\y\\x0aFAKE LINE\\x7f\" ref=\"-\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(FormatAccessJson, ParsesWithTheSameFacts) {
  http::AccessRecord r = Sample();
  r.target = "/v1/products?token=t0p&page=2";
  const std::string text = FormatAccessJson(r);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const json::value v = json::parse(text);
  ASSERT_TRUE(v.is_object()) << text;
  const json::object& o = v.as_object();
  EXPECT_EQ(o.at("ts"), "2026-11-22T21:04:05.123Z");
  EXPECT_EQ(o.at("level"), "info");
  EXPECT_EQ(o.at("status").to_number<int>(), 200);
  EXPECT_EQ(o.at("method"), "GET");
  EXPECT_EQ(o.at("target"), "/v1/products?token=***&page=2");
  EXPECT_DOUBLE_EQ(o.at("duration_ms").to_number<double>(), 1.234);
  EXPECT_EQ(o.at("bytes").to_number<uint64_t>(), 1434u);
  EXPECT_EQ(o.at("tenant"), "acme");
  EXPECT_EQ(o.at("request_id"), "req_01JDQ2XK7Z3V8W1M0P4R6T9YBC");
  EXPECT_EQ(o.at("ip"), "127.0.0.1");
  EXPECT_EQ(o.at("ua"), "curl/7.88.1");
  EXPECT_EQ(o.at("ref"), "-");
  EXPECT_EQ(text.find("t0p"), std::string::npos);
}

TEST(FormatAccessJson, KeepsQuotesExactAndTrimsAgentTo120Chars) {
  http::AccessRecord r = Sample();
  r.tenant = "";
  const std::string agent = "a\"b\\c\n" + std::string(200, 'z');
  r.user_agent = agent;
  const json::value v = json::parse(FormatAccessJson(r));
  const json::object& o = v.as_object();
  EXPECT_EQ(o.at("ua"), json::value(agent.substr(0, 120)));
  EXPECT_EQ(o.at("tenant"), "-");
}

}  // namespace
}  // namespace tenantd::logging
