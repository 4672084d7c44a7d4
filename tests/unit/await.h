// Runs a coroutine to completion on a private io_context, for unit tests
// of code that is called from the event loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <utility>

namespace tenantd::test {

template <class T>
T Await(boost::asio::awaitable<T> coroutine) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, std::move(coroutine), boost::asio::use_future);
  io.run();
  return result.get();
}

}  // namespace tenantd::test
