// The platform administration routes of users (api.md §11) through the real
// binary: list with ?email= and the cursor, show with memberships, suspend
// (which ends the user's sessions) and reactivate; problem+json for unknown
// ids and bad input; no answer ever holds a password hash. There is no
// sign-up route yet: users are signed up in the server's control store from
// the test process (support/people.h).
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "support/people.h"
#include "support/problem.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

class AdminUsers : public SharedServerTest<AdminUsers> {
 protected:
  // A user of this suite's server, with a unique email and personal slug.
  static CreatedUser NewUser(std::string_view prefix = "user") {
    const std::string slug = UniqueSlug(prefix);
    return CreateUser(server().data_dir(), slug + "@Example.com", slug, "User " + slug);
  }

  // An admin request whose answer must not hold `hash`.
  static Response Admin(std::string_view method, std::string_view target, const std::string& hash,
                        std::string_view body = {}) {
    Response r = server().Admin(method, target, body);
    EXPECT_EQ(r.body.find(hash), std::string::npos) << "the password hash was answered";
    EXPECT_EQ(r.body.find("password"), std::string::npos) << r.body;
    return r;
  }
};

TEST_F(AdminUsers, AnswersNeedTheAdminToken) {
  for (const char* target : {"/admin/v1/users", "/admin/v1/users/usr_x"}) {
    EXPECT_TRUE(IsProblem(server().Request("GET", target), 401, "missing_credentials")) << target;
  }
  EXPECT_TRUE(IsProblem(
      server().Request("PATCH", "/admin/v1/users/usr_x", {{"Content-Type", "application/json"}},
                       R"({"status":"suspended"})"),
      401, "missing_credentials"));
}

TEST_F(AdminUsers, ShowAnswersTheUserAndTheirMemberships) {
  const CreatedUser u = NewUser("show");
  ASSERT_FALSE(u.id.empty());
  Response r = Admin("GET", "/admin/v1/users/" + u.id, u.password_hash);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value body = r.Json();
  const json::object& user = body.at("user").as_object();
  EXPECT_EQ(StringAt(body, "user.id"), u.id);
  EXPECT_EQ(StringAt(body, "user.email"), u.email);
  EXPECT_EQ(u.email.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string::npos)
      << "stored lower-cased";
  EXPECT_EQ(StringAt(body, "user.status"), "active");
  EXPECT_EQ(StringAt(body, "user.account_id"), u.account_id);
  EXPECT_EQ(StringAt(body, "user.personal_tenant_id"), u.personal_tenant_id);
  EXPECT_TRUE(user.at("email_verified_at").is_null());
  EXPECT_TRUE(user.at("last_sign_in_at").is_null());
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "user.created_at")));
  EXPECT_TRUE(IsRfc3339Millis(StringAt(body, "user.updated_at")));
  EXPECT_EQ(user.size(), 10u) << json::serialize(user);

  const json::array& memberships = body.at("memberships").as_array();
  ASSERT_EQ(memberships.size(), 1u);
  EXPECT_EQ(StringAt(memberships[0], "tenant_id"), u.personal_tenant_id);
  EXPECT_EQ(StringAt(memberships[0], "kind"), "personal");
  EXPECT_EQ(StringAt(memberships[0], "role"), "owner");
  EXPECT_FALSE(StringAt(memberships[0], "slug").empty());
  EXPECT_FALSE(StringAt(memberships[0], "name").empty());

  // The personal tenant is an admin API tenant like any other.
  Response tenant = server().Admin("GET", "/admin/v1/tenants/" + u.personal_tenant_id);
  EXPECT_EQ(tenant.status, 200) << tenant.Describe();
}

TEST_F(AdminUsers, UnknownUserIsNotFound) {
  for (const char* id : {"usr_01JZZZZZZZZZZZZZZZZZZZZZZZ", "nobody", "ten_x"}) {
    EXPECT_TRUE(
        IsProblem(server().Admin("GET", std::string("/admin/v1/users/") + id), 404, "not_found"))
        << id;
    EXPECT_TRUE(IsProblem(
        server().Admin("PATCH", std::string("/admin/v1/users/") + id, R"({"status":"suspended"})"),
        404, "not_found"))
        << id;
  }
}

TEST_F(AdminUsers, ListPagesWithTheCursorAndFiltersByEmail) {
  std::vector<CreatedUser> made;
  for (int i = 0; i < 3; ++i) made.push_back(NewUser("list"));
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    std::string target = "/admin/v1/users?limit=2";
    if (!after.empty()) target += "&after=" + after;
    Response r = Admin("GET", target, made[0].password_hash);
    ASSERT_EQ(r.status, 200) << r.Describe();
    const json::value body = r.Json();
    const json::array& data = body.at("data").as_array();
    ASSERT_LE(data.size(), 2u);
    for (const json::value& u : data) seen.push_back(StringAt(u, "id"));
    if (body.at("next_cursor").is_null()) break;
    after = std::string(body.at("next_cursor").as_string());
  }
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  for (const CreatedUser& u : made) {
    EXPECT_EQ(std::count(seen.begin(), seen.end(), u.id), 1) << u.id;
  }

  // ?email= is exact and ignores case.
  std::string upper = made[1].email;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Response one = Admin("GET", "/admin/v1/users?email=" + upper, made[1].password_hash);
  ASSERT_EQ(one.status, 200) << one.Describe();
  const json::value body = one.Json();
  ASSERT_EQ(body.at("data").as_array().size(), 1u) << one.body;
  EXPECT_EQ(StringAt(body, "data.0.id"), made[1].id);
  EXPECT_TRUE(body.at("next_cursor").is_null());
  Response none = server().Admin("GET", "/admin/v1/users?email=nobody%40example.com");
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(none.Json().at("data").as_array().empty());
}

TEST_F(AdminUsers, BadListParametersAreBadRequest) {
  for (const char* query : {"limit=0", "limit=501", "limit=x", "after=ten_01", "after=nope"}) {
    EXPECT_TRUE(IsProblem(server().Admin("GET", std::string("/admin/v1/users?") + query), 400,
                          "bad_request"))
        << query;
  }
}

TEST_F(AdminUsers, SuspendEndsEverySessionAndActivateRestores) {
  const CreatedUser u = NewUser("suspend");
  const CreatedUser bystander = NewUser("bystander");
  AddUserSession(server().data_dir(), u.id, u.personal_tenant_id, "ses_" + u.id + "a");
  AddUserSession(server().data_dir(), u.id, u.personal_tenant_id, "ses_" + u.id + "b");
  AddUserSession(server().data_dir(), bystander.id, bystander.personal_tenant_id,
                 "ses_" + bystander.id);
  ASSERT_EQ(CountUserSessions(server().data_dir(), u.id), 2);

  Response s =
      Admin("PATCH", "/admin/v1/users/" + u.id, u.password_hash, R"({"status":"suspended"})");
  ASSERT_EQ(s.status, 200) << s.Describe();
  EXPECT_EQ(StringAt(s.Json(), "user.status"), "suspended");
  EXPECT_EQ(StringAt(s.Json(), "user.id"), u.id);
  EXPECT_EQ(CountUserSessions(server().data_dir(), u.id), 0);
  EXPECT_EQ(CountUserSessions(server().data_dir(), bystander.id), 1) << "only that user's";
  EXPECT_EQ(StringAt(server().Admin("GET", "/admin/v1/users/" + u.id).Json(), "user.status"),
            "suspended");

  Response a = Admin("PATCH", "/admin/v1/users/" + u.id, u.password_hash, R"({"status":"active"})");
  ASSERT_EQ(a.status, 200) << a.Describe();
  EXPECT_EQ(StringAt(a.Json(), "user.status"), "active");
  // An empty patch changes nothing and answers the user.
  Response e = Admin("PATCH", "/admin/v1/users/" + u.id, u.password_hash, "{}");
  ASSERT_EQ(e.status, 200) << e.Describe();
  EXPECT_EQ(StringAt(e.Json(), "user.status"), "active");
}

TEST_F(AdminUsers, BadPatchesAreProblems) {
  const CreatedUser u = NewUser("patch");
  const std::string target = "/admin/v1/users/" + u.id;
  for (const char* body : {R"({"status":"deleted"})", R"({"status":"Suspended"})",
                           R"({"status":1})", R"({"name":"X"})"}) {
    Response r = Admin("PATCH", target, u.password_hash, body);
    EXPECT_TRUE(IsProblem(r, 422, "validation_failed")) << body;
  }
  EXPECT_EQ(ErrorFields(server().Admin("PATCH", target, R"({"status":"gone"})")),
            std::vector<std::string>{"status"});
  EXPECT_TRUE(IsProblem(server().Admin("PATCH", target, "{"), 400, "invalid_json"));
  EXPECT_TRUE(IsProblem(server().Request("PATCH", target,
                                         {{"Authorization", "Bearer " + server().admin_token()},
                                          {"Content-Type", "text/plain"}},
                                         R"({"status":"suspended"})"),
                        415, "unsupported_media_type"));
  EXPECT_EQ(StringAt(server().Admin("GET", target).Json(), "user.status"), "active")
      << "nothing was changed";
}

}  // namespace
}  // namespace tenantd::test
