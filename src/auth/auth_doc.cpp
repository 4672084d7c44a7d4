#include "auth/auth_doc.h"

#include "auth/require_scope.h"

namespace tenantd::auth {

std::vector<std::vector<http::SecuritySchemeDoc>> TenantSecurity() {
  const http::SecuritySchemeDoc session{"sessionCookie", R"({
    "type": "apiKey", "in": "cookie", "name": "sid",
    "description": "The signed session cookie a successful mode A or mode B request (or POST /v1/session) sets."})"};
  const http::SecuritySchemeDoc api_key{"apiKey", R"({
    "type": "http", "scheme": "bearer",
    "description": "An API key: `Authorization: Bearer sk_live_…` (also `sk_test_`, `rk_live_`, `rk_test_`)."})"};
  const http::SecuritySchemeDoc app_key{"appKey", R"({
    "type": "apiKey", "in": "header", "name": "X-App-Key",
    "description": "The tenant's app key (`ak_…`), with X-App-Secret (mode A) or a signature (mode B)."})"};
  const http::SecuritySchemeDoc app_secret{"appSecret", R"({
    "type": "apiKey", "in": "header", "name": "X-App-Secret",
    "description": "Mode A: the app secret itself."})"};
  const http::SecuritySchemeDoc signature{"appSignature", R"({
    "type": "apiKey", "in": "header", "name": "X-App-Signature",
    "description": "Mode B: lowercase hex HMAC-SHA256, keyed with the app secret, of `METHOD\nREQUEST_TARGET\nX-Date\nX-Content-Sha256[\nX-Nonce]`. Also send `X-Date` (IMF-fixdate, within 300 s), `X-Content-Sha256` (hex SHA-256 of the body) and optionally `X-Nonce`. See docs/api.md, Mode B."})"};
  return {{session}, {api_key}, {app_key, app_secret}, {app_key, signature}};
}

std::vector<http::ProblemDoc> TenantAuthProblems() {
  std::vector<http::ProblemDoc> out;
  for (const char* code :
       {"missing_credentials", "invalid_credentials", "invalid_signature", "request_expired",
        "content_hash_mismatch", "replayed_request", "key_revoked", "key_expired"}) {
    out.push_back({401, code});
  }
  out.push_back({403, "tenant_suspended"});
  out.push_back({403, "tenant_mismatch"});
  out.push_back({429, "rate_limited"});
  out.push_back({503, "session_store_unavailable"});
  out.push_back({503, "rate_limiter_unavailable"});
  return out;
}

void RequireScope::Describe(http::RouteDoc& doc) const {
  doc.scopes.push_back(scope_);
  doc.problems.push_back({403, "insufficient_scope"});
}

}  // namespace tenantd::auth
