// The tenant's people (api.md §11), as tenant routes behind the access
// stage and a members:read / members:write scope: members and their roles,
// and custom roles. Whoever holds the scope may act — a user with the
// role, or an API key — but only an owner (or a key with every scope)
// makes or unmakes an owner.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/stage.h"
#include "users/services.h"

namespace tenantd::users {

// Owners are made and unmade by owners: an admin holds members:write but
// must not be able to take the tenant over, nor lock its owner out. A
// credential that is no user acts as owner when it holds every scope.
bool ActsAsOwner(const http::AuthFacts& auth);
base::Error OwnerRequired();  // 403 owner_required

boost::asio::awaitable<http::Response> ListMembers(const UserServices& s, http::Request& req,
                                                   http::RequestContext& ctx);
boost::asio::awaitable<http::Response> UpdateMember(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> RemoveMember(const UserServices& s, http::Request& req,
                                                    http::RequestContext& ctx);
boost::asio::awaitable<http::Response> ListRoles(const UserServices& s, http::Request& req,
                                                 http::RequestContext& ctx);
boost::asio::awaitable<http::Response> CreateRole(const UserServices& s, http::Request& req,
                                                  http::RequestContext& ctx);
boost::asio::awaitable<http::Response> UpdateRole(const UserServices& s, http::Request& req,
                                                  http::RequestContext& ctx);
boost::asio::awaitable<http::Response> DeleteRole(const UserServices& s, http::Request& req,
                                                  http::RequestContext& ctx);

}  // namespace tenantd::users
