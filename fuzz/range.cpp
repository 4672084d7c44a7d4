// Range and If-Range (src/files/byte_range.h, src/http/entity_tag.h): any
// header against any size; a range served must lie inside the file.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "check.h"
#include "files/byte_range.h"
#include "http/entity_tag.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint64_t file_size = in.ConsumeBool()
                                      ? in.ConsumeIntegral<std::uint64_t>()
                                      : in.ConsumeIntegralInRange<std::uint64_t>(0, 100);
  const std::string range = in.ConsumeRandomLengthString(128);
  const std::string if_range = in.ConsumeRandomLengthString(128);
  const std::string opaque = in.ConsumeRandomLengthString(16);

  const tenantd::files::ByteRange r = tenantd::files::ParseRange(range, file_size);
  if (r.kind == tenantd::files::ByteRange::Kind::kPart) {
    FUZZ_CHECK(r.first <= r.last && r.last < file_size && r.length() <= file_size);
  }
  const bool holds = tenantd::http::IfRangeHolds(if_range, opaque, "Sun, 22 Nov 2026 21:04:05 GMT");
  if (holds && if_range.find('"') == std::string::npos) {
    // Not a tag: only the exact date holds.
    FUZZ_CHECK(if_range.find("Sun, 22 Nov 2026 21:04:05 GMT") != std::string::npos);
  }
  if (auto tags = tenantd::http::ParseEntityTags(if_range)) {
    for (const auto& t : *tags) FUZZ_CHECK(t.opaque.find('"') == std::string_view::npos);
  }
  tenantd::http::IfNoneMatchMatches(if_range, opaque);
  return 0;
}
