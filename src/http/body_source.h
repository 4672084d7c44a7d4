// A response body produced while it is sent (Response::stream): a file
// streamed from a remote store, in a fixed buffer whatever its size. No
// Beast types: handlers stay Beast-free.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <span>

namespace tenantd::http {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to out.size() bytes: the count, 0 at the end, nullopt when the
  // source failed (the connection is then closed: the client sees a short
  // body, never a wrong one).
  virtual boost::asio::awaitable<std::optional<std::size_t>> Read(std::span<char> out) = 0;
};

}  // namespace tenantd::http
