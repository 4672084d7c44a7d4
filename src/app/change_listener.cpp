#include "app/change_listener.h"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <thread>
#include <utility>

#include "storage/postgres/listener.h"

namespace tenantd::app {

// The channel the control store's triggers notify (control/migrations.cpp).
constexpr char kChannel[] = "tenantd_cache_changes";

struct ChangeListener::Impl {
  boost::asio::io_context io;
  std::thread thread;
};

ChangeListener::ChangeListener(control::ControlStore& store, storage::PostgresUrl url,
                               logging::Logger& log)
    : impl_(std::make_unique<Impl>()) {
  storage::ListenerOptions options;
  options.url = std::move(url);
  options.channel = kChannel;
  // The process id tells the nodes' listeners apart (operators, tests).
  options.application_name = "tenantd-listener-" + std::to_string(getpid());
  options.on_notification = [&store] { store.ChangesAnnounced(); };
  const std::string where = options.url.Masked();
  options.on_listening = [this, &store, &log, where](bool up, const std::string& why) {
    listening_.store(up, std::memory_order_relaxed);
    store.SetListening(up);
    // Whatever was announced while the connection was down is in the log.
    store.ChangesAnnounced();
    if (up) {
      log.Info("listening for control store changes on " + where);
    } else {
      log.Warn("lost the control store's LISTEN connection (" + why +
               "); changes are polled until it is back");
    }
  };
  boost::asio::co_spawn(impl_->io, storage::ListenForever(std::move(options)),
                        boost::asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

ChangeListener::~ChangeListener() {
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace tenantd::app
