#include "http/json_body.h"

#include <strings.h>

#include <boost/json/parse.hpp>
#include <charconv>

#include "base/ids.h"

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

base::Result<boost::json::object> ParseOptionalJsonObject(const Request& req) {
  if (req.body.empty()) return boost::json::object();
  return ParseJsonObject(req);
}

void ReadString(const boost::json::object& body, std::string_view field,
                std::optional<std::string>& out, std::vector<base::FieldError>& errors) {
  const auto* v = body.if_contains(field);
  if (!v) return;
  if (!v->is_string()) {
    errors.push_back({std::string(field), "Must be a string."});
    return;
  }
  out = std::string(v->as_string());
}

void ReadInteger(const boost::json::object& body, std::string_view field, int64_t min, int64_t max,
                 std::optional<int64_t>& out, std::vector<base::FieldError>& errors) {
  const auto* v = body.if_contains(field);
  if (!v) return;
  const std::string range =
      "Must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ".";
  if (!v->is_int64() && !v->is_uint64()) {
    errors.push_back({std::string(field), range});
    return;
  }
  const bool fits = v->is_int64() ? (v->as_int64() >= min && v->as_int64() <= max)
                                  : v->as_uint64() <= static_cast<uint64_t>(max);
  if (!fits) {
    errors.push_back({std::string(field), range});
    return;
  }
  out = v->is_int64() ? v->as_int64() : static_cast<int64_t>(v->as_uint64());
}

base::Result<int> ParseLimit(const Request& req) {
  constexpr int kDefault = 50;
  constexpr int kMax = 500;
  const auto raw = req.QueryParam("limit");
  if (!raw) return kDefault;
  int v = 0;
  const auto* end = raw->data() + raw->size();
  const auto [p, ec] = std::from_chars(raw->data(), end, v);
  if (ec != std::errc() || p != end || v < 1 || v > kMax) {
    return base::InvalidArgument("bad_request", "limit must be an integer from 1 to 500.");
  }
  return v;
}

base::Result<std::string> ParseCursor(const Request& req, std::string_view id_prefix) {
  const auto after = req.QueryParam("after");
  if (!after) return std::string();
  if (!base::IsWellFormedId(*after, id_prefix)) {
    return base::InvalidArgument("bad_request", "after is not a cursor.");
  }
  return *after;
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
