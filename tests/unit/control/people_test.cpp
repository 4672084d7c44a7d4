// control::People (api.md §11) on each engine: users, accounts, memberships,
// roles, one-time tokens and invites, the races that must have exactly one
// winner, and the change journal entries the auth caches drop entries by,
// in this process and (through the triggers of migration 6) in another.
#include "control/people.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "await.h"
#include "base/clock.h"
#include "control/control_store.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "storage_engines.h"
#include "temp_dir.h"

namespace tenantd::control {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::Await;
using Ids = std::vector<std::string>;

base::TimePoint WallNow() { return std::chrono::system_clock::now(); }

// Runs `fn(i)` on `n` threads at once (each awaits on its own io_context).
void RunConcurrently(int n, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < n) std::this_thread::yield();
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

MemberPatch RolePatch(std::string role) {
  MemberPatch p;
  p.role = std::move(role);
  return p;
}

MemberPatch BillingPatch(bool is_billing_contact) {
  MemberPatch p;
  p.is_billing_contact = is_billing_contact;
  return p;
}

bool Contains(const std::optional<Ids>& ids, const std::string& id) {
  return ids && std::find(ids->begin(), ids->end(), id) != ids->end();
}

class PeopleTest : public ::testing::TestWithParam<test::EngineKind> {
 protected:
  void SetUp() override {
    auto box = crypto::SecretBox::Create(base::Secret(std::string(32, 'p')));
    ASSERT_TRUE(box);
    box_.emplace(std::move(*box));
    if (GetParam() == test::EngineKind::kPostgres) url_ = test::CreateTestDatabase();
    store_ = OpenStore();
    ASSERT_TRUE(store_);
    people_ = std::make_unique<People>(*store_);
  }

  // Another store on the same database: another process (a node, the CLI).
  std::unique_ptr<ControlStore> OpenStore() {
    auto db = OpenControlDatabase(dir_.path() / "data", url_);
    EXPECT_TRUE(db) << (db ? "" : db.error().log_detail);
    if (!db) return nullptr;
    ControlStoreOptions options;
    options.change_poll_interval = milliseconds(1);
    options.clock = &clock_;
    auto store = Await(ControlStore::Open(std::move(*db), *box_, options));
    EXPECT_TRUE(store) << (store ? "" : store.error().log_detail);
    return store ? std::move(*store) : nullptr;
  }

  base::Result<std::pair<User, CreatedTenant>> TrySignUp(const std::string& email,
                                                         const std::string& slug,
                                                         const std::string& name = "Ann") {
    NewUser n;
    n.email = email;
    n.name = name;
    n.password_hash = "hash-of-" + email;
    NewTenant t;
    t.slug = slug;
    t.name = name + "'s space";
    return Await(people_->SignUp(n, t, {}));
  }

  User SignUp(const std::string& email, const std::string& slug) {
    auto r = TrySignUp(email, slug);
    EXPECT_TRUE(r) << (r ? "" : r.error().log_detail + r.error().public_message);
    return r ? r->first : User{};
  }

  Tenant Org(const std::string& slug, const std::string& account_id = "") {
    NewTenant t;
    t.slug = slug;
    t.name = "Org " + slug;
    t.account_id = account_id;
    auto created = Await(store_->CreateTenant(t));
    EXPECT_TRUE(created) << (created ? "" : created.error().log_detail);
    return created ? created->tenant : Tenant{};
  }

  void Add(const Tenant& t, const User& u, const std::string& role) {
    auto added = Await(people_->AddMember(t.id, u.id, role));
    EXPECT_TRUE(added) << (added ? "" : added.error().problem_code);
  }

  std::optional<UserAccess> Access(const std::string& user_id, const std::string& tenant_id) {
    auto a = Await(people_->FindUserAccess(user_id, tenant_id));
    EXPECT_TRUE(a);
    return a ? *a : std::nullopt;
  }

  Role MustCreateRole(const Tenant& t, const std::string& name, const Ids& scopes) {
    auto r = Await(people_->CreateRole(t.id, name, scopes));
    EXPECT_TRUE(r) << (r ? "" : r.error().problem_code);
    return r ? *r : Role{};
  }

  Invite MustInvite(const Tenant& t, const std::string& email, const std::string& role,
                    const std::string& token_hash, base::TimePoint expires_at) {
    auto i = Await(people_->CreateInvite(t.id, email, role, "", token_hash, expires_at));
    EXPECT_TRUE(i) << (i ? "" : i.error().log_detail);
    return i ? *i : Invite{};
  }

  // What `reader` learns from the change log since `generation`.
  std::optional<Ids> Learns(ControlStore& reader, uint64_t generation) {
    clock_.Advance(milliseconds(2));  // past the poll interval
    EXPECT_TRUE(Await(reader.RefreshGeneration()));
    return reader.ChangesSince(generation).tenant_ids;
  }

  base::TestClock clock_;
  test::TempDir dir_;
  std::string url_;  // the PostgreSQL database; "" on SQLite
  std::optional<crypto::SecretBox> box_;
  std::unique_ptr<ControlStore> store_;
  std::unique_ptr<People> people_;
};

INSTANTIATE_TEST_SUITE_P(Engines, PeopleTest, test::kEngineKinds, test::EngineKindName);

// ---- Users ----

TEST_P(PeopleTest, SignUpMakesUserAccountAndPersonalTenantTheyOwn) {
  auto signed_up = TrySignUp("ann@example.com", "ann", "  Ann Smith ");
  ASSERT_TRUE(signed_up) << signed_up.error().log_detail;
  const auto& [user, created] = *signed_up;
  EXPECT_TRUE(user.id.starts_with("usr_")) << user.id;
  EXPECT_TRUE(user.account_id.starts_with("acc_")) << user.account_id;
  EXPECT_EQ(user.email, "ann@example.com");
  EXPECT_EQ(user.name, "Ann Smith");
  EXPECT_EQ(user.status, UserStatus::kActive);
  EXPECT_EQ(user.personal_tenant_id, created.tenant.id);
  EXPECT_EQ(user.last_tenant_id, created.tenant.id);
  EXPECT_FALSE(user.email_verified_at);
  EXPECT_FALSE(user.last_sign_in_at);
  EXPECT_EQ(created.tenant.kind, "personal");
  EXPECT_EQ(created.tenant.account_id, user.account_id);

  auto found = Await(people_->FindUser(user.id));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->email, user.email);
  EXPECT_EQ((*found)->personal_tenant_id, created.tenant.id);
  EXPECT_EQ((*found)->created_at, user.created_at);

  auto tenant = Await(store_->FindTenant(created.tenant.id));
  ASSERT_TRUE(tenant && *tenant);
  EXPECT_EQ((*tenant)->kind, "personal");
  EXPECT_EQ((*tenant)->account_id, user.account_id);

  auto account = Await(people_->FindAccount(user.account_id));
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->billing_email, "ann@example.com");
  EXPECT_EQ((*account)->status, "active");

  auto memberships = Await(people_->MembershipsOf(user.id));
  ASSERT_TRUE(memberships);
  ASSERT_EQ(memberships->size(), 1u);
  const TenantMembership& m = memberships->front();
  EXPECT_EQ(m.membership.tenant_id, created.tenant.id);
  EXPECT_EQ(m.membership.role, "owner");
  EXPECT_TRUE(m.membership.is_primary_contact);
  EXPECT_TRUE(m.membership.is_billing_contact);
  EXPECT_EQ(m.tenant_kind, "personal");
  EXPECT_EQ(m.tenant_slug, "ann");
  EXPECT_EQ(m.tenant_name, "Ann Smith 's space");

  auto verified = [&] {
    NewUser n;
    n.email = "vera@example.com";
    n.name = "Vera";
    n.password_hash = "h";
    n.email_verified = true;
    NewTenant t;
    t.slug = "vera";
    t.name = "Vera";
    return Await(people_->SignUp(n, t, {}));
  }();
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->first.email_verified_at);
}

TEST_P(PeopleTest, SignUpWithATakenEmailMakesNothing) {
  SignUp("bob@example.com", "bob");
  for (const char* email : {"bob@example.com", "BOB@Example.com"}) {
    auto again = TrySignUp(email, "bob-two");
    ASSERT_FALSE(again) << email;
    EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
    EXPECT_EQ(again.error().problem_code, "email_taken");
  }
  auto tenant = Await(store_->FindTenant("bob-two"));
  ASSERT_TRUE(tenant);
  EXPECT_FALSE(*tenant) << "no personal tenant for a refused sign-up";
  auto users = Await(people_->ListUsers("", "", 50));
  ASSERT_TRUE(users);
  EXPECT_EQ(users->items.size(), 1u);
}

TEST_P(PeopleTest, SignUpWithATakenSlugLeavesNoUserBehind) {
  Org("taken");
  auto r = TrySignUp("orphan@example.com", "taken");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().problem_code, "slug_taken");
  auto creds = Await(people_->FindCredentials("orphan@example.com"));
  ASSERT_TRUE(creds);
  EXPECT_FALSE(*creds) << "the user rolled back with the tenant";
  // The email is free for the next attempt.
  EXPECT_TRUE(TrySignUp("orphan@example.com", "not-taken"));
}

TEST_P(PeopleTest, SignUpProvisionsThePersonalTenantBeforeWritingIt) {
  int created = 0, undone = 0;
  TenantProvisioning provisioning;
  provisioning.create = [&](const Tenant& t) -> boost::asio::awaitable<base::Result<std::string>> {
    ++created;
    EXPECT_EQ(t.kind, "personal");
    co_return std::string("db-of-" + t.id);
  };
  provisioning.undo = [&](const Tenant&) -> boost::asio::awaitable<void> {
    ++undone;
    co_return;
  };
  NewUser n;
  n.email = "prov@example.com";
  n.name = "Prov";
  n.password_hash = "h";
  NewTenant t;
  t.slug = "prov";
  t.name = "Prov";
  auto r = Await(people_->SignUp(n, t, provisioning));
  ASSERT_TRUE(r) << r.error().log_detail;
  EXPECT_EQ(created, 1);
  EXPECT_EQ(undone, 0);
  auto location = Await(store_->DatabaseLocation(r->first.personal_tenant_id));
  ASSERT_TRUE(location && *location);
  EXPECT_EQ(**location, "db-of-" + r->first.personal_tenant_id);

  // A taken email costs no database.
  t.slug = "prov-2";
  auto again = Await(people_->SignUp(n, t, provisioning));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().problem_code, "email_taken");
  EXPECT_EQ(created, 1);
}

TEST_P(PeopleTest, ConcurrentSignUpsWithOneEmailMakeOneUser) {
  std::atomic<int> ok{0}, taken{0};
  RunConcurrently(4, [&](int i) {
    auto r = TrySignUp("race@example.com", "race-" + std::to_string(i));
    if (r) {
      ++ok;
    } else if (r.error().problem_code == "email_taken") {
      ++taken;
    } else {
      ADD_FAILURE() << r.error().log_detail;
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(taken.load(), 3);
  TenantListQuery q;
  auto tenants = Await(store_->ListTenants(q));
  ASSERT_TRUE(tenants);
  EXPECT_EQ(tenants->items.size(), 1u) << "the losers' tenants were rolled back";
}

TEST_P(PeopleTest, EmailsAreCaseInsensitive) {
  const User u = SignUp("Carol.Jones@Example.COM", "carol");
  EXPECT_EQ(u.email, "carol.jones@example.com");
  for (const char* email : {"carol.jones@example.com", "CAROL.JONES@EXAMPLE.COM"}) {
    auto creds = Await(people_->FindCredentials(email));
    ASSERT_TRUE(creds && *creds) << email;
    EXPECT_EQ((*creds)->user.id, u.id);
    EXPECT_EQ((*creds)->password_hash, "hash-of-Carol.Jones@Example.COM");
  }
  auto unknown = Await(people_->FindCredentials("nobody@example.com"));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  auto listed = Await(people_->ListUsers("CAROL.jones@example.com", "", 10));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items.front().id, u.id);
}

TEST_P(PeopleTest, RecordSignInSetsLastTenantAndTime) {
  const User u = SignUp("dan@example.com", "dan");
  const Tenant org = Org("dan-org");
  Add(org, u, "member");
  const base::TimePoint before = std::chrono::floor<milliseconds>(WallNow());
  ASSERT_TRUE(Await(people_->RecordSignIn(u.id, org.id, /*sign_in=*/true)));
  auto after_sign_in = Await(people_->FindUser(u.id));
  ASSERT_TRUE(after_sign_in && *after_sign_in);
  EXPECT_EQ((*after_sign_in)->last_tenant_id, org.id);
  ASSERT_TRUE((*after_sign_in)->last_sign_in_at);
  EXPECT_GE(*(*after_sign_in)->last_sign_in_at, before);

  // A switch moves the last tenant, not the sign-in time.
  ASSERT_TRUE(Await(people_->RecordSignIn(u.id, u.personal_tenant_id, /*sign_in=*/false)));
  auto after_switch = Await(people_->FindUser(u.id));
  ASSERT_TRUE(after_switch && *after_switch);
  EXPECT_EQ((*after_switch)->last_tenant_id, u.personal_tenant_id);
  EXPECT_EQ((*after_switch)->last_sign_in_at, (*after_sign_in)->last_sign_in_at);
}

TEST_P(PeopleTest, SetPasswordReplacesHashAndEndsEarlierSessions) {
  const User u = SignUp("eve@example.com", "eve");
  const base::TimePoint cut = std::chrono::floor<milliseconds>(WallNow());
  ASSERT_TRUE(Await(people_->SetPassword(u.id, "new-hash", cut)));
  auto hash = Await(people_->PasswordHash(u.id));
  ASSERT_TRUE(hash && *hash);
  EXPECT_EQ(**hash, "new-hash");
  auto found = Await(people_->FindUser(u.id));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->sessions_valid_after, std::optional<base::TimePoint>(cut));
  EXPECT_GE((*found)->updated_at, u.updated_at);
  const std::optional<UserAccess> access = Access(u.id, u.personal_tenant_id);
  ASSERT_TRUE(access);
  EXPECT_EQ(access->sessions_valid_after, std::optional<base::TimePoint>(cut));

  auto unknown = Await(people_->SetPassword("usr_nobody", "x", cut));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);
  auto no_hash = Await(people_->PasswordHash("usr_nobody"));
  ASSERT_TRUE(no_hash);
  EXPECT_FALSE(*no_hash);
}

TEST_P(PeopleTest, RenameAndMarkEmailVerified) {
  const User u = SignUp("fay@example.com", "fay");
  auto renamed = Await(people_->Rename(u.id, " Fay Wray "));
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->name, "Fay Wray");
  auto bad = Await(people_->Rename(u.id, ""));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().problem_code, "validation_failed");
  auto unknown = Await(people_->Rename("usr_nobody", "X"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);

  ASSERT_TRUE(Await(people_->MarkEmailVerified(u.id)));
  auto first = Await(people_->FindUser(u.id));
  ASSERT_TRUE(first && *first && (*first)->email_verified_at);
  std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(Await(people_->MarkEmailVerified(u.id)));
  auto second = Await(people_->FindUser(u.id));
  EXPECT_EQ((*second)->email_verified_at, (*first)->email_verified_at) << "the first time stays";
}

TEST_P(PeopleTest, ListUsersPagesByIdWithCursor) {
  Ids ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(SignUp("u" + std::to_string(i) + "@example.com", "u-" + std::to_string(i)).id);
  }
  std::sort(ids.begin(), ids.end());
  Ids seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto page = Await(people_->ListUsers("", after, 2));
    ASSERT_TRUE(page);
    ++pages;
    for (const User& u : page->items) seen.push_back(u.id);
    if (!page->next_cursor) break;
    EXPECT_EQ(*page->next_cursor, page->items.back().id);
    after = *page->next_cursor;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 3);

  auto exact = Await(people_->ListUsers("u3@example.com", "", 50));
  ASSERT_TRUE(exact);
  ASSERT_EQ(exact->items.size(), 1u);
  EXPECT_EQ(exact->items.front().email, "u3@example.com");
  EXPECT_FALSE(exact->next_cursor);
  auto past = Await(people_->ListUsers("u3@example.com", exact->items.front().id, 50));
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->items.empty());
  auto none = Await(people_->ListUsers("u3@example", "", 50));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty()) << "the filter is exact, not a prefix";
}

TEST_P(PeopleTest, SetStatusSuspendsAndReactivates) {
  const User u = SignUp("gus@example.com", "gus");
  auto suspended = Await(people_->SetStatus(u.id, UserStatus::kSuspended));
  ASSERT_TRUE(suspended);
  EXPECT_EQ(suspended->status, UserStatus::kSuspended);
  EXPECT_EQ(Access(u.id, u.personal_tenant_id)->status, UserStatus::kSuspended);
  auto creds = Await(people_->FindCredentials("gus@example.com"));
  ASSERT_TRUE(creds && *creds);
  EXPECT_EQ((*creds)->user.status, UserStatus::kSuspended);

  auto active = Await(people_->SetStatus(u.id, UserStatus::kActive));
  ASSERT_TRUE(active);
  EXPECT_EQ(active->status, UserStatus::kActive);
  EXPECT_EQ(Access(u.id, u.personal_tenant_id)->status, UserStatus::kActive);

  auto unknown = Await(people_->SetStatus("usr_nobody", UserStatus::kSuspended));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);
}

TEST(UserStatusText, RoundTrips) {
  for (UserStatus s : {UserStatus::kActive, UserStatus::kSuspended}) {
    EXPECT_EQ(ParseUserStatus(ToString(s)), s);
  }
  EXPECT_FALSE(ParseUserStatus("deleted"));
  EXPECT_FALSE(ParseUserStatus("Active"));
}

// ---- Memberships ----

TEST_P(PeopleTest, MembershipsOfListsEveryLiveTenantWithItsRole) {
  const User u = SignUp("hal@example.com", "hal");
  const Tenant a = Org("hal-a");
  const Tenant b = Org("hal-b");
  Add(a, u, "admin");
  Add(b, u, "viewer");
  auto memberships = Await(people_->MembershipsOf(u.id));
  ASSERT_TRUE(memberships);
  ASSERT_EQ(memberships->size(), 3u);
  for (const TenantMembership& m : *memberships) {
    if (m.membership.tenant_id == a.id) {
      EXPECT_EQ(m.membership.role, "admin");
      EXPECT_EQ(m.tenant_slug, "hal-a");
      EXPECT_EQ(m.tenant_name, "Org hal-a");
      EXPECT_EQ(m.tenant_kind, "org");
      EXPECT_FALSE(m.membership.is_billing_contact);
    } else if (m.membership.tenant_id == b.id) {
      EXPECT_EQ(m.membership.role, "viewer");
    } else {
      EXPECT_EQ(m.membership.tenant_id, u.personal_tenant_id);
      EXPECT_EQ(m.tenant_kind, "personal");
    }
  }
  ASSERT_TRUE(Await(store_->DeleteTenant(b.id)));
  auto after = Await(people_->MembershipsOf(u.id));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 2u) << "a deleted tenant is no longer listed";
  auto nobody = Await(people_->MembershipsOf("usr_nobody"));
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->empty());
}

TEST_P(PeopleTest, FindUserAccessHoldsTheScopesOfTheRole) {
  const User u = SignUp("ida@example.com", "ida");
  const Tenant org = Org("ida-org");

  std::optional<UserAccess> owner = Access(u.id, u.personal_tenant_id);
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->role, "owner");
  EXPECT_EQ(owner->role_name, "owner");
  EXPECT_TRUE(owner->all_scopes);
  EXPECT_EQ(owner->user_id, u.id);
  EXPECT_EQ(owner->tenant_id, u.personal_tenant_id);

  EXPECT_FALSE(Access(u.id, org.id)) << "not a member";
  EXPECT_FALSE(Access("usr_nobody", org.id));

  Add(org, u, "admin");
  std::optional<UserAccess> admin = Access(u.id, org.id);
  ASSERT_TRUE(admin);
  EXPECT_FALSE(admin->all_scopes);
  Ids all_but_billing;
  for (const std::string& s : AllScopes()) {
    if (!s.starts_with("billing:")) all_but_billing.push_back(s);
  }
  EXPECT_EQ(admin->scopes, all_but_billing);

  auto member = Await(people_->UpdateMember(org.id, u.id, RolePatch("member")));
  ASSERT_TRUE(member);
  std::optional<UserAccess> as_member = Access(u.id, org.id);
  ASSERT_TRUE(as_member);
  for (const std::string& s : AllScopes()) {
    const bool expected = s.ends_with(":read") || s == "products:write" || s == "files:write";
    EXPECT_EQ(std::count(as_member->scopes.begin(), as_member->scopes.end(), s), expected ? 1 : 0)
        << s;
  }

  ASSERT_TRUE(Await(people_->UpdateMember(org.id, u.id, RolePatch("viewer"))));
  std::optional<UserAccess> viewer = Access(u.id, org.id);
  ASSERT_TRUE(viewer);
  EXPECT_FALSE(viewer->scopes.empty());
  for (const std::string& s : viewer->scopes) EXPECT_TRUE(s.ends_with(":read")) << s;

  const Role custom = MustCreateRole(org, "Auditor", {"sessions:read", "keys:read"});
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, u.id, RolePatch(custom.id))));
  std::optional<UserAccess> audited = Access(u.id, org.id);
  ASSERT_TRUE(audited);
  EXPECT_EQ(audited->role, custom.id);
  EXPECT_EQ(audited->role_name, "Auditor");
  EXPECT_FALSE(audited->all_scopes);
  EXPECT_EQ(audited->scopes, (Ids{"keys:read", "sessions:read"}));

  // A role change takes effect on the next lookup.
  ASSERT_TRUE(Await(people_->UpdateRole(org.id, custom.id, std::nullopt, Ids{"files:read"})));
  EXPECT_EQ(Access(u.id, org.id)->scopes, Ids{"files:read"});
}

TEST(BuiltInRoles, AreFixed) {
  for (std::string_view r : kBuiltInRoles) EXPECT_TRUE(IsBuiltInRole(r)) << r;
  EXPECT_FALSE(IsBuiltInRole("Owner"));
  EXPECT_FALSE(IsBuiltInRole("rol_x"));
  EXPECT_EQ(BuiltInRoleScopes("owner"), AllScopes());
  EXPECT_TRUE(BuiltInRoleScopes("superuser").empty());
}

TEST_P(PeopleTest, UpdateMemberChangesRoleAndContacts) {
  const User owner = SignUp("jon@example.com", "jon");
  const User other = SignUp("kim@example.com", "kim");
  const Tenant org = Org("jon-org");
  Add(org, owner, "owner");
  Add(org, other, "member");

  auto updated = Await(people_->UpdateMember(org.id, other.id, [] {
    MemberPatch p = RolePatch("admin");
    p.is_primary_contact = true;
    p.is_billing_contact = true;
    return p;
  }()));
  ASSERT_TRUE(updated) << updated.error().problem_code;
  EXPECT_EQ(updated->membership.role, "admin");
  EXPECT_TRUE(updated->membership.is_primary_contact);
  EXPECT_TRUE(updated->membership.is_billing_contact);
  EXPECT_EQ(updated->email, "kim@example.com");
  EXPECT_EQ(updated->membership.user_id, other.id);

  auto contacts_only = Await(people_->UpdateMember(org.id, other.id, BillingPatch(false)));
  ASSERT_TRUE(contacts_only);
  EXPECT_EQ(contacts_only->membership.role, "admin") << "the role stays";
  EXPECT_TRUE(contacts_only->membership.is_primary_contact);
  EXPECT_FALSE(contacts_only->membership.is_billing_contact);

  auto unknown_role = Await(people_->UpdateMember(org.id, other.id, RolePatch("superuser")));
  ASSERT_FALSE(unknown_role);
  EXPECT_EQ(unknown_role.error().problem_code, "validation_failed");
  // Another tenant's custom role is unknown here.
  const Role foreign = MustCreateRole(Org("elsewhere"), "Foreign", {"files:read"});
  auto foreign_role = Await(people_->UpdateMember(org.id, other.id, RolePatch(foreign.id)));
  ASSERT_FALSE(foreign_role);
  EXPECT_EQ(foreign_role.error().problem_code, "validation_failed");

  auto stranger = Await(people_->UpdateMember(org.id, "usr_nobody", RolePatch("viewer")));
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, base::ErrorCode::kNotFound);

  auto members = Await(people_->Members(org.id));
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 2u);
}

TEST_P(PeopleTest, TheLastOwnerCanBeNeitherDemotedNorRemoved) {
  const User a = SignUp("lea@example.com", "lea");
  const User b = SignUp("max@example.com", "max");
  const Tenant org = Org("lea-org");
  Add(org, a, "owner");
  Add(org, b, "member");

  auto demote = Await(people_->UpdateMember(org.id, a.id, RolePatch("admin")));
  ASSERT_FALSE(demote);
  EXPECT_EQ(demote.error().problem_code, "last_owner");
  EXPECT_EQ(demote.error().code, base::ErrorCode::kAlreadyExists);  // 409
  auto remove = Await(people_->RemoveMember(org.id, a.id));
  ASSERT_FALSE(remove);
  EXPECT_EQ(remove.error().problem_code, "last_owner");
  EXPECT_EQ(Access(a.id, org.id)->role, "owner") << "nothing changed";
  // Keeping the owner an owner is no demotion.
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, a.id, RolePatch("owner"))));

  // With a second owner, either may go.
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, b.id, RolePatch("owner"))));
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, a.id, RolePatch("viewer"))));
  auto b_demote = Await(people_->UpdateMember(org.id, b.id, RolePatch("viewer")));
  ASSERT_FALSE(b_demote);
  EXPECT_EQ(b_demote.error().problem_code, "last_owner");
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, a.id, RolePatch("owner"))));
  ASSERT_TRUE(Await(people_->RemoveMember(org.id, b.id)));
  EXPECT_FALSE(Access(b.id, org.id));
  auto last = Await(people_->RemoveMember(org.id, a.id));
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().problem_code, "last_owner");
}

TEST_P(PeopleTest, TwoOwnersLeavingAtOnceLeaveOne) {
  const User a = SignUp("ned@example.com", "ned");
  const User b = SignUp("ola@example.com", "ola");
  const Tenant org = Org("ned-org");
  Add(org, a, "owner");
  Add(org, b, "owner");
  auto other = OpenStore();
  ASSERT_TRUE(other);
  People other_people(*other);
  std::vector<std::string> outcomes(2);
  RunConcurrently(2, [&](int i) {
    // One demotes itself through this store, the other leaves through another.
    if (i == 0) {
      auto r = Await(people_->UpdateMember(org.id, a.id, RolePatch("member")));
      outcomes[0] = r ? "ok" : r.error().problem_code;
    } else {
      auto r = Await(other_people.RemoveMember(org.id, b.id));
      outcomes[1] = r ? "ok" : r.error().problem_code;
    }
  });
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (Ids{"last_owner", "ok"}));
  auto members = Await(people_->Members(org.id));
  ASSERT_TRUE(members);
  EXPECT_EQ(std::count_if(members->begin(), members->end(),
                          [](const Member& m) { return m.membership.role == "owner"; }),
            1);
}

TEST_P(PeopleTest, RemoveMemberOfANonMemberIsNotFound) {
  const User u = SignUp("pia@example.com", "pia");
  const Tenant org = Org("pia-org");
  Add(org, u, "owner");
  auto removed = Await(people_->RemoveMember(org.id, "usr_nobody"));
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, base::ErrorCode::kNotFound);
}

TEST_P(PeopleTest, AddMemberTwiceIsAlreadyMember) {
  const User u = SignUp("quin@example.com", "quin");
  const Tenant org = Org("quin-org");
  Add(org, u, "member");
  auto again = Await(people_->AddMember(org.id, u.id, "viewer"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().problem_code, "already_member");
  EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(Access(u.id, org.id)->role, "member") << "the first role stays";
}

TEST_P(PeopleTest, APersonalTenantIsNeverShared) {
  const User owner = SignUp("solo@example.com", "solo");
  const User other = SignUp("guest@example.com", "guest");
  auto added = Await(people_->AddMember(owner.personal_tenant_id, other.id, "viewer"));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().problem_code, "personal_tenant");
  EXPECT_EQ(added.error().code, base::ErrorCode::kFailedPrecondition);  // 409
  auto invited =
      Await(people_->CreateInvite(owner.personal_tenant_id, "guest@example.com", "viewer", owner.id,
                                  crypto::Sha256Hex("solo"), WallNow() + hours(1)));
  ASSERT_FALSE(invited);
  EXPECT_EQ(invited.error().problem_code, "personal_tenant");
  EXPECT_FALSE(Access(other.id, owner.personal_tenant_id));

  auto unknown = Await(people_->AddMember("ten_nobody", other.id, "viewer"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, base::ErrorCode::kNotFound);
}

// ---- Roles ----

TEST_P(PeopleTest, RolesListsBuiltInsThenCustomOnes) {
  const Tenant org = Org("roles");
  const Role custom = MustCreateRole(org, " Support ", {"sessions:read", "keys:read", "keys:read"});
  EXPECT_TRUE(custom.id.starts_with("rol_")) << custom.id;
  EXPECT_EQ(custom.name, "Support");
  EXPECT_EQ(custom.scopes, (Ids{"keys:read", "sessions:read"})) << "sorted, without repeats";
  EXPECT_FALSE(custom.built_in);

  auto roles = Await(people_->Roles(org.id));
  ASSERT_TRUE(roles);
  ASSERT_EQ(roles->size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*roles)[i].id, kBuiltInRoles[i]);
    EXPECT_EQ((*roles)[i].name, kBuiltInRoles[i]);
    EXPECT_TRUE((*roles)[i].built_in);
  }
  EXPECT_EQ((*roles)[4].id, custom.id);
  EXPECT_EQ((*roles)[4].scopes, custom.scopes);
  EXPECT_EQ((*roles)[4].created_at, custom.created_at);

  auto other = Await(people_->Roles(Org("other").id));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 4u) << "custom roles belong to their tenant";

  EXPECT_TRUE(*Await(people_->RoleExists(org.id, "viewer")));
  EXPECT_TRUE(*Await(people_->RoleExists(org.id, custom.id)));
  EXPECT_FALSE(*Await(people_->RoleExists(org.id, "Support")));
  EXPECT_FALSE(*Await(people_->RoleExists(Org("third").id, custom.id)));
}

TEST_P(PeopleTest, CreateRoleValidatesNameAndScopes) {
  const Tenant org = Org("validate");
  MustCreateRole(org, "Support", {"files:read"});
  auto taken = Await(people_->CreateRole(org.id, "Support", {"keys:read"}));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().problem_code, "role_exists");
  EXPECT_EQ(taken.error().code, base::ErrorCode::kAlreadyExists);
  // The same name in another tenant is fine.
  MustCreateRole(Org("validate-2"), "Support", {"files:read"});

  auto field = [&](const std::string& name, const Ids& scopes) -> std::string {
    auto r = Await(people_->CreateRole(org.id, name, scopes));
    if (r) return "created";
    EXPECT_EQ(r.error().problem_code, "validation_failed");
    return r.error().field_errors.empty() ? "" : r.error().field_errors.front().field;
  };
  EXPECT_EQ(field("Empty", {}), "scopes");
  EXPECT_EQ(field("Unknown", {"files:delete"}), "scopes");
  EXPECT_EQ(field("Star", {"*:read"}), "scopes");
  Ids too_many(33, "files:read");
  EXPECT_EQ(field("Many", too_many), "scopes");
  EXPECT_EQ(field("", {"files:read"}), "name");
  EXPECT_EQ(field("owner", {"files:read"}), "name");
  EXPECT_EQ(field(" admin ", {"files:read"}), "name");
  auto roles = Await(people_->Roles(org.id));
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->size(), 5u) << "nothing invalid was stored";
}

TEST_P(PeopleTest, UpdateRoleRenamesAndRescopes) {
  const Tenant org = Org("update-role");
  const Role a = MustCreateRole(org, "Alpha", {"files:read"});
  MustCreateRole(org, "Beta", {"files:read"});

  auto renamed = Await(people_->UpdateRole(org.id, a.id, std::string("Gamma"), std::nullopt));
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->name, "Gamma");
  EXPECT_EQ(renamed->scopes, Ids{"files:read"});
  auto rescoped =
      Await(people_->UpdateRole(org.id, a.id, std::nullopt, Ids{"products:write", "files:write"}));
  ASSERT_TRUE(rescoped);
  EXPECT_EQ(rescoped->name, "Gamma");
  EXPECT_EQ(rescoped->scopes, (Ids{"files:write", "products:write"}));

  auto clash = Await(people_->UpdateRole(org.id, a.id, std::string("Beta"), std::nullopt));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().problem_code, "role_exists");
  auto bad = Await(people_->UpdateRole(org.id, a.id, std::nullopt, Ids{"nope"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().problem_code, "validation_failed");
  auto builtin = Await(people_->UpdateRole(org.id, "admin", std::string("Boss"), std::nullopt));
  ASSERT_FALSE(builtin);
  EXPECT_EQ(builtin.error().code, base::ErrorCode::kNotFound) << "built-in roles are fixed";
  auto foreign =
      Await(people_->UpdateRole(Org("foreign").id, a.id, std::string("X"), std::nullopt));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, base::ErrorCode::kNotFound);
  auto roles = Await(people_->Roles(org.id));
  ASSERT_TRUE(roles);
  EXPECT_EQ(
      std::count_if(roles->begin(), roles->end(), [](const Role& r) { return r.name == "Gamma"; }),
      1)
      << "another tenant cannot rename it";
}

TEST_P(PeopleTest, DeleteRoleIsRefusedWhileAMemberOrInviteHoldsIt) {
  const User u = SignUp("rob@example.com", "rob");
  const Tenant org = Org("del-role");
  const Role role = MustCreateRole(org, "Temp", {"files:read"});
  Add(org, u, role.id);

  auto held = Await(people_->DeleteRole(org.id, role.id));
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().problem_code, "in_use");
  EXPECT_EQ(held.error().code, base::ErrorCode::kAlreadyExists);

  ASSERT_TRUE(Await(people_->UpdateMember(org.id, u.id, RolePatch("viewer"))));
  const Invite invite =
      MustInvite(org, "new@example.com", role.id, crypto::Sha256Hex("inv"), WallNow() + hours(1));
  auto invited = Await(people_->DeleteRole(org.id, role.id));
  ASSERT_FALSE(invited);
  EXPECT_EQ(invited.error().problem_code, "in_use");

  ASSERT_TRUE(*Await(people_->DeleteInvite(org.id, invite.id)));
  auto foreign = Await(people_->DeleteRole(Org("not-its").id, role.id));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, base::ErrorCode::kNotFound);
  ASSERT_TRUE(Await(people_->DeleteRole(org.id, role.id)));
  auto gone = Await(people_->DeleteRole(org.id, role.id));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, base::ErrorCode::kNotFound);
  EXPECT_FALSE(*Await(people_->RoleExists(org.id, role.id)));
}

TEST_P(PeopleTest, AnExpiredInviteDoesNotHoldARole) {
  const Tenant org = Org("expired-holds");
  const Role role = MustCreateRole(org, "Temp", {"files:read"});
  MustInvite(org, "late@example.com", role.id, crypto::Sha256Hex("late"), WallNow() - seconds(1));
  EXPECT_TRUE(Await(people_->DeleteRole(org.id, role.id)))
      << "an invite that can no longer be accepted";
}

// ---- One-time tokens ----

TEST_P(PeopleTest, UserTokensAreSingleUseAndOfOnePurpose) {
  const User u = SignUp("sam@example.com", "sam");
  const std::string hash = crypto::Sha256Hex("reset-token");
  ASSERT_TRUE(Await(people_->AddUserToken("reset", u.id, hash, WallNow() + hours(1))));
  auto wrong_purpose = Await(people_->ConsumeUserToken("verify", hash));
  ASSERT_TRUE(wrong_purpose);
  EXPECT_FALSE(*wrong_purpose);
  auto first = Await(people_->ConsumeUserToken("reset", hash));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, std::optional<std::string>(u.id));
  auto second = Await(people_->ConsumeUserToken("reset", hash));
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second) << "used";
  auto unknown = Await(people_->ConsumeUserToken("reset", crypto::Sha256Hex("other")));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  EXPECT_FALSE(
      Await(people_->AddUserToken("login", u.id, crypto::Sha256Hex("x"), WallNow() + hours(1))))
      << "purposes are a closed set";
}

TEST_P(PeopleTest, ExpiredUserTokensAreRefused) {
  const User u = SignUp("tia@example.com", "tia");
  const std::string past = crypto::Sha256Hex("past");
  ASSERT_TRUE(Await(people_->AddUserToken("verify", u.id, past, WallNow() - seconds(1))));
  EXPECT_FALSE(*Await(people_->ConsumeUserToken("verify", past)));

  const std::string soon = crypto::Sha256Hex("soon");
  ASSERT_TRUE(Await(people_->AddUserToken("verify", u.id, soon, WallNow() + milliseconds(150))));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(*Await(people_->ConsumeUserToken("verify", soon)));
}

TEST_P(PeopleTest, ConcurrentConsumersOfOneTokenHaveOneWinner) {
  const User u = SignUp("uma@example.com", "uma");
  auto other = OpenStore();
  ASSERT_TRUE(other);
  People other_people(*other);
  for (int round = 0; round < 5; ++round) {
    const std::string hash = crypto::Sha256Hex("race-" + std::to_string(round));
    ASSERT_TRUE(Await(people_->AddUserToken("reset", u.id, hash, WallNow() + hours(1))));
    std::atomic<int> wins{0};
    RunConcurrently(4, [&](int i) {
      // Two through this store, two through another (another process).
      People& people = i % 2 == 0 ? *people_ : other_people;
      auto r = Await(people.ConsumeUserToken("reset", hash));
      ASSERT_TRUE(r) << r.error().log_detail;
      if (*r) {
        EXPECT_EQ(**r, u.id);
        ++wins;
      }
    });
    EXPECT_EQ(wins.load(), 1) << "round " << round;
  }
}

// ---- Invites ----

TEST_P(PeopleTest, InvitesArePendingUntilAcceptedExpiredOrDeleted) {
  const User inviter = SignUp("vic@example.com", "vic");
  const Tenant org = Org("inv-org");
  const Tenant other = Org("inv-other");
  auto created = Await(people_->CreateInvite(org.id, "New@Example.com", "member", inviter.id,
                                             crypto::Sha256Hex("t1"), WallNow() + hours(24)));
  ASSERT_TRUE(created);
  EXPECT_TRUE(created->id.starts_with("inv_")) << created->id;
  EXPECT_EQ(created->email, "new@example.com") << "emails are stored lower-cased";
  EXPECT_EQ(created->invited_by, inviter.id);
  const Invite second =
      MustInvite(org, "two@example.com", "viewer", crypto::Sha256Hex("t2"), WallNow() + hours(24));
  MustInvite(org, "expired@example.com", "viewer", crypto::Sha256Hex("t3"), WallNow() - seconds(1));

  auto pending = Await(people_->Invites(org.id));
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u) << "the expired one is not pending";
  EXPECT_EQ((*pending)[0].id, created->id);
  EXPECT_EQ((*pending)[1].id, second.id);
  EXPECT_EQ((*pending)[0].expires_at, created->expires_at);

  auto found = Await(people_->FindInvite(crypto::Sha256Hex("t1")));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, created->id);
  EXPECT_EQ((*found)->role, "member");
  EXPECT_FALSE(*Await(people_->FindInvite(crypto::Sha256Hex("t3")))) << "expired";
  EXPECT_FALSE(*Await(people_->FindInvite(crypto::Sha256Hex("nope"))));

  EXPECT_FALSE(*Await(people_->DeleteInvite(other.id, second.id))) << "not that tenant's";
  EXPECT_TRUE(*Await(people_->DeleteInvite(org.id, second.id)));
  EXPECT_FALSE(*Await(people_->DeleteInvite(org.id, second.id)));
  EXPECT_FALSE(*Await(people_->FindInvite(crypto::Sha256Hex("t2")))) << "deleted";
  EXPECT_EQ(Await(people_->Invites(org.id))->size(), 1u);
}

TEST_P(PeopleTest, AnInviteFoundBeforeItExpiresIsNotFoundAfter) {
  const Tenant org = Org("inv-expiry");
  const std::string hash = crypto::Sha256Hex("short");
  MustInvite(org, "x@example.com", "viewer", hash, WallNow() + milliseconds(200));
  auto before = Await(people_->FindInvite(hash));
  ASSERT_TRUE(before && *before);
  std::this_thread::sleep_for(milliseconds(350));
  EXPECT_FALSE(*Await(people_->FindInvite(hash)));
  EXPECT_TRUE(Await(people_->Invites(org.id))->empty());
  const User u = SignUp("x@example.com", "x-personal");
  auto accepted = Await(people_->AcceptInvite(**before, u.id));
  ASSERT_TRUE(accepted);
  EXPECT_FALSE(*accepted) << "an invite found in time cannot be accepted once expired";
  EXPECT_FALSE(Access(u.id, org.id));
}

TEST_P(PeopleTest, AcceptInviteMakesAMemberOnce) {
  const User u = SignUp("wes@example.com", "wes");
  const Tenant org = Org("accept");
  const std::string hash = crypto::Sha256Hex("accept-me");
  MustInvite(org, "wes@example.com", "admin", hash, WallNow() + hours(1));
  auto invite = Await(people_->FindInvite(hash));
  ASSERT_TRUE(invite && *invite);
  auto accepted = Await(people_->AcceptInvite(**invite, u.id));
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(*accepted);
  EXPECT_EQ(Access(u.id, org.id)->role, "admin");
  EXPECT_FALSE(*Await(people_->FindInvite(hash))) << "used";
  EXPECT_TRUE(Await(people_->Invites(org.id))->empty());
  auto again = Await(people_->AcceptInvite(**invite, u.id));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  // Accepting while already a member fails and leaves the invite pending.
  const std::string hash2 = crypto::Sha256Hex("accept-me-too");
  MustInvite(org, "wes@example.com", "viewer", hash2, WallNow() + hours(1));
  auto invite2 = Await(people_->FindInvite(hash2));
  ASSERT_TRUE(invite2 && *invite2);
  auto member_already = Await(people_->AcceptInvite(**invite2, u.id));
  ASSERT_FALSE(member_already);
  EXPECT_EQ(member_already.error().problem_code, "already_member");
  EXPECT_TRUE(*Await(people_->FindInvite(hash2)));
  EXPECT_EQ(Access(u.id, org.id)->role, "admin");
}

TEST_P(PeopleTest, ConcurrentAcceptsOfOneInviteHaveOneWinner) {
  const Tenant org = Org("accept-race");
  std::vector<User> users;
  for (int i = 0; i < 4; ++i) {
    users.push_back(
        SignUp("racer" + std::to_string(i) + "@example.com", "racer-" + std::to_string(i)));
  }
  auto other = OpenStore();
  ASSERT_TRUE(other);
  People other_people(*other);
  const std::string hash = crypto::Sha256Hex("one-seat");
  MustInvite(org, "racer@example.com", "member", hash, WallNow() + hours(1));
  auto invite = Await(people_->FindInvite(hash));
  ASSERT_TRUE(invite && *invite);
  std::atomic<int> wins{0};
  RunConcurrently(4, [&](int i) {
    People& people = i % 2 == 0 ? *people_ : other_people;
    auto r = Await(people.AcceptInvite(**invite, users[i].id));
    ASSERT_TRUE(r) << r.error().log_detail;
    if (*r) ++wins;
  });
  EXPECT_EQ(wins.load(), 1);
  auto members = Await(people_->Members(org.id));
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), 1u);
}

// ---- Accounts ----

TEST_P(PeopleTest, MayUseOwnAccountOrOneTheyAreBillingContactOf) {
  const User a = SignUp("xia@example.com", "xia");
  const User b = SignUp("yan@example.com", "yan");
  EXPECT_TRUE(*Await(people_->MayUseAccount(a.id, a.account_id)));
  EXPECT_FALSE(*Await(people_->MayUseAccount(b.id, a.account_id)));
  EXPECT_FALSE(*Await(people_->MayUseAccount(a.id, "acc_nobody")));

  const Tenant org = Org("xia-org", a.account_id);
  Add(org, b, "admin");
  EXPECT_FALSE(*Await(people_->MayUseAccount(b.id, a.account_id))) << "a member only";
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, b.id, BillingPatch(true))));
  EXPECT_TRUE(*Await(people_->MayUseAccount(b.id, a.account_id)));
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, b.id, BillingPatch(false))));
  EXPECT_FALSE(*Await(people_->MayUseAccount(b.id, a.account_id)));
  ASSERT_TRUE(Await(people_->UpdateMember(org.id, b.id, BillingPatch(true))));
  ASSERT_TRUE(Await(store_->DeleteTenant(org.id)));
  EXPECT_FALSE(*Await(people_->MayUseAccount(b.id, a.account_id)))
      << "a deleted tenant makes no one a billing contact";

  auto none = Await(people_->FindAccount("acc_nobody"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// ---- The change journal: what the auth caches drop ----

TEST_P(PeopleTest, ThisStoreNotesEveryChangeACacheMayHold) {
  const User u = SignUp("zed@example.com", "zed");
  const Tenant org = Org("zed-org");
  const User other = SignUp("zoe@example.com", "zoe");
  Add(org, other, "owner");
  const Role role = MustCreateRole(org, "Custom", {"files:read"});

  auto after = [&](const std::function<void()>& change) {
    const uint64_t g = store_->Generation();
    change();
    EXPECT_GT(store_->Generation(), g);
    return store_->ChangesSince(g).tenant_ids;
  };
  EXPECT_TRUE(Contains(
      after([&] { ASSERT_TRUE(Await(people_->SetStatus(u.id, UserStatus::kSuspended))); }), u.id));
  EXPECT_TRUE(Contains(
      after([&] { ASSERT_TRUE(Await(people_->SetPassword(u.id, "h2", WallNow()))); }), u.id));
  EXPECT_TRUE(Contains(
      after([&] { ASSERT_TRUE(Await(people_->AddMember(org.id, u.id, "member"))); }), org.id));
  EXPECT_TRUE(Contains(
      after([&] { ASSERT_TRUE(Await(people_->UpdateMember(org.id, u.id, RolePatch(role.id)))); }),
      org.id));
  EXPECT_TRUE(Contains(
      after([&] {
        ASSERT_TRUE(Await(people_->UpdateRole(org.id, role.id, std::nullopt, Ids{"keys:read"})));
      }),
      org.id));
  EXPECT_TRUE(
      Contains(after([&] { ASSERT_TRUE(Await(people_->RemoveMember(org.id, u.id))); }), org.id));
  EXPECT_TRUE(
      Contains(after([&] { ASSERT_TRUE(Await(people_->DeleteRole(org.id, role.id))); }), org.id));
  const std::string hash = crypto::Sha256Hex("journal-invite");
  MustInvite(org, "zed@example.com", "viewer", hash, WallNow() + hours(1));
  const Invite invite = **Await(people_->FindInvite(hash));
  EXPECT_TRUE(
      Contains(after([&] { ASSERT_TRUE(*Await(people_->AcceptInvite(invite, u.id))); }), org.id));
}

TEST_P(PeopleTest, AnotherStoreLearnsWhichUserOrTenantChanged) {
  const User u = SignUp("amy@example.com", "amy");
  const Tenant org = Org("amy-org");
  const User owner = SignUp("ben@example.com", "ben");
  Add(org, owner, "owner");
  const Role role = MustCreateRole(org, "Custom", {"files:read"});
  // The writer is another process: its changes reach `reader` only through
  // the log its triggers wrote.
  auto writer_store = OpenStore();
  ASSERT_TRUE(writer_store);
  People writer(*writer_store);
  auto reader = OpenStore();
  ASSERT_TRUE(reader);
  EXPECT_FALSE(Learns(*reader, 0)) << "the first read drops everything";

  auto learns = [&](const std::function<void()>& change) {
    const uint64_t g = reader->Generation();
    change();
    return Learns(*reader, g);
  };
  EXPECT_EQ(learns([&] { ASSERT_TRUE(Await(writer.SetStatus(u.id, UserStatus::kSuspended))); }),
            Ids{u.id});
  EXPECT_EQ(learns([&] { ASSERT_TRUE(Await(writer.SetPassword(u.id, "h2", WallNow()))); }),
            Ids{u.id});
  EXPECT_EQ(learns([&] { ASSERT_TRUE(Await(writer.AddMember(org.id, u.id, "member"))); }),
            Ids{org.id});
  EXPECT_EQ(
      learns([&] { ASSERT_TRUE(Await(writer.UpdateMember(org.id, u.id, RolePatch(role.id)))); }),
      Ids{org.id});
  // Renamed and rescoped: two statements, two entries of the tenant.
  EXPECT_EQ(learns([&] {
              ASSERT_TRUE(Await(
                  writer.UpdateRole(org.id, role.id, std::string("Renamed"), Ids{"keys:read"})));
            }),
            (Ids{org.id, org.id}));
  EXPECT_EQ(learns([&] { ASSERT_TRUE(Await(writer.RemoveMember(org.id, u.id))); }), Ids{org.id});
  EXPECT_EQ(learns([&] { ASSERT_TRUE(Await(writer.DeleteRole(org.id, role.id))); }), Ids{org.id});
  const std::string hash = crypto::Sha256Hex("cross-invite");
  MustInvite(org, "amy@example.com", "viewer", hash, WallNow() + hours(1));
  const Invite invite = **Await(people_->FindInvite(hash));
  EXPECT_EQ(learns([&] { ASSERT_TRUE(*Await(writer.AcceptInvite(invite, u.id))); }), Ids{org.id});
  // What caches do not hold changes nothing they would drop.
  EXPECT_EQ(learns([&] {
              ASSERT_TRUE(Await(writer.RecordSignIn(u.id, org.id, true)));
              ASSERT_TRUE(Await(writer.MarkEmailVerified(u.id)));
            }),
            Ids{});
}

}  // namespace
}  // namespace tenantd::control
