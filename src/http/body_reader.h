// The request body of a streaming route (RouteOptions::stream_body): the
// server has read only the header block when the handler runs, and the
// handler pulls the body through this, a buffer at a time, so memory use
// does not grow with the body. No Beast types: handlers stay Beast-free.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tenantd::http {

enum class BodyError {
  kNone,
  kTooLarge,    // over the route's limit: answer 413 (the connection then closes)
  kTimeout,     // the client stalled longer than the body idle timeout: 408
  kClientGone,  // reset or closed mid-body: nobody is left to answer
  kMalformed,   // broken chunked encoding: 400
};

struct BodyChunk {
  std::size_t size = 0;  // bytes written to the buffer; 0 with kNone = end of body
  BodyError error = BodyError::kNone;
};

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Fills up to out.size() bytes. Sends "100 Continue" first when the client
  // asked for it, so a request refused before its body is read never costs
  // the client the upload.
  virtual boost::asio::awaitable<BodyChunk> Read(std::span<char> out) = 0;
  // From Content-Length; nullopt for a chunked body.
  virtual std::optional<uint64_t> content_length() const = 0;
  virtual uint64_t bytes_read() const = 0;
  // The whole body has been read (the connection can carry another request).
  virtual bool done() const = 0;
};

}  // namespace tenantd::http
