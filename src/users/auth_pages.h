// The small pages email links open (api.md §11 "Email"):
// /auth/verify?token=…, /auth/reset?token=… and /auth/invite?token=…
// complete the action through the API from the browser. One script
// (/auth/assets/auth-pages.js) serves all three, so the pages hold under a
// Content-Security-Policy without inline script; they send no Referer
// (the token is in the URL) and are never cached. An application with its
// own pages points the links there instead (TENANTD_AUTH_LINK_BASE).
#pragma once

#include "http/router.h"

namespace tenantd::users {

void RegisterAuthPages(http::Router& router);

}  // namespace tenantd::users
