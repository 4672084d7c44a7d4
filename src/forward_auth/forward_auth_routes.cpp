#include "forward_auth/forward_auth_routes.h"

#include <boost/json.hpp>

#include "control/control_store.h"
#include "forward_auth/forward_auth_docs.h"
#include "forward_auth/forwarded_request.h"
#include "http/json_body.h"
#include "http/problem.h"

namespace tenantd::forward_auth {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

// X-Content-Sha256 of a bodiless request: the one hash the check can vouch for.
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::size_t kMaxKeyChars = 256;
constexpr std::size_t kMaxVerifyScopes = 16;

// Every method a proxied request may have; the check answers for each.
constexpr const char* kCheckMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                         "PATCH", "DELETE", "OPTIONS"};

// The first required scope `auth` lacks, or nullptr.
const std::string* MissingScope(const http::AuthFacts& auth,
                                const std::vector<std::string>& required) {
  for (const std::string& s : required) {
    if (!auth.HasScope(s)) return &s;
  }
  return nullptr;
}

// The problem code of a refusal the authentication stage answered.
std::string CodeOf(const Response& refusal) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(refusal.body, ec);
  if (ec || !v.is_object()) return "invalid_credentials";
  const boost::json::value* code = v.as_object().if_contains("code");
  return code && code->is_string() ? std::string(code->as_string().c_str()) : "invalid_credentials";
}

Response Invalid(std::string_view code) {
  boost::json::object out{{"valid", false}, {"code", code}};
  return Response::Json(200, boost::json::serialize(out));
}

}  // namespace

awaitable<std::optional<Response>> TrustedProxyOnly::OnRequest(Request& req,
                                                               RequestContext& ctx) const {
  if (is_trusted_(req.peer_ip)) co_return std::nullopt;
  co_return http::ProblemResponse(403, "untrusted_proxy",
                                  "Only the proxies listed in TENANTD_TRUSTED_PROXIES may call "
                                  "/auth/v1/check.",
                                  ctx.request_id);
}

void TrustedProxyOnly::Describe(http::RouteDoc& doc) const {
  doc.problems.push_back({403, "untrusted_proxy"});
}

ForwardAuthRoutes::ForwardAuthRoutes(ForwardAuthDeps deps)
    : deps_(std::move(deps)), trusted_only_(deps_.is_trusted_proxy) {}

void ForwardAuthRoutes::Register(http::Router& router) const {
  auto check = [this](Request& req, RequestContext& ctx) { return Check(req, ctx); };
  // The handler runs the tenant authentication stage on the original
  // request: the check's description carries what that stage admits and refuses.
  auto check_doc = [this](const char* method, bool with_path) {
    http::RouteDoc doc = docs::Check(method, with_path);
    deps_.tenant_access.Describe(doc);
    return doc;
  };
  for (const char* method : kCheckMethods) {
    router.Add(method, std::string(kCheckPath), {&trusted_only_}, check, check_doc(method, false));
    router.Add(method, std::string(kCheckSuffixPattern), {&trusted_only_}, check,
               check_doc(method, true));
  }
  router.Add(
      "POST", "/auth/v1/verify", {&deps_.admin_auth},
      [this](Request& req, RequestContext& ctx) { return Verify(req, ctx); }, docs::Verify());
}

awaitable<Response> ForwardAuthRoutes::Check(Request& req, RequestContext& ctx) const {
  base::Result<Request> original = OriginalRequest(req);
  if (!original) co_return http::ErrorResponse(original.error(), ctx.request_id);
  const base::Result<std::vector<std::string>> required = RequiredScopes(req);
  if (!required) co_return http::ErrorResponse(required.error(), ctx.request_id);
  // Logged, and counted in the tenant's usage, as the request it stands for.
  ctx.logged_method = original->method;
  ctx.logged_target = original->target;

  const access::TenantAccess& stage = deps_.tenant_access;
  if (std::optional<Response> refused = co_await stage.OnRequest(*original, ctx)) {
    co_return std::move(*refused);
  }
  Response res;
  if (const std::string* missing = MissingScope(ctx.auth, *required)) {
    deps_.failures.Count("insufficient_scope");
    res = http::ProblemResponse(403, "insufficient_scope",
                                "This location needs the " + *missing + " scope.", ctx.request_id);
  } else {
    res.status = 200;
    if (auto st = AddIdentityHeaders(*ctx.tenant, ctx.auth, res.headers); !st) {
      co_return http::ErrorResponse(st.error(), ctx.request_id);
    }
    // The body stays with the proxy: a signature over another body's hash
    // proves the headers, not the body, which the upstream must check.
    if (ctx.auth.mode == "signature" &&
        original->headers.Get("X-Content-Sha256").value_or(kEmptySha256) != kEmptySha256) {
      res.headers.Add("X-Content-Sha256-Unverified", "1");
    }
  }
  stage.OnResponse(ctx, res);  // RateLimit-*, and Set-Cookie when a session started
  co_return res;
}

awaitable<Response> ForwardAuthRoutes::Verify(Request& req, RequestContext& ctx) const {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors = http::UnknownFields(*body, {"key", "required_scopes"});
  std::optional<std::string> key;
  http::ReadString(*body, "key", key, errors);
  if (!key || key->empty() || key->size() > kMaxKeyChars) {
    errors.push_back({"key", "key is required: the API key to verify (sk_live_…, rk_…)."});
  }
  std::vector<std::string> required;
  if (const boost::json::value* scopes = body->if_contains("required_scopes")) {
    const boost::json::array* list = scopes->if_array();
    bool valid = list && list->size() <= kMaxVerifyScopes;
    for (std::size_t i = 0; valid && i < list->size(); ++i) {
      const boost::json::string* s = (*list)[i].if_string();
      valid = s && IsScopeName(std::string_view(s->data(), s->size()));
      if (valid) required.emplace_back(s->data(), s->size());
    }
    if (!valid) {
      errors.push_back({"required_scopes",
                        "required_scopes is a list of at most 16 scopes such as products:read."});
    }
  }
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }

  // The key as a tenant request would present it. No client address: the
  // caller is a backend verifying its clients' keys, and one client's bad
  // keys must not throttle the others (failures count per key prefix).
  Request probe;
  probe.method = "POST";
  probe.target = "/auth/v1/verify";
  probe.headers.Add("Authorization", "Bearer " + *key);
  RequestContext inner;
  inner.request_id = ctx.request_id;
  if (std::optional<Response> refused = co_await deps_.tenant_access.OnRequest(probe, inner)) {
    if (refused->status >= 500) co_return std::move(*refused);  // store or Redis failure
    co_return Invalid(CodeOf(*refused));
  }
  // Counted in the tenant's usage, as any request made for it.
  ctx.tenant_slug = inner.tenant_slug;
  ctx.auth.tenant_id = inner.auth.tenant_id;
  if (MissingScope(inner.auth, required)) {
    deps_.failures.Count("insufficient_scope");
    co_return Invalid("insufficient_scope");
  }
  const control::Tenant& t = *inner.tenant;
  boost::json::array scopes;
  for (const std::string& s : inner.auth.all_scopes ? control::AllScopes() : inner.auth.scopes) {
    scopes.emplace_back(s);
  }
  boost::json::object out{
      {"valid", true},
      {"tenant",
       {{"id", t.id}, {"slug", t.slug}, {"plan", t.plan}, {"status", control::ToString(t.status)}}},
      {"key_id", inner.auth.key_id},
      {"type", inner.auth.all_scopes ? "secret" : "restricted"},
      {"scopes", std::move(scopes)},
      {"ratelimit",
       {{"limit", inner.rate_limit.limit},
        {"remaining", inner.rate_limit.remaining},
        {"reset", inner.rate_limit.reset_seconds}}}};
  co_return Response::Json(200, boost::json::serialize(out));
}

}  // namespace tenantd::forward_auth
