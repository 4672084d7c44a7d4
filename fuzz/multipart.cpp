// The streaming multipart/form-data parser (src/files/multipart.h): a
// Content-Type line, then a body fed in pieces of fuzzed sizes. Whatever
// the split, the parts and their bytes must come out the same, and never
// more body bytes than went in.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "files/multipart.h"

namespace {

struct Outcome {
  std::vector<std::string> events;  // "begin name filename type", data, "end"
  bool ok = true;
  bool finished = false;
};

Outcome Parse(const std::string& boundary, std::string_view body, std::size_t step) {
  Outcome out;
  tenantd::files::MultipartParser::Events events;
  events.on_part_begin = [&](const tenantd::files::MultipartPart& p) {
    out.events.push_back("begin " + p.name + " " + p.filename.value_or("-") + " " + p.content_type);
    return tenantd::base::Status();
  };
  events.on_part_data = [&](std::string_view d) {
    if (out.events.empty() || out.events.back().rfind("data:", 0) != 0)
      out.events.push_back("data:");
    out.events.back() += d;
    return tenantd::base::Status();
  };
  events.on_part_end = [&] {
    out.events.push_back("end");
    return tenantd::base::Status();
  };
  tenantd::files::MultipartParser parser(boundary, std::move(events));
  for (std::size_t i = 0; i < body.size() && out.ok; i += step) {
    out.ok = parser.Feed(body.substr(i, step)).has_value();
  }
  out.finished = out.ok && parser.Finish().has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = std::size_t{data[0]} + 1;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto eol = rest.find('\n');
  if (eol == std::string_view::npos) return 0;
  const auto boundary = tenantd::files::MultipartBoundary(rest.substr(0, eol));
  if (!boundary) return 0;
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  const std::string_view body = rest.substr(eol + 1);

  const Outcome whole = Parse(*boundary, body, body.size() + 1);
  const Outcome split = Parse(*boundary, body, step);
  std::size_t data_bytes = 0;
  for (const auto& e : whole.events) {
    if (e.rfind("data:", 0) == 0) data_bytes += e.size() - 5;
  }
  FUZZ_CHECK(data_bytes <= body.size());
  // Feeding in pieces changes nothing when both parse to the end.
  if (whole.finished && split.finished) FUZZ_CHECK(whole.events == split.events);
  FUZZ_CHECK(whole.finished == split.finished || !whole.ok || !split.ok);
  return 0;
}
