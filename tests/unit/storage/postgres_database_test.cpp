// What only the PostgreSQL engine has: its pool's cap and line, statement
// timeouts, recovery after a server restart, and its URL (the common
// contract is database_contract_test.cpp).
#include "storage/postgres/postgres_database.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <vector>

#include "await.h"
#include "storage/postgres/postgres_url.h"
#include "support/postgres_server.h"

namespace tenantd::storage {
namespace {

namespace asio = boost::asio;
using test::Await;

std::unique_ptr<Database> Open(const std::string& url, std::size_t max_connections,
                               std::chrono::milliseconds statement_timeout) {
  auto parsed = ParsePostgresUrl(url);
  EXPECT_TRUE(parsed);
  PostgresOptions options;
  options.url = std::move(*parsed);
  options.max_connections = max_connections;
  options.statement_timeout = statement_timeout;
  options.unavailable_code = "control_store_unavailable";
  return OpenPostgresDatabase(std::move(options));
}

int64_t Backends(Database& db) {
  auto rows =
      Await(db.Query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     " AND application_name = 'tenantd'"));
  return rows ? rows->front().Int64(0) : -1;
}

TEST(PostgresDatabaseTest, APoolNeverOpensMoreThanItsCapAndItsLineTimesOut) {
  auto db = Open(test::CreateTestDatabase(), 2, std::chrono::milliseconds(300));
  auto first = Await(db->Begin());
  auto second = Await(db->Begin());
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  auto third = Await(db->Begin());
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(third.error().problem_code, "control_store_unavailable");
  auto seen = Await(
      (*first)->Query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                      " AND application_name = 'tenantd'"));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->front().Int64(0), 2);
}

TEST(PostgresDatabaseTest, CallersWaitInLineForTheOneConnection) {
  auto db = Open(test::CreateTestDatabase(), 1, std::chrono::milliseconds(5000));
  ASSERT_TRUE(Await(db->Exec("CREATE TABLE t (n BIGINT)")));
  asio::io_context io;
  std::vector<std::future<base::Status>> done;
  for (int i = 0; i < 8; ++i) {
    done.push_back(asio::co_spawn(
        io,
        [&db, i]() -> asio::awaitable<base::Status> {
          auto tx = co_await db->Begin();
          if (!tx) co_return std::move(tx).error();
          TENANTD_CO_RETURN_IF_ERROR(co_await (*tx)->Exec("INSERT INTO t (n) VALUES ($1)", i));
          co_return co_await (*tx)->Commit();
        },
        asio::use_future));
  }
  io.run();
  for (auto& f : done) {
    auto st = f.get();
    EXPECT_TRUE(st) << st.error().log_detail;
  }
  auto count = Await(db->Query("SELECT count(*) FROM t"));
  ASSERT_TRUE(count);
  EXPECT_EQ(count->front().Int64(0), 8);
  EXPECT_LE(Backends(*db), 1);
}

TEST(PostgresDatabaseTest, AStatementPastItsTimeoutIsCancelledAnd503) {
  auto db = Open(test::CreateTestDatabase(), 2, std::chrono::milliseconds(200));
  auto slow = Await(db->Query("SELECT pg_sleep(30)"));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(slow.error().problem_code, "control_store_unavailable");
  // The server stopped it too: no pg_sleep left running.
  auto running =
      Await(db->Query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"
                      " AND state = 'active'"));
  ASSERT_TRUE(running);
  EXPECT_EQ(running->front().Int64(0), 0);
  // And the pool goes on serving.
  EXPECT_TRUE(Await(db->Query("SELECT 1")));
}

TEST(PostgresDatabaseTest, RecoversByItselfWhenTheServerComesBack) {
  test::PostgresCluster cluster;
  ASSERT_EQ(cluster.Start(), "");
  auto db = Open(cluster.Url(), 4, std::chrono::milliseconds(2000));
  ASSERT_TRUE(Await(db->Query("SELECT 1")));

  cluster.Stop();
  auto down = Await(db->Query("SELECT 1"));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(down.error().problem_code, "control_store_unavailable");
  auto tx_down = Await(db->Begin());
  EXPECT_FALSE(tx_down);

  ASSERT_EQ(cluster.Start(), "");
  auto up = Await(db->Query("SELECT 1"));
  EXPECT_TRUE(up) << up.error().log_detail;
  auto tx = Await(db->Begin());
  ASSERT_TRUE(tx) << tx.error().log_detail;
  EXPECT_TRUE(Await((*tx)->Commit()));
}

TEST(PostgresDatabaseTest, AConnectionTheServerDroppedIsReplacedUnnoticed) {
  test::PostgresCluster cluster;
  ASSERT_EQ(cluster.Start(), "");
  auto db = Open(cluster.Url(), 4, std::chrono::milliseconds(2000));
  ASSERT_TRUE(Await(db->Query("SELECT 1")));  // leaves an idle pooled connection
  cluster.Stop();
  ASSERT_EQ(cluster.Start(), "");
  // The pooled connection is dead; the caller never sees it.
  auto tx = Await(db->Begin());
  ASSERT_TRUE(tx) << tx.error().log_detail;
  EXPECT_TRUE(Await((*tx)->Commit()));
  EXPECT_TRUE(Await(db->Query("SELECT 1")));
}

TEST(PostgresDatabaseTest, AnUnreachableServerIsUnavailableWithoutThePassword) {
  auto db =
      Open("postgres://someone:sekret-pw@127.0.0.1:1/nothing", 2, std::chrono::milliseconds(1000));
  auto rows = Await(db->Query("SELECT 1"));
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(rows.error().log_detail.find("sekret-pw"), std::string::npos);
  EXPECT_NE(rows.error().log_detail.find("postgres://someone@127.0.0.1:1/nothing"),
            std::string::npos)
      << rows.error().log_detail;
}

TEST(PostgresDatabaseTest, TextWithANulByteIsRefusedNotTruncated) {
  auto db = Open(test::CreateTestDatabase(), 2, std::chrono::milliseconds(2000));
  auto rows = Await(db->Query("SELECT $1", std::string("a\0b", 3)));
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, base::ErrorCode::kInvalidArgument);
}

TEST(PostgresDatabaseTest, InvalidUtf8IsABadValueNotAServerError) {
  auto db = Open(test::CreateTestDatabase(), 2, std::chrono::milliseconds(2000));
  auto rows = Await(db->Query("SELECT $1", std::string("\xff\xfe")));
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code, base::ErrorCode::kInvalidArgument);
}

TEST(PostgresUrlTest, ParsesAndMasks) {
  auto url = ParsePostgresUrl("postgres://app:s3cret@db.example:6543/control?sslmode=require");
  ASSERT_TRUE(url) << url.error().public_message;
  EXPECT_EQ(url->host, "db.example");
  EXPECT_EQ(url->port, "6543");
  EXPECT_EQ(url->database, "control");
  EXPECT_EQ(url->user, "app");
  EXPECT_EQ(url->Masked(), "postgres://app@db.example:6543/control");
}

TEST(PostgresUrlTest, RejectsWithoutEchoingThePassword) {
  for (const char* bad : {"mysql://u:topsecret@h/db", "postgres://u:topsecret@h:notaport/db",
                          "postgres://u:topsecret@h/db?nonsense=1", "postgres://u:topsecret@h",
                          "postgres://u:top%zzsecret@h/db"}) {
    auto url = ParsePostgresUrl(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().problem_code, "invalid_database_url");
    EXPECT_EQ(url.error().public_message.find("topsecret"), std::string::npos) << bad;
    EXPECT_EQ(url.error().public_message.find("top%zz"), std::string::npos) << bad;
    EXPECT_EQ(url.error().log_detail.find("topsecret"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace tenantd::storage
