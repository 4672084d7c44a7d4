// A connection of its own that LISTENs on one channel and says when it
// hears something: the change announcements of the control store
// (control_store.h, ChangesAnnounced). Not from the pool, and it must not
// go through a pooler in transaction mode (PgBouncer would hand the
// session to someone else and the LISTEN with it): give it a direct URL.
//
// Notifications are a hint, never the record: they are lost while the
// connection is down, so the owner reads the record again after every
// (re)connect, which on_listening(true) announces.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "storage/postgres/postgres_url.h"

namespace tenantd::storage {

struct ListenerOptions {
  PostgresUrl url;
  std::string channel;
  // Tells this connection from the pool's in pg_stat_activity.
  std::string application_name = "tenantd-listener";
  std::chrono::milliseconds connect_timeout{2000};
  // Waits between reconnection attempts: doubling from min to max.
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{5000};
  // Something was announced on the channel.
  std::function<void()> on_notification;
  // true: LISTENing (again); false: the connection is lost or cannot be
  // made (`why` says why, without the password).
  std::function<void(bool listening, const std::string& why)> on_listening;
};

// Listens until the coroutine is cancelled (its io_context stopped),
// reconnecting after a loss. Runs on the calling coroutine's executor.
boost::asio::awaitable<void> ListenForever(ListenerOptions options);

}  // namespace tenantd::storage
