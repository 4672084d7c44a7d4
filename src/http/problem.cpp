#include "http/problem.h"

#include <boost/json.hpp>

namespace tenantd::http {

int HttpStatusFor(const base::Error& e) {
  using base::ErrorCode;
  // Problem codes whose status differs from their canonical code's default.
  const std::string_view code = e.problem_code;
  if (code == "validation_failed" || code == "idempotency_key_reused" || code == "image_rejected") {
    return 422;
  }
  if (code == "payload_too_large" || code == "quota_exceeded") return 413;
  if (code == "unsupported_media_type") return 415;
  if (code == "precondition_failed") return 412;
  if (code == "range_not_satisfiable") return 416;
  if (code == "request_timeout") return 408;
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 460:
      return "Checksum Mismatch";  // tus 1.0 checksum extension
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

Response ProblemResponse(int status, std::string_view code, std::string_view detail,
                         std::string_view request_id,
                         const std::vector<base::FieldError>& field_errors) {
  boost::json::object o;
  std::string type = "https://tenantd.dev/errors/";
  type += code;
  o["type"] = type;
  o["title"] = ReasonPhrase(status);
  o["status"] = status;
  o["code"] = code;
  o["detail"] = detail;
  o["request_id"] = request_id;
  if (!field_errors.empty()) {
    boost::json::array errors;
    for (const auto& f : field_errors) {
      errors.push_back(boost::json::object{{"field", f.field}, {"message", f.message}});
    }
    o["errors"] = std::move(errors);
  }
  Response r = Response::Text(status, "application/problem+json", boost::json::serialize(o));
  return r;
}

Response ErrorResponse(const base::Error& e, std::string_view request_id) {
  return ProblemResponse(HttpStatusFor(e), e.problem_code, e.public_message, request_id,
                         e.field_errors);
}

}  // namespace tenantd::http
