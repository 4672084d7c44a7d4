// The OpenAPI descriptions of the routes of api.md §11 (users/user_routes.cpp).
#pragma once

#include "http/route_doc.h"

namespace tenantd::users::docs {

http::RouteDoc SignUp();
http::RouteDoc SignIn();
http::RouteDoc SignOut();
http::RouteDoc VerifyEmail();
http::RouteDoc Recover();
http::RouteDoc ResetPassword();
http::RouteDoc ShowUser();
http::RouteDoc UpdateUser();
http::RouteDoc SwitchTenant();
http::RouteDoc CreateTenant();
http::RouteDoc ListSessions();
http::RouteDoc RevokeSession();
http::RouteDoc RevokeOtherSessions();

http::RouteDoc AcceptInvite();
http::RouteDoc CreateInvite();
http::RouteDoc ListInvites();
http::RouteDoc DeleteInvite();

http::RouteDoc ListMembers();
http::RouteDoc UpdateMember();
http::RouteDoc RemoveMember();
http::RouteDoc ListRoles();
http::RouteDoc CreateRole();
http::RouteDoc UpdateRole();
http::RouteDoc DeleteRole();

}  // namespace tenantd::users::docs
