#include "http/route_doc.h"

namespace tenantd::http {

std::string Envelope(std::string_view key, std::string_view schema) {
  std::string out = R"({"type":"object","required":[")";
  out += key;
  out += R"("],"properties":{")";
  out += key;
  out += R"(":)";
  out += schema;
  out += "}}";
  return out;
}

std::string PageOf(std::string_view item_schema) {
  std::string out =
      R"({"type":"object","required":["data","next_cursor"],"properties":{"data":{"type":"array","items":)";
  out += item_schema;
  out +=
      R"(},"next_cursor":{"type":["string","null"],"description":"Pass as ?after= for the next page; null on the last page"}}})";
  return out;
}

std::vector<ParamDoc> PageParams() {
  return {
      {"limit", "query", "Items per page (default 50)",
       R"({"type":"integer","minimum":1,"maximum":500,"default":50})"},
      {"after", "query", "The next_cursor of the previous page (opaque)"},
  };
}

}  // namespace tenantd::http
