#include "storage/postgres/listener.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "storage/postgres/connection.h"

namespace tenantd::storage {
namespace {

namespace asio = boost::asio;

// Listening, the connection is checked at least this often (a statement
// every wait would cost the server for nothing; waiting forever would miss
// a connection that died without a word until the next notification).
constexpr std::chrono::milliseconds kCheckInterval{5000};

// The channel name as an SQL identifier.
std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// One connection's life: connect, LISTEN, report what comes. Returns why
// it ended.
asio::awaitable<std::string> ListenOnce(
    const ListenerOptions& options, std::shared_ptr<const postgres::ConnectionSettings> settings,
    bool* listened) {
  auto opened = co_await postgres::Connection::Open(settings);
  if (!opened) co_return opened.error().log_detail;
  postgres::Connection& conn = **opened;
  auto listening = co_await conn.ExecScript("LISTEN " + QuoteIdentifier(options.channel));
  if (!listening) co_return listening.error().log_detail;
  *listened = true;
  options.on_listening(true, "");
  for (;;) {
    auto heard = co_await conn.WaitForNotifications(kCheckInterval);
    if (!heard) co_return heard.error().log_detail;
    if (*heard > 0) {
      options.on_notification();
      continue;
    }
    // Quiet for a while: make sure the server is still there.
    auto ping = co_await conn.ExecScript("SELECT 1");
    if (!ping) co_return ping.error().log_detail;
  }
}

}  // namespace

asio::awaitable<void> ListenForever(ListenerOptions options) {
  auto settings = std::make_shared<postgres::ConnectionSettings>();
  settings->conninfo = options.url.conninfo.Reveal();
  settings->masked = options.url.Masked();
  settings->connect_timeout = options.connect_timeout;
  settings->unavailable_code = "control_store_unavailable";
  settings->application_name = options.application_name;
  // The LISTEN connection's statements are LISTEN and SELECT 1: a cancel
  // would only ever concern a dead server, whose connection is dropped
  // anyway.
  settings->run_blocking = [](std::function<void()>) {};
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::chrono::milliseconds backoff = options.min_backoff;
  bool was_listening = true;  // so that a first failure is reported
  for (;;) {
    bool listened = false;
    const std::string why = co_await ListenOnce(options, settings, &listened);
    if (listened || was_listening) options.on_listening(false, why);
    was_listening = false;
    backoff = listened ? options.min_backoff : std::min(backoff * 2, options.max_backoff);
    timer.expires_after(backoff);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace tenantd::storage
