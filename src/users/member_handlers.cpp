#include "users/member_handlers.h"

#include <boost/json.hpp>

#include "auth/directory.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "users/user_json.h"

namespace tenantd::users {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

namespace {

// The member's current role, or nullopt when not a member: one indexed
// read, served from the directory's cache once warm.
awaitable<base::Result<std::optional<std::string>>> RoleOf(const UserServices& s,
                                                           std::string_view tenant_id,
                                                           std::string_view user_id) {
  TENANTD_CO_TRY(std::shared_ptr<const control::UserAccess> access,
                 co_await s.directory.UserAccess(user_id, tenant_id));
  if (!access) co_return std::optional<std::string>();
  co_return std::optional<std::string>(access->role);
}

base::Error NoSuchMember() { return base::NotFound("No such member of this tenant."); }

void ReadBool(const boost::json::object& body, std::string_view field, std::optional<bool>& out,
              std::vector<base::FieldError>& errors) {
  const auto it = body.find(field);
  if (it == body.end()) return;
  if (!it->value().is_bool()) {
    errors.push_back({std::string(field), "Must be true or false."});
    return;
  }
  out = it->value().as_bool();
}

// A "scopes" member: an array of strings; nullopt when absent.
void ReadScopes(const boost::json::object& body, std::optional<std::vector<std::string>>& out,
                std::vector<base::FieldError>& errors) {
  const auto it = body.find("scopes");
  if (it == body.end()) return;
  if (!it->value().is_array()) {
    errors.push_back({"scopes", "Must be an array of scopes such as \"products:read\"."});
    return;
  }
  std::vector<std::string> scopes;
  for (const boost::json::value& v : it->value().as_array()) {
    if (!v.is_string()) {
      errors.push_back({"scopes", "Must be an array of scopes such as \"products:read\"."});
      return;
    }
    scopes.emplace_back(v.as_string());
  }
  out = std::move(scopes);
}

}  // namespace

bool ActsAsOwner(const http::AuthFacts& auth) {
  return auth.user_id.empty() ? auth.all_scopes : auth.role == "owner";
}

base::Error OwnerRequired() {
  return base::MakeError(base::ErrorCode::kPermissionDenied, "owner_required",
                         "Only an owner can make, invite or remove an owner.");
}

awaitable<Response> ListMembers(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<std::vector<control::Member>> members =
      co_await s.people.Members(ctx.auth.tenant_id);
  if (!members) co_return http::ErrorResponse(members.error(), ctx.request_id);
  boost::json::array data;
  for (const control::Member& m : *members) data.push_back(MemberJson(m));
  co_return Json(200, boost::json::object{{"data", std::move(data)}});
}

awaitable<Response> UpdateMember(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors =
      http::UnknownFields(*body, {"role", "is_primary_contact", "is_billing_contact"});
  control::MemberPatch patch;
  http::ReadString(*body, "role", patch.role, errors);
  ReadBool(*body, "is_primary_contact", patch.is_primary_contact, errors);
  ReadBool(*body, "is_billing_contact", patch.is_billing_contact, errors);
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  const std::string user_id(req.PathParam("user_id"));
  base::Result<std::optional<std::string>> current =
      co_await RoleOf(s, ctx.auth.tenant_id, user_id);
  if (!current) co_return http::ErrorResponse(current.error(), ctx.request_id);
  if (!*current) co_return http::ErrorResponse(NoSuchMember(), ctx.request_id);
  const bool touches_owner =
      patch.role && (**current == "owner" || *patch.role == "owner") && *patch.role != **current;
  if (touches_owner && !ActsAsOwner(ctx.auth)) {
    co_return http::ErrorResponse(OwnerRequired(), ctx.request_id);
  }
  base::Result<control::Member> updated =
      co_await s.people.UpdateMember(ctx.auth.tenant_id, user_id, patch);
  if (!updated) co_return http::ErrorResponse(updated.error(), ctx.request_id);
  co_return Json(200, boost::json::object{{"member", MemberJson(*updated)}});
}

awaitable<Response> RemoveMember(const UserServices& s, Request& req, RequestContext& ctx) {
  const std::string user_id(req.PathParam("user_id"));
  base::Result<std::optional<std::string>> current =
      co_await RoleOf(s, ctx.auth.tenant_id, user_id);
  if (!current) co_return http::ErrorResponse(current.error(), ctx.request_id);
  if (!*current) co_return http::ErrorResponse(NoSuchMember(), ctx.request_id);
  if (**current == "owner" && !ActsAsOwner(ctx.auth)) {
    co_return http::ErrorResponse(OwnerRequired(), ctx.request_id);
  }
  // The member's sessions of this tenant end with the membership: the next
  // request finds no access (the directory drops it on every node).
  const base::Status removed = co_await s.people.RemoveMember(ctx.auth.tenant_id, user_id);
  if (!removed) co_return http::ErrorResponse(removed.error(), ctx.request_id);
  co_return Response::NoContent();
}

awaitable<Response> ListRoles(const UserServices& s, Request&, RequestContext& ctx) {
  base::Result<std::vector<control::Role>> roles = co_await s.people.Roles(ctx.auth.tenant_id);
  if (!roles) co_return http::ErrorResponse(roles.error(), ctx.request_id);
  boost::json::array data;
  for (const control::Role& r : *roles) data.push_back(RoleJson(r));
  co_return Json(200, boost::json::object{{"data", std::move(data)}});
}

awaitable<Response> CreateRole(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors = http::UnknownFields(*body, {"name", "scopes"});
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> scopes;
  http::ReadString(*body, "name", name, errors);
  ReadScopes(*body, scopes, errors);
  if (!name) errors.push_back({"name", "A name is required."});
  if (!scopes) errors.push_back({"scopes", "The role's scopes are required."});
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  base::Result<control::Role> role =
      co_await s.people.CreateRole(ctx.auth.tenant_id, *name, *scopes);
  if (!role) co_return http::ErrorResponse(role.error(), ctx.request_id);
  co_return Json(201, boost::json::object{{"role", RoleJson(*role)}});
}

awaitable<Response> UpdateRole(const UserServices& s, Request& req, RequestContext& ctx) {
  base::Result<boost::json::object> body = http::ParseJsonObject(req);
  if (!body) co_return http::ErrorResponse(body.error(), ctx.request_id);
  std::vector<base::FieldError> errors = http::UnknownFields(*body, {"name", "scopes"});
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> scopes;
  http::ReadString(*body, "name", name, errors);
  ReadScopes(*body, scopes, errors);
  if (!errors.empty()) {
    co_return http::ErrorResponse(base::ValidationFailed(std::move(errors)), ctx.request_id);
  }
  const std::string id(req.PathParam("id"));
  base::Result<control::Role> role =
      co_await s.people.UpdateRole(ctx.auth.tenant_id, id, name, scopes);
  if (!role) co_return http::ErrorResponse(role.error(), ctx.request_id);
  co_return Json(200, boost::json::object{{"role", RoleJson(*role)}});
}

awaitable<Response> DeleteRole(const UserServices& s, Request& req, RequestContext& ctx) {
  const std::string id(req.PathParam("id"));
  const base::Status deleted = co_await s.people.DeleteRole(ctx.auth.tenant_id, id);
  if (!deleted) co_return http::ErrorResponse(deleted.error(), ctx.request_id);
  co_return Response::NoContent();
}

}  // namespace tenantd::users
