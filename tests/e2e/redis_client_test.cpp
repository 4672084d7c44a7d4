// redis::RedisClient's pipelined commands (CommandAsync/EvalAsync) against
// a real redis-server: many requests of one event loop share one
// connection and each gets its own reply; an unknown script is loaded on
// the way; a silent, refusing or dead server fails the commands in flight
// (never a wrong reply) and the client recovers once it answers again.
#include "redis/redis_client.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "redis/redis_url.h"
#include "support/redis_server.h"
#include "support/test_server.h"

namespace tenantd::redis {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using test::RedisServer;

RedisClientOptions OptionsFor(const std::string& url, milliseconds timeout = milliseconds(2000)) {
  auto parsed = ParseRedisUrl(url);
  if (!parsed) throw std::runtime_error("bad url " + url);
  return {*parsed, timeout};
}

std::string RedisCli(const RedisServer& redis, std::vector<std::string> args) {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(redis.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::RunCommand(argv, {}, std::chrono::seconds(5)).out;
}

// How many clients the server has, besides the redis-cli asking.
int ConnectedClients(const RedisServer& redis) {
  const std::string info = RedisCli(redis, {"info", "clients"});
  const std::size_t at = info.find("connected_clients:");
  if (at == std::string::npos) return -1;
  return std::stoi(info.substr(at + 18)) - 1;
}

// One request's worth of work: write a value of its own, read it back.
// The last one to finish stops the loop (the connection's reader would
// keep it running).
asio::awaitable<void> SetAndGet(asio::io_context& io, RedisClient& client, int i,
                                std::vector<std::string>& got, int& left) {
  const std::string key = "k" + std::to_string(i);
  // Named, not braced temporaries: GCC 12 cannot build string-literal
  // initializer lists inside a coroutine.
  const std::vector<std::string> set_command = {"SET", key, "v" + key};
  const std::vector<std::string> get_command = {"GET", key};
  const base::Result<Reply> set = co_await client.CommandAsync(set_command);
  if (!set) {
    got[i] = "SET failed: " + set.error().log_detail;
  } else {
    const base::Result<Reply> get = co_await client.CommandAsync(get_command);
    got[i] = get ? get->text : "GET failed: " + get.error().log_detail;
  }
  if (--left == 0) io.stop();
}

// Runs one command on `io` until it is answered.
base::Result<Reply> RunOn(asio::io_context& io, asio::awaitable<base::Result<Reply>> coroutine) {
  std::optional<base::Result<Reply>> result;
  asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e, base::Result<Reply> r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
    io.stop();
  });
  io.restart();
  io.run();
  if (!result) throw std::runtime_error("the command did not complete");
  return std::move(*result);
}

class RedisClientAsync : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()); }
  RedisServer redis_;
};

TEST_F(RedisClientAsync, ConcurrentCommandsOfOneLoopShareOneConnectionAndGetTheirOwnReplies) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::io_context io(1);
  constexpr int kRequests = 2000;
  std::vector<std::string> got(kRequests);
  int left = kRequests;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(io, SetAndGet(io, client, i, got, left), asio::detached);
  }
  io.run();
  ASSERT_EQ(left, 0);
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(got[i], "vk" + std::to_string(i)) << i;
  EXPECT_EQ(ConnectedClients(redis_), 1);
  EXPECT_TRUE(client.is_up());
}

TEST_F(RedisClientAsync, EvalLoadsAScriptTheServerDoesNotKnow) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::io_context io(1);
  const Script script("return tonumber(ARGV[1]) * 2");
  ASSERT_NE(RedisCli(redis_, {"script", "flush"}).find("OK"), std::string::npos);
  for (int round = 0; round < 2; ++round) {  // EVAL first, then EVALSHA
    const base::Result<Reply> r = RunOn(io, client.EvalAsync(script, {}, {"21"}));
    ASSERT_TRUE(r) << r.error().log_detail;
    EXPECT_EQ(r->integer, 42);
  }
  EXPECT_NE(RedisCli(redis_, {"script", "exists", script.sha1()}).find("1"), std::string::npos);
}

TEST_F(RedisClientAsync, AnErrorReplyFailsOnlyItsCommand) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::io_context io(1);
  const base::Result<Reply> bad = RunOn(io, client.CommandAsync({"INCR"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(bad.error().log_detail.find("wrong number of arguments"), std::string::npos);
  const base::Result<Reply> ok = RunOn(io, client.CommandAsync({"INCR", "n"}));
  ASSERT_TRUE(ok) << ok.error().log_detail;
  EXPECT_EQ(ok->integer, 1);
  EXPECT_TRUE(client.is_up());
}

TEST_F(RedisClientAsync, ASilentServerTimesOutTheCommandsInFlightAndMarksTheClientDown) {
  RedisClient client(OptionsFor(redis_.url(), milliseconds(200)));
  asio::io_context io(1);
  ASSERT_TRUE(RunOn(io, client.CommandAsync({"PING"})));
  // BLPOP holds the connection for 2 s; the PING queued behind it can get
  // no answer either. Both fail after the timeout, not after 2 s.
  std::vector<base::Result<Reply>> results;
  const std::vector<std::vector<std::string>> commands = {{"BLPOP", "nothing-here", "2"}, {"PING"}};
  for (const auto& argv : commands) {
    asio::co_spawn(io, client.CommandAsync(argv), [&](std::exception_ptr, base::Result<Reply> r) {
      results.push_back(r);
      if (results.size() == commands.size()) io.stop();
    });
  }
  const auto start = std::chrono::steady_clock::now();
  io.restart();
  io.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, base::ErrorCode::kUnavailable);
    EXPECT_NE(r.error().log_detail.find("no answer"), std::string::npos) << r.error().log_detail;
  }
  EXPECT_FALSE(client.is_up());
  // While down, commands fail at once; once a PING gets through, they run
  // on a fresh connection.
  EXPECT_FALSE(RunOn(io, client.CommandAsync({"PING"})));
  client.Reconnect();
  ASSERT_TRUE(client.is_up());
  const base::Result<Reply> pong = RunOn(io, client.CommandAsync({"PING"}));
  ASSERT_TRUE(pong) << pong.error().log_detail;
  EXPECT_EQ(pong->text, "PONG");
}

TEST_F(RedisClientAsync, AKilledServerFailsTheClientUntilItIsBack) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::io_context io(1);
  ASSERT_TRUE(RunOn(io, client.CommandAsync({"SET", "a", "1"})));
  redis_.Kill();
  const base::Result<Reply> lost = RunOn(io, client.CommandAsync({"GET", "a"}));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, base::ErrorCode::kUnavailable);
  EXPECT_FALSE(client.is_up());
  EXPECT_NE(client.Health(), "");
  client.Reconnect();  // nobody answers yet
  EXPECT_FALSE(client.is_up());

  ASSERT_TRUE(redis_.Start());
  client.Reconnect();
  ASSERT_TRUE(client.is_up());
  const base::Result<Reply> set = RunOn(io, client.CommandAsync({"SET", "a", "2"}));
  ASSERT_TRUE(set) << set.error().log_detail;
  const base::Result<Reply> get = RunOn(io, client.CommandAsync({"GET", "a"}));
  ASSERT_TRUE(get) << get.error().log_detail;
  EXPECT_EQ(get->text, "2");
}

TEST_F(RedisClientAsync, AnIdleConnectionTheServerClosesIsReopenedWithoutMarkingRedisDown) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::io_context io(1);
  ASSERT_TRUE(RunOn(io, client.CommandAsync({"SET", "a", "1"})));
  ASSERT_TRUE(client.Command({"PING"}));  // a pooled blocking connection too
  // As Redis's `timeout` setting would: every client but the one asking.
  ASSERT_NE(RedisCli(redis_, {"client", "kill", "type", "normal", "skipme", "yes"}), "");
  io.restart();
  io.run_for(milliseconds(200));  // the loop sees the connection go
  EXPECT_TRUE(client.is_up());
  const base::Result<Reply> get = RunOn(io, client.CommandAsync({"GET", "a"}));
  ASSERT_TRUE(get) << get.error().log_detail;
  EXPECT_EQ(get->text, "1");
  const base::Result<Reply> blocking = client.Command({"GET", "a"});
  ASSERT_TRUE(blocking) << blocking.error().log_detail;
  EXPECT_EQ(blocking->text, "1");
  EXPECT_EQ(client.Health(), "");
  EXPECT_TRUE(client.is_up());
}

TEST_F(RedisClientAsync, PasswordAndDatabaseOfTheUrlAreUsedAndTheWrongPasswordNeverShown) {
  ASSERT_NE(RedisCli(redis_, {"config", "set", "requirepass", "s3cret-pass"}).find("OK"),
            std::string::npos);
  asio::io_context io(1);
  {
    RedisClient client(
        OptionsFor("redis://:s3cret-pass@127.0.0.1:" + std::to_string(redis_.port()) + "/3"));
    const base::Result<Reply> set = RunOn(io, client.CommandAsync({"SET", "in-db-3", "yes"}));
    ASSERT_TRUE(set) << set.error().log_detail;
  }
  const std::string in3 = test::RunCommand({"redis-cli", "-p", std::to_string(redis_.port()), "-a",
                                            "s3cret-pass", "-n", "3", "get", "in-db-3"},
                                           {}, std::chrono::seconds(5))
                              .out;
  EXPECT_NE(in3.find("yes"), std::string::npos) << in3;

  RedisClient wrong(
      OptionsFor("redis://:not-the-pass@127.0.0.1:" + std::to_string(redis_.port()) + "/0"));
  const base::Result<Reply> refused = RunOn(io, wrong.CommandAsync({"PING"}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().log_detail.find("not-the-pass"), std::string::npos)
      << refused.error().log_detail;
  EXPECT_EQ(wrong.Health().find("not-the-pass"), std::string::npos);
}

TEST_F(RedisClientAsync, OffAnEventLoopTheBlockingPathAnswers) {
  RedisClient client(OptionsFor(redis_.url()));
  asio::thread_pool pool(2);
  const std::vector<std::string> echo = {"ECHO", "from a pool"};
  auto result = asio::co_spawn(pool, client.CommandAsync(echo), asio::use_future);
  const base::Result<Reply> r = result.get();
  ASSERT_TRUE(r) << r.error().log_detail;
  EXPECT_EQ(r->text, "from a pool");
}

}  // namespace
}  // namespace tenantd::redis
