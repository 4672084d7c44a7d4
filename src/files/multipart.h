// A streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1): bytes go
// in as they arrive, in chunks of any size, and each part's body comes out
// as it is found, so an upload of any size is parsed in constant memory
// (part headers are bounded; body bytes are held back only as long as they
// could still be the start of a delimiter).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tenantd::files {

// The boundary parameter of a multipart/form-data Content-Type, or nullopt
// when the type is another one or the boundary is missing or invalid
// (1-70 characters, RFC 2046).
std::optional<std::string> MultipartBoundary(std::string_view content_type);

struct MultipartPart {
  std::string name;                     // Content-Disposition name=
  std::optional<std::string> filename;  // filename= (or filename*=), raw
  std::string content_type;             // "" when the part has none
};

class MultipartParser {
 public:
  // Callbacks return an error to stop parsing (e.g. a limit); Feed returns it.
  struct Events {
    std::function<base::Status(const MultipartPart&)> on_part_begin;
    std::function<base::Status(std::string_view)> on_part_data;
    std::function<base::Status()> on_part_end;
  };

  MultipartParser(std::string boundary, Events events);

  // Errors: kInvalidArgument "bad_request" for a malformed body.
  base::Status Feed(std::string_view data);
  // At the end of the request body: an error unless the closing delimiter came.
  base::Status Finish() const;

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kEpilogue };
  base::Status ParseHeaders(std::string_view block);
  base::Status Run();

  std::string delimiter_;  // "\r\n--" + boundary
  Events events_;
  State state_ = State::kPreamble;
  std::string pending_;  // bytes not yet consumed
};

}  // namespace tenantd::files
