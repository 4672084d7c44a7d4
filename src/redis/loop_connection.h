// Commands on an event loop without blocking it (internal to this module):
// per io_context, each client keeps one connection, and the commands of
// every request on that loop are pipelined over it. Whatever requests
// enqueue while a write is in flight leave together in the next write, and
// one read brings back as many replies as have arrived, so under load many
// requests share each system call and each Redis wake-up.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string_view>

#include "base/error.h"
#include "redis/redis_client.h"

namespace boost::asio {
class io_context;
}

namespace tenantd::redis {

struct ClientState;

// Runs one command on the client's connection of `loop`, which must be the
// io_context of the calling coroutine, run by one thread (as tenantd's
// event loops are: the connection is not locked). Errors as RedisClient::Command's. A command that
// gets no answer within the client's timeout fails the connection (replies are matched by order, so
// after a lost one none can be trusted): its other commands fail kUnavailable too, and the client
// is marked down. `argv` must outlive the call (co_await it at once).
boost::asio::awaitable<base::Result<Reply>> RunOnLoop(boost::asio::io_context& loop,
                                                      std::shared_ptr<ClientState> state,
                                                      std::span<const std::string_view> argv);

}  // namespace tenantd::redis
