#include "access/tenant_access.h"

#include <variant>

#include "auth/auth_doc.h"
#include "auth/authenticator.h"
#include "auth/failure_counters.h"
#include "control/control_store.h"
#include "http/problem.h"
#include "ratelimit/tenant_limits.h"
#include "session/session_binder.h"

namespace tenantd::access {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

// 429 of the failed-authentication throttle (api.md §7).
Response ThrottledResponse(const ratelimit::Decision& d, std::string_view request_id) {
  return ratelimit::RateLimitedResponse(
      d,
      "Too many failed authentications from this address or for this key; retry after the time "
      "in Retry-After.",
      request_id);
}

}  // namespace

// A request's failed-authentication keys (it presents credentials).
struct TenantAccess::Gate {
  ratelimit::FailedAuthKeys keys;
};

TenantAccess::TenantAccess(const auth::Authenticator& authenticator,
                           const session::SessionBinder& sessions,
                           auth::AuthFailureCounters& failures, ratelimit::TenantLimits* limits,
                           const base::Clock& clock)
    : authenticator_(authenticator),
      sessions_(sessions),
      failures_(failures),
      limits_(limits),
      clock_(clock) {}

awaitable<std::optional<Response>> TenantAccess::OnRequest(Request& req,
                                                           RequestContext& ctx) const {
  if (!limits_) co_return co_await Run(req, ctx, nullptr);
  const auto now = clock_.Steady();
  // 1. The gate (§7): once a failed-authentication count is reached,
  // requests carrying credentials from that IP or for that key answer 429
  // before any secret is looked at, so a guesser learns nothing and costs
  // next to nothing.
  std::optional<Gate> gate;
  if (const std::optional<std::string> key = auth::PresentedKey(req)) {
    gate = Gate{ratelimit::TenantLimits::ForCredentials(req.remote_ip, *key)};
    const base::Result<ratelimit::Verdict> throttled =
        co_await limits_->CheckFailedAuth(gate->keys, now);
    if (!throttled) {
      Response res = http::ErrorResponse(throttled.error(), ctx.request_id);
      const ratelimit::Decision budget = co_await limits_->FailedAuthBudget(req.remote_ip, now);
      ratelimit::AddRateLimitHeaders(budget, res.headers);
      co_return res;
    }
    if (!throttled->decision.allowed) {
      co_return ThrottledResponse(throttled->decision, ctx.request_id);
    }
  }

  std::optional<Response> res = co_await Run(req, ctx, gate ? &*gate : nullptr);
  if (!res) co_return std::nullopt;
  // Refused by §4 (or a store failure). A 401 to a request presenting
  // credentials is a failed verification and counts (missing_credentials
  // only answers requests that present none); 403s of a proven tenant
  // (suspended, mismatch) do not. Before the tenant limits applied, the
  // answer reports the client IP's failed-authentication budget; a 429 of
  // the tenant limits came with its own headers.
  if (res->status == 401 && gate) co_await limits_->CountFailedAuth(gate->keys, now);
  if (!ctx.rate_limit.limit) {
    const ratelimit::Decision budget = co_await limits_->FailedAuthBudget(req.remote_ip, now);
    ratelimit::AddRateLimitHeaders(budget, res->headers);
  } else if (res->status != 429) {
    ratelimit::AddRateLimitHeaders(ctx.rate_limit, res->headers);
  }
  co_return res;
}

awaitable<std::optional<Response>> TenantAccess::Run(Request& req, RequestContext& ctx,
                                                     const Gate* gate) const {
  // 2. Authenticate.
  base::Result<auth::Authentication> authenticated = co_await authenticator_.Authenticate(req);
  if (!authenticated) co_return http::ErrorResponse(authenticated.error(), ctx.request_id);
  if (const auto* refusal = std::get_if<auth::Refusal>(&*authenticated)) {
    failures_.Count(refusal->code);
    co_return auth::RefusalResponse(*refusal, ctx.request_id);
  }
  auth::Identity& identity = std::get<auth::Identity>(*authenticated);
  const control::Tenant& tenant = *identity.tenant;
  ctx.tenant_slug = tenant.slug;
  http::AuthFacts& facts = ctx.auth;
  facts.tenant_id = tenant.id;
  facts.mode = std::move(identity.mode);
  facts.key_id = std::move(identity.key_id);
  facts.all_scopes = identity.all_scopes;
  facts.scopes = std::move(identity.scopes);
  facts.secret_id = std::move(identity.secret_id);
  facts.user_id = std::move(identity.user_id);
  facts.role = std::move(identity.role);
  ctx.tenant = identity.tenant;

  // 3. Admit: the plan, credential and route-group limits, all or nothing;
  // before any session is started, so a refused request leaves nothing behind.
  if (limits_) {
    const std::string credential = !facts.key_id.empty()    ? "api_key:" + facts.key_id
                                   : !facts.user_id.empty() ? "user:" + facts.user_id
                                                            : "app:" + facts.tenant_id;
    const base::Result<ratelimit::Admission> admitted =
        co_await limits_->Admit(tenant.plan, facts.tenant_id, credential, req,
                                gate ? &gate->keys : nullptr, clock_.Steady());
    if (!admitted) co_return http::ErrorResponse(admitted.error(), ctx.request_id);
    const ratelimit::Decision& d = admitted->verdict.decision;
    ctx.rate_limit = ratelimit::FactsOf(d);
    if (admitted->throttled) {
      // A failed-authentication count another process reached: refused as
      // if checked before the secret (the answer does not depend on it).
      co_return ThrottledResponse(d, ctx.request_id);
    }
    if (!d.allowed) {
      co_return ratelimit::RateLimitedResponse(
          d,
          "The tenant's plan or this credential allows no more requests for now; retry after "
          "the time in Retry-After.",
          ctx.request_id);
    }
  }

  // 4. Bind the session.
  const base::Status bound = co_await sessions_.Bind(req, ctx, identity.session);
  if (!bound) co_return http::ErrorResponse(bound.error(), ctx.request_id);
  co_return std::nullopt;
}

awaitable<std::optional<Response>> TenantAccess::Admit(const Request& req, RequestContext& ctx,
                                                       const control::Tenant& tenant,
                                                       std::string_view credential) const {
  if (!limits_) co_return std::nullopt;
  const base::Result<ratelimit::Admission> admitted =
      co_await limits_->Admit(tenant.plan, tenant.id, credential, req, nullptr, clock_.Steady());
  if (!admitted) co_return http::ErrorResponse(admitted.error(), ctx.request_id);
  const ratelimit::Decision& d = admitted->verdict.decision;
  ctx.rate_limit = ratelimit::FactsOf(d);
  if (!d.allowed) {
    co_return ratelimit::RateLimitedResponse(
        d,
        "The tenant's plan allows no more requests for now; retry after the time in Retry-After.",
        ctx.request_id);
  }
  co_return std::nullopt;
}

void TenantAccess::OnResponse(const RequestContext& ctx, Response& res) const {
  if (ctx.rate_limit.limit) ratelimit::AddRateLimitHeaders(ctx.rate_limit, res.headers);
  session::SessionBinder::AddCookie(ctx, res);
}

void TenantAccess::Describe(http::RouteDoc& doc) const {
  doc.security = auth::TenantSecurity();
  for (http::ProblemDoc& p : auth::TenantAuthProblems()) doc.problems.push_back(std::move(p));
}

}  // namespace tenantd::access
