// Reading JSON request bodies and list query parameters by the rules of api.md §1: 415 for a
// Content-Type other than application/json, 400 invalid_json for bytes that
// do not parse, 422 validation_failed for a body that is not an object.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "http/message.h"

namespace tenantd::http {

base::Result<boost::json::object> ParseJsonObject(const Request& req);

// Like ParseJsonObject, but an empty body (no Content-Type needed) is {}:
// for action routes whose body is optional.
base::Result<boost::json::object> ParseOptionalJsonObject(const Request& req);

// Reads optional member `field` into `out`; a wrong type adds a field error.
void ReadString(const boost::json::object& body, std::string_view field,
                std::optional<std::string>& out, std::vector<base::FieldError>& errors);
// A whole number from min to max.
void ReadInteger(const boost::json::object& body, std::string_view field, int64_t min, int64_t max,
                 std::optional<int64_t>& out, std::vector<base::FieldError>& errors);

// Pagination query parameters of api.md §1: ?limit= (default 50, 1-500) and
// ?after= (a cursor: an id with `id_prefix`). 400 bad_request otherwise.
base::Result<int> ParseLimit(const Request& req);
base::Result<std::string> ParseCursor(const Request& req, std::string_view id_prefix);

// Rejects members of `body` not named in `allowed` (422, one error per field):
// a typo in a field name should fail loudly rather than be ignored.
std::vector<base::FieldError> UnknownFields(const boost::json::object& body,
                                            std::initializer_list<std::string_view> allowed);

}  // namespace tenantd::http
