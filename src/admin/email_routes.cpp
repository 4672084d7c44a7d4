#include "admin/email_routes.h"

#include <boost/json.hpp>

#include "control/email_outbox.h"
#include "http/json_body.h"
#include "http/problem.h"

namespace tenantd::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

constexpr const char* kEmail = R"json({
  "title": "OutboxEmail", "type": "object",
  "required": ["id", "kind", "to", "message_id", "status", "attempts", "last_error",
               "created_at", "sent_at", "next_attempt_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^eml_"},
    "kind": {"type": "string", "description": "verification, password_reset, invite, signup_attempt"},
    "to": {"type": "string"},
    "message_id": {"type": "string", "description": "The Message-ID header, the same on every attempt"},
    "status": {"type": "string", "enum": ["pending", "sent", "failed"]},
    "attempts": {"type": "integer", "minimum": 0, "description": "Deliveries tried and not completed"},
    "last_error": {"type": ["string", "null"], "description": "The SMTP reply or error of the last failed attempt"},
    "created_at": {"type": "string", "format": "date-time"},
    "sent_at": {"type": ["string", "null"], "format": "date-time"},
    "next_attempt_at": {"type": ["string", "null"], "format": "date-time", "description": "While pending: when it is tried next"}
  }})json";

boost::json::value OptionalTime(const std::optional<base::TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::value(base::FormatRfc3339(*t));
}

// Everything but the body: it holds tokens, and is gone once sent anyway.
boost::json::object EmailToJson(const control::OutboxEntry& e) {
  boost::json::object out{
      {"id", e.id},
      {"kind", e.kind},
      {"to", e.to},
      {"message_id", e.message_id},
      {"status", control::ToString(e.status)},
      {"attempts", e.attempts},
      {"last_error", nullptr},
      {"created_at", base::FormatRfc3339(e.created_at)},
      {"sent_at", OptionalTime(e.sent_at)},
      {"next_attempt_at", nullptr},
  };
  if (e.last_error) out["last_error"] = *e.last_error;
  if (e.status == control::EmailStatus::kPending) {
    out["next_attempt_at"] = base::FormatRfc3339(e.next_attempt_at);
  }
  return out;
}

awaitable<Response> ListEmails(control::ControlStore& store, Request& req, RequestContext& ctx) {
  control::OutboxListQuery q;
  auto limit = http::ParseLimit(req);
  if (!limit) co_return http::ErrorResponse(limit.error(), ctx.request_id);
  q.limit = *limit;
  if (auto status = req.QueryParam("status")) {
    q.status = control::ParseEmailStatus(*status);
    if (!q.status) {
      co_return http::ErrorResponse(
          base::InvalidArgument("bad_request", "status must be pending, sent or failed."),
          ctx.request_id);
    }
  }
  auto after = http::ParseCursor(req, "eml");
  if (!after) co_return http::ErrorResponse(after.error(), ctx.request_id);
  q.after = std::move(*after);
  control::EmailOutbox outbox(store);
  auto page = co_await outbox.List(q);
  if (!page) co_return http::ErrorResponse(page.error(), ctx.request_id);
  boost::json::array data;
  for (const control::OutboxEntry& e : page->items) data.push_back(EmailToJson(e));
  boost::json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  co_return Response::Json(200, boost::json::serialize(out));
}

http::RouteDoc ListEmailsDoc() {
  std::vector<http::ParamDoc> params = http::PageParams();
  params.push_back({"status", "query", "Only emails with this status",
                    R"({"type":"string","enum":["pending","sent","failed"]})"});
  return {.operation_id = "listEmails",
          .summary = "List the email outbox in creation order (never bodies or tokens)",
          .tag = "Administration",
          .params = std::move(params),
          .responses = {{200, "A page of outbox emails", http::PageOf(kEmail)}},
          .problems = {{400, "bad_request"}}};
}

}  // namespace

void RegisterEmailRoutes(http::Router& router, const std::vector<const http::Stage*>& stages,
                         control::ControlStore& store) {
  router.Add(
      "GET", "/admin/v1/emails", stages,
      [&store](Request& req, RequestContext& ctx) { return ListEmails(store, req, ctx); },
      ListEmailsDoc());
}

}  // namespace tenantd::admin
