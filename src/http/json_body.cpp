#include "http/json_body.h"

#include <strings.h>

#include <boost/json/parse.hpp>

namespace tenantd::http {

base::Result<boost::json::object> ParseJsonObject(const Request& req) {
  const auto type = req.headers.Get("Content-Type");
  // media type before any parameters (";charset=utf-8"), case-insensitive
  std::string_view media = type.value_or("");
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16 || strncasecmp(media.data(), "application/json", 16) != 0) {
    return base::MakeError(base::ErrorCode::kInvalidArgument, "unsupported_media_type",
                           "The body must be sent as Content-Type: application/json.");
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  if (ec) {
    return base::InvalidArgument("invalid_json", "The body is not valid JSON.");
  }
  if (!v.is_object()) {
    return base::ValidationFailed({{"", "The body must be a JSON object."}});
  }
  return std::move(v.as_object());
}

std::vector<base::FieldError> UnknownFields(const boost::json::object& body,
                                            std::initializer_list<std::string_view> allowed) {
  std::vector<base::FieldError> errors;
  for (const auto& member : body) {
    bool known = false;
    for (auto a : allowed) known |= (member.key() == a);
    if (!known) errors.push_back({std::string(member.key()), "Unknown field."});
  }
  return errors;
}

}  // namespace tenantd::http
