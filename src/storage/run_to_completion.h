// Runs a coroutine to completion on a private event loop, for code that is
// not on one: start-up, the CLI, background threads. Never call it on an
// event-loop thread (it would block that loop for the whole call).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <utility>

namespace tenantd::storage {

template <class T>
T RunToCompletion(boost::asio::awaitable<T> aw) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, std::move(aw), boost::asio::use_future);
  io.run();
  return result.get();
}

}  // namespace tenantd::storage
