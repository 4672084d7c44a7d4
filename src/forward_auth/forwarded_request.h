// What /auth/v1/check (api.md §19) is asked about. A proxy sends the
// original request's credentials as they came, and its method and target
// in its own way: nginx auth_request as X-Original-Method / X-Original-URI,
// Traefik ForwardAuth as X-Forwarded-Method / X-Forwarded-Uri, Envoy
// ext_authz (HTTP) as its own method with the original path appended to
// the check path. These are pure functions of the check request, so the
// unit tests cover every proxy's shape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "http/message.h"
#include "http/stage.h"

namespace tenantd::control {
struct Tenant;
}

namespace tenantd::forward_auth {

// The check route, and its Envoy form with the original path appended.
inline constexpr std::string_view kCheckPath = "/auth/v1/check";
inline constexpr std::string_view kCheckSuffixPattern = "/auth/v1/check/{original...}";

// The original request as the authentication stage is to judge it: its
// method and target (Envoy's appended path wins, as the proxy built it; then
// nginx's pair; then Traefik's), Host from X-Forwarded-Host when sent, every
// header of the check (the credentials among them), the client address of
// the check, TLS when X-Forwarded-Proto is https, and no body
// (body_elsewhere). 400 `invalid_original_request` when none of the shapes
// is there or the method or target is malformed.
base::Result<http::Request> OriginalRequest(const http::Request& check);

// The scopes the proxy's location requires: every X-Required-Scope header
// value (separated by spaces or commas) and, on the plain check path,
// every ?scope= value. Each must be `<resource>:<read|write>`, else 400
// `invalid_required_scope`. At most 16.
base::Result<std::vector<std::string>> RequiredScopes(const http::Request& check);

// `<resource>:<read|write>`, the resource of lower-case letters, digits,
// '_' and '-' (scopes of the upstream's own resources may be required).
bool IsScopeName(std::string_view scope);

// The identity a 200 carries for the upstream (api.md §19): X-Tenant-Id,
// X-Tenant-Slug, X-Tenant-Plan, X-Auth-Mode, X-Auth-Key-Id (API keys and
// sessions started by one), X-Scopes (space-separated, every scope spelled
// out for full access). Each value is checked to be printable ASCII, so
// nothing a tenant or client chose can end a header line: a value that is
// not is an internal error, never a header.
base::Status AddIdentityHeaders(const control::Tenant& tenant, const http::AuthFacts& auth,
                                http::Headers& out);

}  // namespace tenantd::forward_auth
