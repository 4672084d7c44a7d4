// RFC 9457 problem details (application/problem+json): the one shape every
// error answer takes.
#pragma once

#include <string_view>

#include "base/error.h"
#include "http/message.h"

namespace tenantd::http {

// The HTTP status for an error: by canonical code, refined by the problem
// code where one ErrorCode covers several statuses (400/413/415/422).
int HttpStatusFor(const base::Error& e);

// {"type","title","status","code","detail","request_id"[,"errors"]}.
Response ProblemResponse(int status, std::string_view code, std::string_view detail,
                         std::string_view request_id,
                         const std::vector<base::FieldError>& field_errors = {});

// Only e.public_message and e.field_errors reach the client.
Response ErrorResponse(const base::Error& e, std::string_view request_id);

// "Not Found" for 404 etc.
std::string_view ReasonPhrase(int status);

}  // namespace tenantd::http
