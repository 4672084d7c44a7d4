#include "logging/logger.h"
#include "temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tenantd::logging {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using test::TempDir;

std::vector<std::string> ReadLines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

http::AccessRecord Record() {
  http::AccessRecord r;
  r.start = std::chrono::sys_days(std::chrono::year{2027} / 1 / 15) + std::chrono::hours(8) +
            std::chrono::milliseconds(250);
  r.status = 201;
  r.method = "POST";
  r.target = "/admin/v1/tenants?token=hide";
  r.duration = std::chrono::microseconds(800);
  r.bytes_sent = 10;
  r.request_id = "req_abc";
  r.remote_ip = "10.1.2.3";
  r.user_agent = "ua/1";
  return r;
}

class LoggerTest : public ::testing::Test {
 protected:
  fs::path LogFile() const { return dir_.path() / "storage" / "framework" / "log.txt"; }

  std::unique_ptr<Logger> Open(bool json_lines = false, Level level = Level::kInfo) {
    LoggerOptions options;
    options.file = LogFile();
    options.console = false;
    options.json = json_lines;
    options.level = level;
    auto logger = Logger::Open(options);
    EXPECT_TRUE(logger) << (logger ? "" : logger.error().log_detail);
    return logger ? std::move(*logger) : nullptr;
  }

  TempDir dir_;
};

TEST_F(LoggerTest, CreatesParentFoldersAndWritesTextLines) {
  auto logger = Open();
  ASSERT_TRUE(logger);
  EXPECT_TRUE(fs::is_directory(LogFile().parent_path()));
  logger->Info("server started");
  logger->Error("req_42", "handler failed");
  logger->Access(Record());
  logger->Flush();
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 3u) << ReadAll(LogFile());
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, std::regex(R"((\S+) INFO server started)")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(m[1].str(), kTimestamp)) << lines[0];
  ASSERT_TRUE(std::regex_match(lines[1], m, std::regex(R"((\S+) ERROR id=req_42 handler failed)")))
      << lines[1];
  EXPECT_EQ(lines[2],
            "2027-01-15T08:00:00.250Z 201 POST /admin/v1/tenants?token=*** 0.8ms 10B tenant=- "
            "id=req_abc ip=10.1.2.3 ua=\"ua/1\" ref=\"-\"");
}

TEST_F(LoggerTest, FlushMakesLinesVisibleWhileTheLoggerLives) {
  auto logger = Open();
  ASSERT_TRUE(logger);
  for (int i = 0; i < 3; ++i) {
    logger->Info("line " + std::to_string(i));
    logger->Flush();
    EXPECT_EQ(ReadLines(LogFile()).size(), static_cast<std::size_t>(i + 1));
  }
}

TEST_F(LoggerTest, DestructorWritesWhatIsPending) {
  {
    auto logger = Open();
    ASSERT_TRUE(logger);
    for (int i = 0; i < 100; ++i) logger->Warn("pending " + std::to_string(i));
  }
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 100u);
  EXPECT_NE(lines[99].find(" WARN pending 99"), std::string::npos) << lines[99];
}

TEST_F(LoggerTest, AppendsToAnExistingFile) {
  fs::create_directories(LogFile().parent_path());
  std::ofstream(LogFile()) << "earlier line\n";
  auto logger = Open();
  ASSERT_TRUE(logger);
  logger->Info("later line");
  logger->Flush();
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier line");
  EXPECT_NE(lines[1].find("later line"), std::string::npos);
}

TEST_F(LoggerTest, MessagesCannotForgeLines) {
  auto logger = Open();
  ASSERT_TRUE(logger);
  logger->Info("first\n2026-01-01T00:00:00.000Z ERROR forged");
  logger->Flush();
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("first\\x0a2026"), std::string::npos) << lines[0];
}

// api.md §8: LOG_JSON=1 *also* writes each access line's facts as JSON; other
// messages are JSON only.
TEST_F(LoggerTest, JsonModeWritesOneParseableObjectPerLine) {
  auto logger = Open(/*json_lines=*/true);
  ASSERT_TRUE(logger);
  logger->Info("hello \"world\"\n");
  logger->Error("req_7", "boom");
  logger->Access(Record());
  logger->Flush();
  auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 4u) << ReadAll(LogFile());
  EXPECT_EQ(lines[2], FormatAccessText(Record()));
  lines.erase(lines.begin() + 2);
  std::vector<json::object> objects;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    ASSERT_TRUE(v.is_object()) << line;
    objects.push_back(v.as_object());
  }
  EXPECT_EQ(objects[0].at("level"), "info");
  EXPECT_EQ(objects[0].at("message"), "hello \"world\"\n");
  EXPECT_FALSE(objects[0].contains("request_id"));
  EXPECT_TRUE(std::regex_match(std::string(objects[0].at("ts").as_string()), kTimestamp));
  EXPECT_EQ(objects[1].at("level"), "error");
  EXPECT_EQ(objects[1].at("message"), "boom");
  EXPECT_EQ(objects[1].at("request_id"), "req_7");
  EXPECT_EQ(objects[2].at("status").to_number<int>(), 201);
  EXPECT_EQ(objects[2].at("target"), "/admin/v1/tenants?token=***");
  EXPECT_EQ(objects[2].at("request_id"), "req_abc");
}

TEST_F(LoggerTest, DropsLevelsBelowTheThreshold) {
  auto logger = Open(/*json_lines=*/false, Level::kWarn);
  ASSERT_TRUE(logger);
  logger->Log(Level::kTrace, "", "trace-msg");
  logger->Log(Level::kDebug, "", "debug-msg");
  logger->Info("info-msg");
  logger->Access(Record());  // access lines are info
  logger->Warn("warn-msg");
  logger->Error("", "error-msg");
  logger->Flush();
  const std::string text = ReadAll(LogFile());
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_NE(lines[0].find(" WARN warn-msg"), std::string::npos);
  EXPECT_NE(lines[1].find(" ERROR error-msg"), std::string::npos);
}

TEST_F(LoggerTest, DebugThresholdKeepsDebugAndDropsTrace) {
  auto logger = Open(/*json_lines=*/false, Level::kDebug);
  ASSERT_TRUE(logger);
  logger->Log(Level::kTrace, "", "trace-msg");
  logger->Log(Level::kDebug, "", "debug-msg");
  logger->Flush();
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" DEBUG debug-msg"), std::string::npos);
}

TEST_F(LoggerTest, ConcurrentWritersLoseNoLinesAndNeverInterleave) {
  auto logger = Open();
  ASSERT_TRUE(logger);
  constexpr int kThreads = 8;
  constexpr int kLines = 2000;
  const std::string padding(180, 'p');  // ~3.5 MB in all: several writer batches
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        logger->Info("t=" + std::to_string(t) + " n=" + std::to_string(i) + " " + padding);
      }
    });
  }
  for (auto& th : threads) th.join();
  logger->Flush();
  const auto lines = ReadLines(LogFile());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kLines));
  std::vector<int> next(kThreads, 0);
  for (const auto& line : lines) {
    // "<24-char timestamp> INFO t=<t> n=<n> <padding>", nothing more or less.
    int t = -1;
    int n = -1;
    int consumed = 0;
    ASSERT_GT(line.size(), 25u);
    ASSERT_EQ(std::sscanf(line.c_str() + 24, " INFO t=%d n=%d %n", &t, &n, &consumed), 2) << line;
    ASSERT_EQ(line.substr(24 + consumed), padding) << line.substr(0, 80);
    ASSERT_TRUE(t >= 0 && t < kThreads) << line.substr(0, 80);
    // Each thread's lines appear once each, in the order it logged them.
    ASSERT_EQ(n, next[t]) << "thread " << t;
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kLines);
}

TEST(LoggerOpen, FailsWhenTheFileCannotBeCreated) {
  TempDir dir;
  std::ofstream(dir.path() / "plain_file") << "x";
  LoggerOptions options;
  options.file = dir.path() / "plain_file" / "log.txt";
  options.console = false;
  auto logger = Logger::Open(options);
  ASSERT_FALSE(logger);
  EXPECT_EQ(logger.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(logger.error().problem_code, "log_unavailable");
}

TEST(ParseLevel, AcceptsTheFiveNames) {
  EXPECT_EQ(ParseLevel("trace"), Level::kTrace);
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("info"), Level::kInfo);
  EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_EQ(ParseLevel("INFO"), std::nullopt);
  EXPECT_EQ(ParseLevel("warning"), std::nullopt);
  EXPECT_EQ(ParseLevel(""), std::nullopt);
}

}  // namespace
}  // namespace tenantd::logging
