// Tenant authentication through the real binary (api.md §4): each method's
// success and each refusal code, sessions, API keys and secret rotation.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "base/time.h"
#include "crypto/crypto.h"
#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

struct AppCredentials {
  std::string id, slug, app_key, app_secret;
};

AppCredentials MustCreateTenant(const TestServer& server, std::string_view prefix = "auth") {
  const std::string slug = UniqueSlug(prefix);
  Response r = server.CreateTenant(slug);
  if (r.status != 201) throw std::runtime_error("create tenant: " + r.Describe());
  const json::value body = r.Json();
  return {StringAt(body, "tenant.id"), slug, StringAt(body, "credentials.app_key"),
          StringAt(body, "credentials.app_secret")};
}

Headers ModeA(const AppCredentials& c) {
  return {{"X-App-Key", c.app_key}, {"X-App-Secret", c.app_secret}};
}

// Mode B headers for `method target body`, signed with `secret`, dated `date`.
Headers Signed(const std::string& app_key, const std::string& secret, const std::string& method,
               const std::string& target, const std::string& body,
               std::chrono::system_clock::time_point date = std::chrono::system_clock::now(),
               const std::string& nonce = "") {
  const std::string x_date = base::FormatImfFixdate(date);
  const std::string content = crypto::Sha256Hex(body);
  std::string canonical = method + "\n" + target + "\n" + x_date + "\n" + content;
  if (!nonce.empty()) canonical += "\n" + nonce;
  Headers h = {{"X-App-Key", app_key},
               {"X-Date", x_date},
               {"X-Content-Sha256", content},
               {"X-App-Signature", crypto::HexEncode(crypto::HmacSha256(secret, canonical))}};
  if (!nonce.empty()) h.push_back({"X-Nonce", nonce});
  return h;
}

// The "sid=…" part of the answer's Set-Cookie ("" when none).
std::string SessionCookie(const Response& r) {
  const std::string set = r.Header("Set-Cookie");
  return set.substr(0, set.find(';'));
}

class AuthCore : public SharedServerTest<AuthCore> {
 protected:
  static Response WhoAmI(const Headers& h) { return server().Request("GET", "/v1/whoami", h); }

  static std::string MustCreateKey(const AppCredentials& c, const std::string& body) {
    Headers h = ModeA(c);
    h.push_back({"Content-Type", "application/json"});
    Response r = server().Request("POST", "/v1/api-keys", h, body);
    if (r.status != 201) throw std::runtime_error("create key: " + r.Describe());
    return r.Json().at("secret").as_string().c_str();
  }
};

// ---- mode A ----------------------------------------------------------------

TEST_F(AuthCore, AppKeyAndSecretIdentifyTheTenant) {
  const AppCredentials c = MustCreateTenant(server());
  Response r = WhoAmI(ModeA(c));
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value body = r.Json();
  EXPECT_EQ(StringAt(body, "tenant.id"), c.id);
  EXPECT_EQ(StringAt(body, "tenant.slug"), c.slug);
  EXPECT_EQ(StringAt(body, "tenant.status"), "active");
  EXPECT_EQ(StringAt(body, "auth.mode"), "app_secret");
  EXPECT_EQ(body.at("auth").at("scopes").as_array().size(), 12u);
}

TEST_F(AuthCore, WrongSecretIsInvalidCredentials) {
  const AppCredentials c = MustCreateTenant(server());
  Response r = WhoAmI({{"X-App-Key", c.app_key}, {"X-App-Secret", c.app_secret + "x"}});
  EXPECT_TRUE(IsProblem(r, 401, "invalid_credentials"));
  EXPECT_FALSE(r.HasHeader("Set-Cookie"));
  EXPECT_EQ(r.body.find(c.app_secret), std::string::npos);
}

TEST_F(AuthCore, NoCredentialsIsMissingCredentials) {
  EXPECT_TRUE(IsProblem(WhoAmI({}), 401, "missing_credentials"));
}

TEST_F(AuthCore, SecretWithoutAppKeyIsInvalidCredentials) {
  EXPECT_TRUE(IsProblem(WhoAmI({{"X-App-Secret", "whatever"}}), 401, "invalid_credentials"));
  EXPECT_TRUE(IsProblem(WhoAmI({{"X-App-Key", "ak_nope"}, {"X-App-Secret", "x"}}), 401,
                        "invalid_credentials"));
}

// ---- mode B ----------------------------------------------------------------

TEST_F(AuthCore, SignedRequestSucceeds) {
  const AppCredentials c = MustCreateTenant(server());
  Response r = WhoAmI(Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", ""));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "auth.mode"), "signature");
}

TEST_F(AuthCore, BadSignatureIsInvalidSignature) {
  const AppCredentials c = MustCreateTenant(server());
  Response r = WhoAmI(Signed(c.app_key, c.app_secret + "x", "GET", "/v1/whoami", ""));
  EXPECT_TRUE(IsProblem(r, 401, "invalid_signature"));
}

TEST_F(AuthCore, QueryChangedAfterSigningIsInvalidSignature) {
  const AppCredentials c = MustCreateTenant(server());
  Headers h = Signed(c.app_key, c.app_secret, "GET", "/v1/api-keys?limit=10", "");
  EXPECT_TRUE(
      IsProblem(server().Request("GET", "/v1/api-keys?limit=11", h), 401, "invalid_signature"));
}

TEST_F(AuthCore, BodyTamperedAfterSigningIsContentHashMismatch) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string body = R"({"name":"signed key"})";
  Headers h = Signed(c.app_key, c.app_secret, "POST", "/v1/api-keys", body);
  h.push_back({"Content-Type", "application/json"});
  Response tampered = server().Request("POST", "/v1/api-keys", h, R"({"name":"evil key!"})");
  EXPECT_TRUE(IsProblem(tampered, 401, "content_hash_mismatch"));
  // The same headers with the body as signed pass (the signature was not burnt).
  Response ok = server().Request("POST", "/v1/api-keys", h, body);
  EXPECT_EQ(ok.status, 201) << ok.Describe();
}

TEST_F(AuthCore, DateOutsideTheSkewIsRequestExpired) {
  const AppCredentials c = MustCreateTenant(server());
  const auto now = std::chrono::system_clock::now();
  // The Date header has whole seconds, so a future date loses up to 1 s to
  // truncation and the server's clock runs on while the request travels: stay
  // clear of the 300 s edge by a few seconds on both sides.
  for (const auto offset : {seconds(-303), seconds(303)}) {
    Response r = WhoAmI(Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "", now + offset));
    EXPECT_TRUE(IsProblem(r, 401, "request_expired")) << offset.count();
  }
  Response inside = WhoAmI(Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "",
                                  now - seconds(290), "inside-the-window"));
  EXPECT_EQ(inside.status, 200) << inside.Describe();
}

TEST_F(AuthCore, ReplayedSignatureIsRefusedButANewNonceIsNot) {
  const AppCredentials c = MustCreateTenant(server());
  const auto now = std::chrono::system_clock::now();
  Headers first = Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "", now, "n-1");
  ASSERT_EQ(WhoAmI(first).status, 200);
  EXPECT_TRUE(IsProblem(WhoAmI(first), 401, "replayed_request"));
  Headers second = Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "", now, "n-2");
  EXPECT_EQ(WhoAmI(second).status, 200);
}

TEST_F(AuthCore, MalformedDateIsInvalidSignature) {
  const AppCredentials c = MustCreateTenant(server());
  Headers h = Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "");
  h[1].second = "yesterday";
  EXPECT_TRUE(IsProblem(WhoAmI(h), 401, "invalid_signature"));
}

// ---- API keys --------------------------------------------------------------

TEST_F(AuthCore, ApiKeyAuthenticatesWithItsScopes) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string key =
      MustCreateKey(c, R"({"name":"ro","type":"restricted","scopes":["keys:read"]})");
  EXPECT_TRUE(key.starts_with("rk_live_")) << key;
  Response r = WhoAmI({{"Authorization", "Bearer " + key}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "auth.mode"), "api_key");
  EXPECT_EQ(json::serialize(r.Json().at("auth").at("scopes")), R"(["keys:read"])");
  EXPECT_FALSE(r.HasHeader("Set-Cookie")) << "API keys start no session";
  // Inside its scope, and outside it.
  EXPECT_EQ(server().Request("GET", "/v1/api-keys", {{"Authorization", "Bearer " + key}}).status,
            200);
  Response outside = server().Request("GET", "/v1/sessions", {{"Authorization", "Bearer " + key}});
  EXPECT_TRUE(IsProblem(outside, 403, "insufficient_scope"));
  Response escalate =
      server().Request("POST", "/v1/api-keys",
                       {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}},
                       R"({"name":"x"})");
  EXPECT_TRUE(IsProblem(escalate, 403, "insufficient_scope"));
}

TEST_F(AuthCore, RevokedKeyIsKeyRevoked) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string key = MustCreateKey(c, R"({"name":"k"})");
  ASSERT_EQ(WhoAmI({{"Authorization", "Bearer " + key}}).status, 200);
  Response list = server().Request("GET", "/v1/api-keys", ModeA(c));
  const std::string id = StringAt(list.Json(), "data.0.id");
  ASSERT_EQ(server().Request("DELETE", "/v1/api-keys/" + id, ModeA(c)).status, 200);
  EXPECT_TRUE(IsProblem(WhoAmI({{"Authorization", "Bearer " + key}}), 401, "key_revoked"));
}

TEST_F(AuthCore, ExpiredKeyIsKeyExpired) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string expires =
      base::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
  const std::string key = MustCreateKey(c, R"({"name":"short","expires_at":")" + expires + "\"}");
  ASSERT_TRUE(PollUntil(
      [&] {
        return WhoAmI({{"Authorization", "Bearer " + key}}).status == 401;
      },
      seconds(10)));
  EXPECT_TRUE(IsProblem(WhoAmI({{"Authorization", "Bearer " + key}}), 401, "key_expired"));
}

TEST_F(AuthCore, RotatedOutKeyIsRefusedAndTheNewOneWorks) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string old_key = MustCreateKey(c, R"({"name":"rot"})");
  const std::string id =
      StringAt(server().Request("GET", "/v1/api-keys", ModeA(c)).Json(), "data.0.id");
  Headers h = ModeA(c);
  h.push_back({"Content-Type", "application/json"});
  Response rotated =
      server().Request("POST", "/v1/api-keys/" + id + "/rotate", h, R"({"grace_seconds":0})");
  ASSERT_EQ(rotated.status, 200) << rotated.Describe();
  const std::string new_key = StringAt(rotated.Json(), "secret");
  EXPECT_TRUE(IsProblem(WhoAmI({{"Authorization", "Bearer " + old_key}}), 401, "key_revoked"));
  EXPECT_EQ(WhoAmI({{"Authorization", "Bearer " + new_key}}).status, 200);
}

TEST_F(AuthCore, AnotherTenantsKeyIdIsNotFound) {
  const AppCredentials a = MustCreateTenant(server());
  const AppCredentials b = MustCreateTenant(server());
  MustCreateKey(a, R"({"name":"a"})");
  const std::string id =
      StringAt(server().Request("GET", "/v1/api-keys", ModeA(a)).Json(), "data.0.id");
  EXPECT_TRUE(IsProblem(server().Request("GET", "/v1/api-keys/" + id, ModeA(b)), 404, "not_found"));
  EXPECT_TRUE(
      IsProblem(server().Request("DELETE", "/v1/api-keys/" + id, ModeA(b)), 404, "not_found"));
}

// ---- tenant status and identification ------------------------------------

TEST_F(AuthCore, SuspendedTenantIsRefusedAndDeletedIsUnknown) {
  const AppCredentials c = MustCreateTenant(server());
  Response first = WhoAmI(ModeA(c));
  ASSERT_EQ(first.status, 200);
  const std::string cookie = SessionCookie(first);
  ASSERT_FALSE(cookie.empty());
  ASSERT_EQ(
      server().Admin("PATCH", "/admin/v1/tenants/" + c.id, R"({"status":"suspended"})").status,
      200);
  EXPECT_TRUE(IsProblem(WhoAmI(ModeA(c)), 403, "tenant_suspended"));
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", cookie}}), 403, "tenant_suspended"));
  ASSERT_EQ(server().Admin("PATCH", "/admin/v1/tenants/" + c.id, R"({"status":"active"})").status,
            200);
  EXPECT_EQ(WhoAmI({{"Cookie", cookie}}).status, 200);
  ASSERT_EQ(server().Admin("DELETE", "/admin/v1/tenants/" + c.id).status, 204);
  EXPECT_TRUE(IsProblem(WhoAmI(ModeA(c)), 401, "invalid_credentials"));
  EXPECT_EQ(WhoAmI({{"Cookie", cookie}}).status, 401);
}

TEST_F(AuthCore, HeaderNamingAnotherTenantIsTenantMismatch) {
  const AppCredentials a = MustCreateTenant(server());
  const AppCredentials b = MustCreateTenant(server());
  Headers h = ModeA(a);
  h.push_back({"X-Tenant-ID", b.slug});
  EXPECT_TRUE(IsProblem(WhoAmI(h), 403, "tenant_mismatch"));
  h.back().second = a.id;
  EXPECT_EQ(WhoAmI(h).status, 200);
  EXPECT_TRUE(IsProblem(WhoAmI({{"X-Tenant-ID", a.slug}}), 401, "missing_credentials"))
      << "a tenant hint never grants access";
}

// ---- app secret rotation ---------------------------------------------------

TEST_F(AuthCore, AppSecretRotationHonoursTheGrace) {
  const AppCredentials c = MustCreateTenant(server());
  Response graced = server().Admin("POST", "/admin/v1/tenants/" + c.id + "/credentials/rotate",
                                   R"({"grace_seconds":60})");
  ASSERT_EQ(graced.status, 200) << graced.Describe();
  EXPECT_EQ(StringAt(graced.Json(), "credentials.app_key"), c.app_key);
  AppCredentials second = c;
  second.app_secret = StringAt(graced.Json(), "credentials.app_secret");
  EXPECT_EQ(WhoAmI(ModeA(c)).status, 200) << "old secret inside the grace";
  EXPECT_EQ(WhoAmI(ModeA(second)).status, 200);

  Response now = server().Admin("POST", "/admin/v1/tenants/" + c.id + "/credentials/rotate",
                                R"({"grace_seconds":0})");
  ASSERT_EQ(now.status, 200) << now.Describe();
  AppCredentials third = c;
  third.app_secret = StringAt(now.Json(), "credentials.app_secret");
  EXPECT_TRUE(IsProblem(WhoAmI(ModeA(c)), 401, "invalid_credentials"));
  EXPECT_TRUE(IsProblem(WhoAmI(ModeA(second)), 401, "invalid_credentials"));
  EXPECT_EQ(WhoAmI(ModeA(third)).status, 200);
  EXPECT_EQ(WhoAmI(Signed(c.app_key, third.app_secret, "GET", "/v1/whoami", "")).status, 200);
}

TEST_F(AuthCore, CliRotationTakesEffectOnTheRunningServer) {
  const AppCredentials c = MustCreateTenant(server());
  ASSERT_EQ(WhoAmI(ModeA(c)).status, 200);
  CommandResult cli = RunTenantd(
      {"tenant", "rotate-secret", c.slug, "--json", "--data", server().data_dir().string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const json::value out = json::parse(cli.out);
  AppCredentials rotated = c;
  rotated.app_secret = StringAt(out, "credentials.app_secret");
  EXPECT_TRUE(IsProblem(WhoAmI(ModeA(c)), 401, "invalid_credentials"));
  EXPECT_EQ(WhoAmI(ModeA(rotated)).status, 200);
}

// ---- sessions --------------------------------------------------------------

TEST_F(AuthCore, ModeASetsACookieThatServesFollowUpRequests) {
  const AppCredentials c = MustCreateTenant(server());
  Response first = WhoAmI(ModeA(c));
  ASSERT_EQ(first.status, 200);
  const std::string set = first.Header("Set-Cookie");
  EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos) << set;
  EXPECT_NE(set.find("Path=/"), std::string::npos) << set;
  EXPECT_NE(set.find("Max-Age=7200"), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << set;
  Response follow = WhoAmI({{"Cookie", SessionCookie(first)}});
  ASSERT_EQ(follow.status, 200) << follow.Describe();
  EXPECT_EQ(StringAt(follow.Json(), "auth.mode"), "session");
  EXPECT_EQ(StringAt(follow.Json(), "tenant.id"), c.id);
}

// Issue 12, defect 5: a session lives only as long as the secret that
// started it; rotating that secret out (grace over) ends the session.
TEST_F(AuthCore, ASessionEndsWhenItsAppSecretIsRotatedOut) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string first_cookie = SessionCookie(WhoAmI(ModeA(c)));
  ASSERT_FALSE(first_cookie.empty());
  Response graced = server().Admin("POST", "/admin/v1/tenants/" + c.id + "/credentials/rotate",
                                   R"({"grace_seconds":600})");
  ASSERT_EQ(graced.status, 200) << graced.Describe();
  AppCredentials second = c;
  second.app_secret = StringAt(graced.Json(), "credentials.app_secret");
  EXPECT_EQ(WhoAmI({{"Cookie", first_cookie}}).status, 200) << "inside the grace";
  // Mode B with the new secret: a session of its own.
  const std::string second_cookie =
      SessionCookie(WhoAmI(Signed(c.app_key, second.app_secret, "GET", "/v1/whoami", "")));
  ASSERT_FALSE(second_cookie.empty());

  Response now = server().Admin("POST", "/admin/v1/tenants/" + c.id + "/credentials/rotate",
                                R"({"grace_seconds":0})");
  ASSERT_EQ(now.status, 200) << now.Describe();
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", first_cookie}}), 401, "missing_credentials"));
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", second_cookie}}), 401, "missing_credentials"));
  // Ended for good: listed no more.
  AppCredentials third = c;
  third.app_secret = StringAt(now.Json(), "credentials.app_secret");
  const std::string third_cookie = SessionCookie(WhoAmI(ModeA(third)));
  EXPECT_EQ(WhoAmI({{"Cookie", third_cookie}}).status, 200);
  Response listed = server().Request("GET", "/v1/sessions", {{"Cookie", third_cookie}});
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  EXPECT_EQ(listed.Json().at("data").as_array().size(), 1u) << listed.body;
}

TEST_F(AuthCore, ASessionEndsWhenItsApiKeyIsRotatedOutOrRevoked) {
  const AppCredentials c = MustCreateTenant(server());
  Headers h = ModeA(c);
  h.push_back({"Content-Type", "application/json"});
  Response created = server().Request("POST", "/v1/api-keys", h, R"({"name":"k"})");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const std::string key_id = StringAt(created.Json(), "api_key.id");
  // A key bound to a session: presented next to the cookie of a session.
  auto key_session = [&](const std::string& secret) {
    const std::string app_cookie = SessionCookie(WhoAmI(ModeA(c)));
    return SessionCookie(WhoAmI({{"Cookie", app_cookie}, {"Authorization", "Bearer " + secret}}));
  };
  const std::string cookie = key_session(StringAt(created.Json(), "secret"));
  ASSERT_FALSE(cookie.empty());
  Response via_cookie = WhoAmI({{"Cookie", cookie}});
  ASSERT_EQ(via_cookie.status, 200) << via_cookie.Describe();
  EXPECT_EQ(StringAt(via_cookie.Json(), "auth.key_id"), key_id);

  Response rotated =
      server().Request("POST", "/v1/api-keys/" + key_id + "/rotate", h, R"({"grace_seconds":0})");
  ASSERT_EQ(rotated.status, 200) << rotated.Describe();
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", cookie}}), 401, "missing_credentials"));

  const std::string after = key_session(StringAt(rotated.Json(), "secret"));
  ASSERT_EQ(WhoAmI({{"Cookie", after}}).status, 200);
  ASSERT_EQ(server().Request("DELETE", "/v1/api-keys/" + key_id, ModeA(c)).status, 200);
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", after}}), 401, "missing_credentials"));
}

// Issue 12, defect 7: revoking is managing; a restricted key cannot revoke
// a key it could not create.
TEST_F(AuthCore, ARestrictedKeyCannotRevokeAMorePowerfulKey) {
  const AppCredentials c = MustCreateTenant(server());
  Headers h = ModeA(c);
  h.push_back({"Content-Type", "application/json"});
  Response secret = server().Request("POST", "/v1/api-keys", h, R"({"name":"root"})");
  ASSERT_EQ(secret.status, 201);
  Response narrow = server().Request("POST", "/v1/api-keys", h,
                                     R"({"name":"n","type":"restricted","scopes":["files:read"]})");
  ASSERT_EQ(narrow.status, 201);
  const std::string manager =
      MustCreateKey(c, R"({"name":"m","type":"restricted","scopes":["keys:write"]})");
  const Headers as_manager = {{"Authorization", "Bearer " + manager}};
  EXPECT_TRUE(
      IsProblem(server().Request("DELETE", "/v1/api-keys/" + StringAt(secret.Json(), "api_key.id"),
                                 as_manager),
                403, "insufficient_scope"));
  EXPECT_TRUE(
      IsProblem(server().Request("DELETE", "/v1/api-keys/" + StringAt(narrow.Json(), "api_key.id"),
                                 as_manager),
                403, "insufficient_scope"));
  EXPECT_EQ(WhoAmI({{"Authorization", "Bearer " + StringAt(secret.Json(), "secret")}}).status, 200);
  // Within its own powers it may.
  const std::string peer =
      MustCreateKey(c, R"({"name":"p","type":"restricted","scopes":["keys:write"]})");
  Response peer_key = WhoAmI({{"Authorization", "Bearer " + peer}});
  ASSERT_EQ(peer_key.status, 200);
  EXPECT_EQ(
      server()
          .Request("DELETE", "/v1/api-keys/" + StringAt(peer_key.Json(), "auth.key_id"), as_manager)
          .status,
      200);
}

TEST_F(AuthCore, CookieWithAFlippedSignatureByteIsIgnored) {
  const AppCredentials c = MustCreateTenant(server());
  std::string cookie = SessionCookie(WhoAmI(ModeA(c)));
  ASSERT_FALSE(cookie.empty());
  cookie.back() = cookie.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", cookie}}), 401, "missing_credentials"));
  Headers with_creds = ModeA(c);
  with_creds.push_back({"Cookie", cookie});
  Response fresh = WhoAmI(with_creds);
  ASSERT_EQ(fresh.status, 200) << "a bad cookie is not an error";
  EXPECT_FALSE(SessionCookie(fresh).empty()) << "a new session is started";
  EXPECT_NE(SessionCookie(fresh), cookie);
}

TEST_F(AuthCore, SessionRevocationTakesEffectAtOnce) {
  const AppCredentials c = MustCreateTenant(server());
  Response a = WhoAmI(ModeA(c));
  const std::string cookie = SessionCookie(a);
  const std::string session_id = StringAt(a.Json(), "auth.session_id");
  ASSERT_EQ(WhoAmI({{"Cookie", cookie}}).status, 200);
  Response revoke = server().Request("DELETE", "/v1/sessions/" + session_id, ModeA(c));
  EXPECT_EQ(revoke.status, 204) << revoke.Describe();
  EXPECT_TRUE(IsProblem(WhoAmI({{"Cookie", cookie}}), 401, "missing_credentials"));
}

TEST_F(AuthCore, SignOutDestroysTheSessionAndClearsTheCookie) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string cookie = SessionCookie(WhoAmI(ModeA(c)));
  Response out = server().Request("DELETE", "/v1/session", {{"Cookie", cookie}});
  ASSERT_EQ(out.status, 204) << out.Describe();
  EXPECT_TRUE(out.Header("Set-Cookie").starts_with("sid=; Max-Age=0")) << out.Header("Set-Cookie");
  EXPECT_EQ(WhoAmI({{"Cookie", cookie}}).status, 401);
}

TEST_F(AuthCore, CredentialsOfAnotherTenantRebindTheSession) {
  const AppCredentials a = MustCreateTenant(server());
  const AppCredentials b = MustCreateTenant(server());
  const std::string cookie_a = SessionCookie(WhoAmI(ModeA(a)));
  Headers h = ModeA(b);
  h.push_back({"Cookie", cookie_a});
  Response r = WhoAmI(h);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(StringAt(r.Json(), "tenant.id"), b.id);
  const std::string cookie_b = SessionCookie(r);
  ASSERT_FALSE(cookie_b.empty());
  EXPECT_NE(cookie_b, cookie_a);
  EXPECT_EQ(WhoAmI({{"Cookie", cookie_a}}).status, 401) << "the old session id is gone";
  EXPECT_EQ(StringAt(WhoAmI({{"Cookie", cookie_b}}).Json(), "tenant.id"), b.id);
}

TEST_F(AuthCore, WrongCredentialsNextToAGoodCookieAreRefused) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string cookie = SessionCookie(WhoAmI(ModeA(c)));
  EXPECT_TRUE(
      IsProblem(WhoAmI({{"Cookie", cookie}, {"X-App-Key", c.app_key}, {"X-App-Secret", "wrong"}}),
                401, "invalid_credentials"));
}

TEST_F(AuthCore, SecretsNeverReachTheLog) {
  const AppCredentials c = MustCreateTenant(server());
  const std::string key = MustCreateKey(c, R"({"name":"logged"})");
  Response r = WhoAmI(ModeA(c));
  const std::string cookie = SessionCookie(r);
  const std::string token = cookie.substr(4, cookie.find('.') - 4);
  WhoAmI({{"Authorization", "Bearer " + key}});
  Headers s = Signed(c.app_key, c.app_secret, "GET", "/v1/whoami", "");
  WhoAmI(s);
  WhoAmI({{"Cookie", cookie}, {"X-Request-Id", "last-secret-check"}});
  ASSERT_TRUE(server().WaitForLogLine("id=last-secret-check "));
  for (const std::string& text : {server().LogText(), server().StdoutText()}) {
    EXPECT_EQ(text.find(c.app_secret), std::string::npos);
    EXPECT_EQ(text.find(key), std::string::npos);
    EXPECT_EQ(text.find(token), std::string::npos);
    EXPECT_EQ(text.find(s[3].second), std::string::npos) << "signature";
  }
  EXPECT_NE(server().LogText().find("tenant=" + c.slug), std::string::npos);
}

TEST_F(AuthCore, MetricsCountFailuresByReason) {
  WhoAmI({});
  Response m = server().Request("GET", "/metrics");
  EXPECT_NE(m.body.find("tenantd_auth_failures_total{reason=\"missing_credentials\"}"),
            std::string::npos);
  EXPECT_EQ(m.body.find("tenantd_auth_failures_total{reason=\"missing_credentials\"} 0\n"),
            std::string::npos);
}

// ---- settings that need their own server ----------------------------------

TEST(AuthSettings, ForceSecureCookiesMarksTheCookieSecure) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"FORCE_SECURE_COOKIES", "1"}, {"SESSION_TTL_MS", "60000"}}}));
  const AppCredentials c = MustCreateTenant(server);
  Response r = server.Request("GET", "/v1/whoami", ModeA(c));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Header("Set-Cookie").find("; Secure"), std::string::npos) << r.Header("Set-Cookie");
  EXPECT_NE(r.Header("Set-Cookie").find("Max-Age=60;"), std::string::npos);
}

TEST(AuthSettings, SessionsSurviveARestartWithTheControlStore) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const AppCredentials c = MustCreateTenant(server);
  const std::string cookie = SessionCookie(server.Request("GET", "/v1/whoami", ModeA(c)));
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.Request("GET", "/v1/whoami", {{"Cookie", cookie}}).status, 200);
}

TEST(AuthSettings, SubdomainOfAnotherTenantIsTenantMismatch) {
  TestServer server;
  ASSERT_TRUE(server.Start({.env = {{"TENANTD_BASE_DOMAIN", "example.test"}}}));
  const AppCredentials a = MustCreateTenant(server);
  const AppCredentials b = MustCreateTenant(server);
  Headers h = ModeA(a);
  h.push_back({"Host", b.slug + ".example.test"});
  EXPECT_TRUE(IsProblem(server.Request("GET", "/v1/whoami", h), 403, "tenant_mismatch"));
  h.back().second = a.slug + ".example.test:8080";
  EXPECT_EQ(server.Request("GET", "/v1/whoami", h).status, 200);
}

}  // namespace
}  // namespace tenantd::test
