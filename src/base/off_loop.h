// Blocking work (fsync, building a database, archives) off the event loop:
// OffLoop runs `fn` on a worker pool and resumes the awaiting coroutine on
// its own executor when it is done.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>

namespace tenantd::base {

namespace internal {

// The body of OffLoop's worker coroutine. A function, not a capturing
// lambda: GCC 12 mishandles the captures of a lambda coroutine handed to
// co_spawn (they are copied bitwise), while parameters are moved into the
// coroutine frame properly.
template <class T>
boost::asio::awaitable<std::shared_ptr<T>> RunOnWorker(std::function<T()> fn) {
  co_return std::make_shared<T>(fn());
}

}  // namespace internal

// `workers` null runs `fn` inline (the CLI, whose loop serves no one else).
// The result travels in a shared_ptr because co_spawn needs a
// default-constructible value for its exception path.
template <class T>
boost::asio::awaitable<T> OffLoop(boost::asio::thread_pool* workers, std::function<T()> fn) {
  if (workers == nullptr) co_return fn();
  std::shared_ptr<T> result = co_await boost::asio::co_spawn(
      workers->get_executor(), internal::RunOnWorker<T>(std::move(fn)), boost::asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace tenantd::base
