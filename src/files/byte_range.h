// The Range request header (RFC 9110 §14.2) for one representation of a
// known size. One range is served as 206; several ranges are answered with
// the whole file (200), which RFC 9110 allows and spares clients a
// multipart/byteranges body that few of them parse.
#pragma once

#include <cstdint>
#include <string_view>

namespace tenantd::files {

struct ByteRange {
  enum class Kind {
    kWhole,          // no Range, a malformed one (ignored, as §14.2 says), or several ranges
    kPart,           // first..last, inclusive, within the file
    kUnsatisfiable,  // 416 with Content-Range: bytes */size
  };
  Kind kind = Kind::kWhole;
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
};

// `bytes=a-b`, `bytes=a-` and `bytes=-n` against a file of `size` bytes.
ByteRange ParseRange(std::string_view header, uint64_t size);

}  // namespace tenantd::files
