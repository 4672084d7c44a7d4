// Reading JSON request bodies by the rules of api.md §1: 415 for a
// Content-Type other than application/json, 400 invalid_json for bytes that
// do not parse, 422 validation_failed for a body that is not an object.
#pragma once

#include <boost/json/object.hpp>

#include "base/error.h"
#include "http/message.h"

namespace tenantd::http {

base::Result<boost::json::object> ParseJsonObject(const Request& req);

// Rejects members of `body` not named in `allowed` (422, one error per field):
// a typo in a field name should fail loudly rather than be ignored.
std::vector<base::FieldError> UnknownFields(const boost::json::object& body,
                                            std::initializer_list<std::string_view> allowed);

}  // namespace tenantd::http
