// The links in tenantd's emails (api.md §11 "Email").
#pragma once

#include <string>
#include <string_view>

namespace tenantd::outbox {

// "{base}/auth/{action}?token={token}", e.g.
// AuthLink("https://app.example", "verify", t) ->
// "https://app.example/auth/verify?token=…". `base` is
// TENANTD_AUTH_LINK_BASE (by default TENANTD_PUBLIC_URL; see
// config::AuthLinkBase); a trailing '/' is dropped. `action` is "verify",
// "reset" or "invite". The token is percent-encoded (tokens tenantd mints
// are URL-safe already, so this changes nothing for them).
std::string AuthLink(std::string_view base, std::string_view action, std::string_view token);

}  // namespace tenantd::outbox
