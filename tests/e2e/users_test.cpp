// Users through the real binary (api.md §11): sign-up with a personal
// tenant, sign-in, the user session on /v1/ routes with the role's scopes,
// switching tenant, password change, sessions, sign-out, members and roles.
// Runs on both control stores (the .postgres copies).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/mail_files.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

constexpr std::string_view kPassword = "correct horse battery";

std::string UniqueEmail(std::string_view prefix = "user") {
  return UniqueSlug(prefix) + "@Example.COM";  // mixed case: emails compare lower-cased
}

// The "sid=…" part of the answer's Set-Cookie ("" when none).
std::string SessionCookie(const Response& r) {
  const std::string set = r.Header("Set-Cookie");
  return set.substr(0, set.find(';'));
}

struct SignedUp {
  std::string cookie, user_id, tenant_id, email;
};

class Users : public SharedServerTest<Users> {
 public:
  static ServerOptions Options() { return {.env = {{"TENANTD_SIGNIN_FAILURES_PER_EMAIL", "3"}}}; }

 protected:
  static Response Call(std::string_view method, std::string_view target, std::string_view body,
                       const std::string& cookie = "", Headers extra = {}) {
    Headers h = std::move(extra);
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    if (!cookie.empty()) h.push_back({"Cookie", cookie});
    return server().Request(method, target, h, body);
  }

  static SignedUp MustSignUp(const std::string& email, std::string_view name = "Ada") {
    const Response r = Call(
        "POST", "/auth/v1/signup",
        json::serialize(json::object{{"email", email}, {"password", kPassword}, {"name", name}}));
    if (r.status != 201) throw std::runtime_error("sign-up: " + r.Describe());
    const json::value body = r.Json();
    return {SessionCookie(r), StringAt(body, "user.id"), StringAt(body, "tenant.id"),
            StringAt(body, "user.email")};
  }

  static Response SignIn(const std::string& email, std::string_view password,
                         std::string_view tenant = "") {
    json::object body{{"email", email}, {"password", password}};
    if (!tenant.empty()) body["tenant"] = tenant;
    return Call("POST", "/auth/v1/signin", json::serialize(body));
  }

  static Response WhoAmI(const std::string& cookie, Headers extra = {}) {
    return Call("GET", "/v1/whoami", "", cookie, std::move(extra));
  }

  // A new org tenant owned by the signed-in user (not switched to).
  static std::string MustCreateOrg(const std::string& cookie) {
    const std::string slug = UniqueSlug("org");
    const Response r =
        Call("POST", "/auth/v1/tenants",
             json::serialize(json::object{{"slug", slug}, {"name", "Acme"}}), cookie);
    if (r.status != 201) throw std::runtime_error("create org: " + r.Describe());
    return StringAt(r.Json(), "tenant.id");
  }
};

TEST_F(Users, SignUpMakesAUserWithAPersonalTenantAndSignsIn) {
  const std::string email = UniqueEmail("ada");
  const Response r = Call(
      "POST", "/auth/v1/signup",
      json::serialize(json::object{{"email", email}, {"password", kPassword}, {"name", "Ada"}}));
  ASSERT_EQ(r.status, 201) << r.Describe();
  const json::value body = r.Json();
  EXPECT_TRUE(StringAt(body, "user.id").starts_with("usr_"));
  std::string lower = email;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(StringAt(body, "user.email"), lower);
  EXPECT_EQ(StringAt(body, "tenant.kind"), "personal");
  EXPECT_EQ(StringAt(body, "tenant.role"), "owner");
  EXPECT_FALSE(body.as_object().at("user").as_object().contains("password_hash"));
  EXPECT_EQ(r.body.find("argon2"), std::string::npos) << "no hash in the answer";
  const std::string set_cookie = r.Header("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("Max-Age=2592000"), std::string::npos) << "30 days: " << set_cookie;

  const Response who = WhoAmI(SessionCookie(r));
  ASSERT_EQ(who.status, 200) << who.Describe();
  const json::value w = who.Json();
  EXPECT_EQ(StringAt(w, "auth.mode"), "user");
  EXPECT_EQ(StringAt(w, "auth.user_id"), StringAt(body, "user.id"));
  EXPECT_EQ(StringAt(w, "auth.role"), "owner");
  EXPECT_EQ(StringAt(w, "tenant.id"), StringAt(body, "tenant.id"));

  // The personal tenant's data is the owner's: products can be written.
  const Response created = Call(
      "POST", "/v1/products", R"({"sku":"P-1","name":"Pen","price_cents":100})", SessionCookie(r));
  EXPECT_EQ(created.status, 201) << created.Describe();
}

TEST_F(Users, SignUpRefusesBadInputWithTheFieldsAtFault) {
  Response r = Call("POST", "/auth/v1/signup",
                    R"({"email":"not-an-address","password":"short","nmae":"x"})");
  ASSERT_TRUE(IsProblem(r, 422, "validation_failed"));
  const std::vector<std::string> fields = ErrorFields(r);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "email"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "password"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "nmae"), fields.end());
  EXPECT_TRUE(IsProblem(Call("POST", "/auth/v1/signup", "{"), 400, "invalid_json"));
  const std::string huge(1025, 'x');
  r = Call("POST", "/auth/v1/signup",
           json::serialize(json::object{{"email", UniqueEmail()}, {"password", huge}}));
  EXPECT_TRUE(IsProblem(r, 422, "validation_failed"));
}

TEST_F(Users, ADuplicateSignUpLooksTheSameButCreatesNothing) {
  const std::string email = UniqueEmail("dup");
  const SignedUp first = MustSignUp(email);
  const Response again =
      Call("POST", "/auth/v1/signup",
           json::serialize(
               json::object{{"email", email}, {"password", "another password"}, {"name", "Eve"}}));
  ASSERT_EQ(again.status, 201) << again.Describe();
  const json::value body = again.Json();
  EXPECT_TRUE(StringAt(body, "user.id").starts_with("usr_"));
  EXPECT_NE(StringAt(body, "user.id"), first.user_id);
  EXPECT_EQ(StringAt(body, "tenant.kind"), "personal");
  const std::string decoy = SessionCookie(again);
  ASSERT_FALSE(decoy.empty()) << "a cookie like a real sign-up's";
  EXPECT_EQ(WhoAmI(decoy).status, 401) << "the decoy cookie serves nothing";
  EXPECT_TRUE(IsProblem(Call("GET", "/auth/v1/user", "", decoy), 401, "not_signed_in"));
  // The account is untouched: the first password still signs in, the second does not.
  EXPECT_EQ(SignIn(email, kPassword).status, 200);
  EXPECT_TRUE(IsProblem(SignIn(email, "another password"), 401, "invalid_credentials"));
}

TEST_F(Users, AWrongPasswordAndAnUnknownEmailGetTheSameAnswer) {
  const SignedUp u = MustSignUp(UniqueEmail("same"));
  const Response wrong = SignIn(u.email, "wrong password!");
  const Response unknown = SignIn(UniqueEmail("nobody"), "wrong password!");
  ASSERT_TRUE(IsProblem(wrong, 401, "invalid_credentials"));
  ASSERT_TRUE(IsProblem(unknown, 401, "invalid_credentials"));
  json::object a = wrong.Json().as_object(), b = unknown.Json().as_object();
  a.erase("request_id");
  b.erase("request_id");
  EXPECT_EQ(json::serialize(a), json::serialize(b));
  EXPECT_FALSE(wrong.HasHeader("Set-Cookie"));
}

TEST_F(Users, FailedSignInsAreThrottledPerEmail) {
  const SignedUp u = MustSignUp(UniqueEmail("throttle"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(IsProblem(SignIn(u.email, "wrong password!"), 401, "invalid_credentials"));
  }
  // The limit (3 here) is reached: even the right password waits.
  const Response throttled = SignIn(u.email, kPassword);
  EXPECT_TRUE(IsProblem(throttled, 429, "rate_limited"));
  EXPECT_TRUE(throttled.HasHeader("Retry-After"));
  // Another email is not held back by this one's failures.
  const SignedUp other = MustSignUp(UniqueEmail("other"));
  EXPECT_EQ(SignIn(other.email, kPassword).status, 200);
}

TEST(UsersLimit, TheUserRoutesAreLimitedPerClientIp) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_USER_AUTH_REQUESTS_PER_IP", "3"}}}));
  const Headers json = {{"Content-Type", "application/json"}};
  const std::string body = R"({"email":"nobody@example.com","password":"wrong password"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(IsProblem(server.Request("POST", "/auth/v1/signin", json, body), 401,
                          "invalid_credentials"));
  }
  const Response limited =
      server.Request("POST", "/auth/v1/signup", json,
                     R"({"email":"new@example.com","password":"correct horse battery"})");
  EXPECT_TRUE(IsProblem(limited, 429, "rate_limited"));
  EXPECT_TRUE(limited.HasHeader("Retry-After"));
  // Signed-in routes and tenant routes are not counted here.
  EXPECT_TRUE(IsProblem(server.Request("GET", "/auth/v1/user"), 401, "not_signed_in"));
}

TEST_F(Users, SignInAnswersTheUserTenantRoleAndMemberships) {
  const SignedUp u = MustSignUp(UniqueEmail("signin"));
  const Response r = SignIn(u.email, kPassword);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value body = r.Json();
  EXPECT_EQ(StringAt(body, "user.id"), u.user_id);
  EXPECT_EQ(StringAt(body, "tenant.id"), u.tenant_id);
  EXPECT_EQ(StringAt(body, "role"), "owner");
  ASSERT_EQ(body.at("memberships").as_array().size(), 1u);
  EXPECT_FALSE(StringAt(body, "user.last_sign_in_at").empty());
  const std::string cookie = SessionCookie(r);
  EXPECT_NE(cookie, u.cookie) << "every sign-in is a new session id";
  EXPECT_EQ(WhoAmI(cookie).status, 200);
  // Naming a tenant the user is not in.
  const SignedUp stranger = MustSignUp(UniqueEmail("stranger"));
  EXPECT_TRUE(IsProblem(SignIn(u.email, kPassword, stranger.tenant_id), 403, "not_a_member"));
  EXPECT_TRUE(IsProblem(SignIn(u.email, kPassword, "no-such-tenant"), 403, "not_a_member"));
}

TEST_F(Users, SwitchingTenantIssuesANewSessionAndEndsTheOld) {
  const SignedUp u = MustSignUp(UniqueEmail("switch"));
  const std::string org = MustCreateOrg(u.cookie);
  EXPECT_EQ(StringAt(WhoAmI(u.cookie).Json(), "tenant.id"), u.tenant_id)
      << "creating is not switching";
  const Response r =
      Call("POST", "/auth/v1/switch", json::serialize(json::object{{"tenant", org}}), u.cookie);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "role"), "owner");
  const std::string cookie = SessionCookie(r);
  ASSERT_FALSE(cookie.empty());
  EXPECT_EQ(WhoAmI(u.cookie).status, 401) << "the old session id ended";
  const Response who = WhoAmI(cookie);
  ASSERT_EQ(who.status, 200);
  EXPECT_EQ(StringAt(who.Json(), "tenant.id"), org);
  // The next sign-in without a tenant lands on the last one used.
  EXPECT_EQ(StringAt(SignIn(u.email, kPassword).Json(), "tenant.id"), org);
  // Another user's tenant, or none.
  const SignedUp other = MustSignUp(UniqueEmail("switch2"));
  EXPECT_TRUE(IsProblem(Call("POST", "/auth/v1/switch",
                             json::serialize(json::object{{"tenant", other.tenant_id}}), cookie),
                        403, "not_a_member"));
  // A user session names its tenant: another one's id in X-Tenant-ID is a mismatch.
  EXPECT_TRUE(
      IsProblem(WhoAmI(cookie, {{"X-Tenant-ID", other.tenant_id}}), 403, "tenant_mismatch"));
}

TEST_F(Users, AuthRoutesNeedASignedInUser) {
  EXPECT_TRUE(IsProblem(Call("GET", "/auth/v1/user", ""), 401, "not_signed_in"));
  EXPECT_TRUE(
      IsProblem(Call("GET", "/auth/v1/sessions", "", "sid=forged.cookie"), 401, "not_signed_in"));
  // An app session's cookie is not a user's.
  const std::string slug = UniqueSlug("app");
  const Response created = server().CreateTenant(slug);
  ASSERT_EQ(created.status, 201);
  const json::value t = created.Json();
  const Response app = server().Request("GET", "/v1/whoami",
                                        {{"X-App-Key", StringAt(t, "credentials.app_key")},
                                         {"X-App-Secret", StringAt(t, "credentials.app_secret")}});
  ASSERT_EQ(app.status, 200);
  EXPECT_TRUE(
      IsProblem(Call("GET", "/auth/v1/user", "", SessionCookie(app)), 401, "not_signed_in"));
}

TEST_F(Users, ChangingThePasswordEndsEveryOtherSession) {
  const SignedUp u = MustSignUp(UniqueEmail("pw"));
  const std::string other = SessionCookie(SignIn(u.email, kPassword));
  ASSERT_EQ(WhoAmI(other).status, 200);
  // The current password is required, and checked.
  EXPECT_TRUE(
      IsProblem(Call("PATCH", "/auth/v1/user", R"({"password":"a new password"})", u.cookie), 422,
                "validation_failed"));
  EXPECT_TRUE(IsProblem(
      Call("PATCH", "/auth/v1/user",
           R"({"password":"a new password","current_password":"not the password"})", u.cookie),
      403, "invalid_credentials"));
  const Response r = Call("PATCH", "/auth/v1/user",
                          json::serialize(json::object{{"password", "a new password"},
                                                       {"current_password", kPassword}}),
                          u.cookie);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const std::string renewed = SessionCookie(r);
  ASSERT_FALSE(renewed.empty()) << "this request gets a fresh session";
  EXPECT_EQ(WhoAmI(renewed).status, 200);
  EXPECT_EQ(WhoAmI(other).status, 401) << "the other device is signed out";
  EXPECT_EQ(WhoAmI(u.cookie).status, 401) << "and so is the old id of this one";
  EXPECT_TRUE(IsProblem(SignIn(u.email, kPassword), 401, "invalid_credentials"));
  EXPECT_EQ(SignIn(u.email, "a new password").status, 200);
}

TEST_F(Users, RenamingKeepsTheSession) {
  const SignedUp u = MustSignUp(UniqueEmail("rename"));
  const Response r = Call("PATCH", "/auth/v1/user", R"({"name":"Ada Lovelace"})", u.cookie);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "user.name"), "Ada Lovelace");
  EXPECT_EQ(WhoAmI(u.cookie).status, 200);
}

TEST_F(Users, SessionsAreListedAndRevokedPerUser) {
  const SignedUp u = MustSignUp(UniqueEmail("devices"));
  const Response second =
      Call("POST", "/auth/v1/signin",
           json::serialize(json::object{{"email", u.email}, {"password", kPassword}}), "",
           {{"User-Agent", "phone/1.0"}});
  ASSERT_EQ(second.status, 200);
  const std::string phone = SessionCookie(second);
  Response list = Call("GET", "/auth/v1/sessions", "", u.cookie);
  ASSERT_EQ(list.status, 200) << list.Describe();
  const json::value listed = list.Json();
  const json::array& data = listed.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  int current = 0;
  std::string phone_id;
  for (const json::value& s : data) {
    if (s.at("current").as_bool()) ++current;
    if (s.at("user_agent").as_string() == "phone/1.0") phone_id = s.at("id").as_string().c_str();
  }
  EXPECT_EQ(current, 1);
  ASSERT_FALSE(phone_id.empty());
  // Another user cannot revoke it.
  const SignedUp other = MustSignUp(UniqueEmail("devices2"));
  EXPECT_TRUE(IsProblem(Call("DELETE", "/auth/v1/sessions/" + phone_id, "", other.cookie), 404,
                        "not_found"));
  EXPECT_EQ(WhoAmI(phone).status, 200);
  EXPECT_EQ(Call("DELETE", "/auth/v1/sessions/" + phone_id, "", u.cookie).status, 204);
  EXPECT_EQ(WhoAmI(phone).status, 401);
  // Revoke the others: one more sign-in, then all but this one.
  const std::string laptop = SessionCookie(SignIn(u.email, kPassword));
  const Response revoked = Call("DELETE", "/auth/v1/sessions", "", u.cookie);
  ASSERT_EQ(revoked.status, 200) << revoked.Describe();
  EXPECT_EQ(revoked.Json().at("revoked").as_int64(), 1);
  EXPECT_EQ(WhoAmI(laptop).status, 401);
  EXPECT_EQ(WhoAmI(u.cookie).status, 200);
}

TEST_F(Users, SignOutEndsTheSessionAndClearsTheCookie) {
  const SignedUp u = MustSignUp(UniqueEmail("out"));
  const Response r = Call("POST", "/auth/v1/signout", "", u.cookie);
  ASSERT_EQ(r.status, 204);
  EXPECT_NE(r.Header("Set-Cookie").find("Max-Age=0"), std::string::npos) << r.Header("Set-Cookie");
  EXPECT_EQ(WhoAmI(u.cookie).status, 401);
  EXPECT_EQ(Call("POST", "/auth/v1/signout", "").status, 204) << "signing out twice is fine";
}

TEST_F(Users, TheLastOwnerCannotLeaveOrBeDemoted) {
  const SignedUp u = MustSignUp(UniqueEmail("owner"));
  const Response members = Call("GET", "/v1/members", "", u.cookie);
  ASSERT_EQ(members.status, 200) << members.Describe();
  const json::value listed = members.Json();
  const json::array& data = listed.at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(StringAt(data[0], "role"), "owner");
  EXPECT_TRUE(IsProblem(Call("PATCH", "/v1/members/" + u.user_id, R"({"role":"viewer"})", u.cookie),
                        409, "last_owner"));
  EXPECT_TRUE(
      IsProblem(Call("DELETE", "/v1/members/" + u.user_id, "", u.cookie), 409, "last_owner"));
  EXPECT_TRUE(IsProblem(Call("DELETE", "/v1/members/usr_01NOSUCHUSER0000000000000", "", u.cookie),
                        404, "not_found"));
  EXPECT_EQ(StringAt(WhoAmI(u.cookie).Json(), "auth.role"), "owner");
}

TEST_F(Users, CustomRolesAreCreatedChangedAndDeleted) {
  const SignedUp u = MustSignUp(UniqueEmail("roles"));
  Response r = Call("POST", "/v1/roles",
                    R"({"name":"support","scopes":["products:read","files:read"]})", u.cookie);
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string id = StringAt(r.Json(), "role.id");
  EXPECT_TRUE(id.starts_with("rol_"));
  EXPECT_TRUE(IsProblem(
      Call("POST", "/v1/roles", R"({"name":"support","scopes":["products:read"]})", u.cookie), 409,
      "role_exists"));
  EXPECT_TRUE(IsProblem(
      Call("POST", "/v1/roles", R"({"name":"owner","scopes":["products:read"]})", u.cookie), 422,
      "validation_failed"));
  EXPECT_TRUE(
      IsProblem(Call("POST", "/v1/roles", R"({"name":"x","scopes":["root:all"]})", u.cookie), 422,
                "validation_failed"));
  r = Call("PATCH", "/v1/roles/" + id, R"({"scopes":["products:write"]})", u.cookie);
  ASSERT_EQ(r.status, 200) << r.Describe();
  r = Call("GET", "/v1/roles", "", u.cookie);
  ASSERT_EQ(r.status, 200);
  const json::value listed = r.Json();
  const json::array& roles = listed.at("data").as_array();
  ASSERT_EQ(roles.size(), 5u) << "four built-in roles and the custom one";
  EXPECT_EQ(StringAt(roles[0], "id"), "owner");
  EXPECT_EQ(Call("DELETE", "/v1/roles/" + id, "", u.cookie).status, 204);
  EXPECT_TRUE(IsProblem(Call("DELETE", "/v1/roles/" + id, "", u.cookie), 404, "not_found"));
  // Another user's tenant's roles are out of reach.
  const SignedUp other = MustSignUp(UniqueEmail("roles2"));
  r = Call("POST", "/v1/roles", R"({"name":"theirs","scopes":["products:read"]})", other.cookie);
  ASSERT_EQ(r.status, 201);
  EXPECT_TRUE(IsProblem(Call("DELETE", "/v1/roles/" + StringAt(r.Json(), "role.id"), "", u.cookie),
                        404, "not_found"));
}

TEST_F(Users, ARestrictedKeyNeedsMembersScopes) {
  const SignedUp u = MustSignUp(UniqueEmail("keys"));
  Response r = Call("POST", "/v1/api-keys",
                    R"({"name":"ro","type":"restricted","scopes":["products:read"]})", u.cookie);
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string key = r.Json().at("secret").as_string().c_str();
  EXPECT_TRUE(
      IsProblem(server().Request("GET", "/v1/members", {{"Authorization", "Bearer " + key}}), 403,
                "insufficient_scope"));
}

TEST_F(Users, TheVerificationEmailLinkVerifiesTheAddressOnce) {
  const SignedUp u = MustSignUp(UniqueEmail("verify"));
  const std::string token = TokenFromMail(server().data_dir(), u.email, "verify");
  ASSERT_FALSE(token.empty()) << "a verification email with a link under <data>/mail/";
  EXPECT_TRUE(IsProblem(Call("POST", "/auth/v1/verify-email", R"({"token":"not-a-token"})"), 400,
                        "invalid_token"));
  const Response r =
      Call("POST", "/auth/v1/verify-email", json::serialize(json::object{{"token", token}}));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_FALSE(StringAt(r.Json(), "user.email_verified_at").empty());
  EXPECT_TRUE(IsProblem(
      Call("POST", "/auth/v1/verify-email", json::serialize(json::object{{"token", token}})), 400,
      "invalid_token"))
      << "single use";
}

TEST_F(Users, ResettingThePasswordEndsEverySession) {
  const SignedUp u = MustSignUp(UniqueEmail("reset"));
  // Recover answers the same for an address without an account.
  const Response unknown = Call("POST", "/auth/v1/recover",
                                json::serialize(json::object{{"email", UniqueEmail("ghost")}}));
  const Response known =
      Call("POST", "/auth/v1/recover", json::serialize(json::object{{"email", u.email}}));
  ASSERT_EQ(known.status, 202) << known.Describe();
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(unknown.body, known.body);
  const std::string token = TokenFromMail(server().data_dir(), u.email, "reset");
  ASSERT_FALSE(token.empty());
  EXPECT_TRUE(
      IsProblem(Call("POST", "/auth/v1/reset",
                     json::serialize(json::object{{"token", token}, {"password", "short"}})),
                422, "validation_failed"));
  const Response r =
      Call("POST", "/auth/v1/reset",
           json::serialize(json::object{{"token", token}, {"password", "a brand new password"}}));
  ASSERT_EQ(r.status, 204) << r.Describe();
  EXPECT_EQ(WhoAmI(u.cookie).status, 401) << "the old session is over";
  EXPECT_TRUE(IsProblem(SignIn(u.email, kPassword), 401, "invalid_credentials"));
  EXPECT_EQ(SignIn(u.email, "a brand new password").status, 200);
  EXPECT_TRUE(IsProblem(
      Call("POST", "/auth/v1/reset",
           json::serialize(json::object{{"token", token}, {"password", "yet another password"}})),
      400, "invalid_token"));
}

// The whole path of issue 16: an owner invites a second user, who signs up
// by accepting; a role change applies to the next request; a viewer cannot
// write; removal ends their access through the existing session.
TEST_F(Users, InviteAcceptRoleChangeAndRemoval) {
  const SignedUp owner = MustSignUp(UniqueEmail("boss"));
  const std::string org = MustCreateOrg(owner.cookie);
  const Response switched =
      Call("POST", "/auth/v1/switch", json::serialize(json::object{{"tenant", org}}), owner.cookie);
  ASSERT_EQ(switched.status, 200);
  const std::string boss = SessionCookie(switched);
  // A personal tenant cannot be shared.
  const std::string personal = SessionCookie(SignIn(owner.email, kPassword, owner.tenant_id));
  EXPECT_TRUE(IsProblem(
      Call("POST", "/v1/invites",
           json::serialize(json::object{{"email", UniqueEmail()}, {"role", "member"}}), personal),
      409, "personal_tenant"));

  const std::string invitee = UniqueEmail("new");
  Response r = Call("POST", "/v1/invites",
                    json::serialize(json::object{{"email", invitee}, {"role", "viewer"}}), boss);
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_TRUE(StringAt(r.Json(), "invite.id").starts_with("inv_"));
  EXPECT_EQ(Call("GET", "/v1/invites", "", boss).Json().at("data").as_array().size(), 1u);
  const std::string token = TokenFromMail(server().data_dir(), invitee, "invite");
  ASSERT_FALSE(token.empty());

  // A signed-in user with another email cannot take it.
  const SignedUp stranger = MustSignUp(UniqueEmail("stranger"));
  EXPECT_TRUE(IsProblem(Call("POST", "/auth/v1/invites/accept",
                             json::serialize(json::object{{"token", token}}), stranger.cookie),
                        403, "invite_email_mismatch"));
  // Accepting as a new user: signed up, verified, member with the role, signed in to the org.
  r = Call(
      "POST", "/auth/v1/invites/accept",
      json::serialize(json::object{{"token", token}, {"name", "Grace"}, {"password", kPassword}}));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "tenant.id"), org);
  EXPECT_EQ(StringAt(r.Json(), "role"), "viewer");
  const std::string grace = SessionCookie(r);
  Response who = WhoAmI(grace);
  ASSERT_EQ(who.status, 200);
  EXPECT_EQ(StringAt(who.Json(), "auth.role"), "viewer");
  const std::string grace_id = StringAt(who.Json(), "auth.user_id");
  EXPECT_TRUE(
      IsProblem(Call("POST", "/auth/v1/invites/accept",
                     json::serialize(json::object{{"token", token}, {"password", kPassword}})),
                400, "invalid_token"))
      << "single use";

  // A viewer reads but does not write.
  EXPECT_EQ(Call("GET", "/v1/products", "", grace).status, 200);
  const std::string product = R"({"sku":"V-1","name":"Vase","price_cents":500})";
  EXPECT_TRUE(IsProblem(Call("POST", "/v1/products", product, grace), 403, "insufficient_scope"));
  EXPECT_EQ(Call("GET", "/v1/members", "", grace).status, 200) << "members:read is a read";

  // The owner makes her a member: the next request may write.
  r = Call("PATCH", "/v1/members/" + grace_id, R"({"role":"member"})", boss);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Call("POST", "/v1/products", product, grace).status, 201);
  // A member cannot manage members, nor make herself owner.
  EXPECT_TRUE(IsProblem(Call("PATCH", "/v1/members/" + grace_id, R"({"role":"owner"})", grace), 403,
                        "insufficient_scope"));
  // An admin may manage members but not make owners.
  ASSERT_EQ(Call("PATCH", "/v1/members/" + grace_id, R"({"role":"admin"})", boss).status, 200);
  EXPECT_TRUE(IsProblem(Call("PATCH", "/v1/members/" + grace_id, R"({"role":"owner"})", grace), 403,
                        "owner_required"));
  EXPECT_TRUE(
      IsProblem(Call("DELETE", "/v1/members/" + owner.user_id, "", grace), 403, "owner_required"));

  // Removal: her existing session no longer reaches the org.
  ASSERT_EQ(Call("DELETE", "/v1/members/" + grace_id, "", boss).status, 204);
  EXPECT_EQ(WhoAmI(grace).status, 401);
  // She can still sign in, to her own personal tenant.
  const Response back = SignIn(invitee, kPassword);
  ASSERT_EQ(back.status, 200) << back.Describe();
  EXPECT_EQ(StringAt(back.Json(), "tenant.kind"), "personal");
  EXPECT_TRUE(IsProblem(SignIn(invitee, kPassword, org), 403, "not_a_member"));
}

}  // namespace
}  // namespace tenantd::test
