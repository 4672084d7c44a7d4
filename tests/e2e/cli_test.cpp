// The command line (api.md §9): `tenantd tenant …`, `tenantd user …` and `tenantd version`
// against a data dir, alone and next to a running server on the same dir.
#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "base/version.h"
#include "support/people.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace json = boost::json;

class Cli : public ::testing::Test {
 protected:
  // `tenantd <args> --data DIR`
  CommandResult Tenantd(std::vector<std::string> args) {
    args.push_back("--data");
    args.push_back(dir_.data_dir().string());
    return RunTenantd(args);
  }

  // Runs a command that must succeed and print one JSON document.
  json::value TenantdJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Tenantd(args);
    if (r.exit_code != 0) {
      throw std::runtime_error("exit " + std::to_string(r.exit_code) + ": " + r.err + r.out);
    }
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    if (ec) throw std::runtime_error("not one JSON document: " + r.out);
    return v;
  }

  // The tenant object of `show --json` ({"tenant":{…}} or the bare object).
  json::value Show(const std::string& id_or_slug) {
    json::value v = TenantdJson({"tenant", "show", id_or_slug});
    const json::value* tenant = FindPath(v, "tenant");
    return tenant != nullptr ? *tenant : v;
  }

  std::vector<std::string> ListedSlugs() {
    std::vector<std::string> slugs;
    json::value v = TenantdJson({"tenant", "list"});
    for (const json::value& t : v.at("data").as_array()) slugs.push_back(StringAt(t, "slug"));
    return slugs;
  }

  TestServer dir_;  // used for its data dir; started only where a test says so
};

::testing::AssertionResult FailsWithOneLine(const CommandResult& r) {
  if (r.timed_out) return ::testing::AssertionFailure() << "timed out";
  if (r.exit_code == 0) return ::testing::AssertionFailure() << "exit code 0; stdout: " << r.out;
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  if (err.empty() || err.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "stderr is not one line:\n" << r.err;
  }
  return ::testing::AssertionSuccess() << err;
}

TEST(CliVersion, PrintsTheVersion) {
  CommandResult r = RunTenantd({"version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(base::kVersion), std::string::npos) << r.out;
}

// Issue 12, newcomer papercuts: `tenantd --version` said "A subcommand is
// required"; serve --help did not list --data/--config/--json, showed
// integers as TEXT, and every command repeated the environment block.
TEST(CliVersion, VersionFlagPrintsTheVersion) {
  CommandResult r = RunTenantd({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("tenantd ") + base::kVersion + "\n");
}

std::size_t Count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(CliHelp, ServeHelpListsEveryOptionItTakesAndTheEnvironmentOnce) {
  CommandResult serve = RunTenantd({"serve", "--help"});
  ASSERT_EQ(serve.exit_code, 0) << serve.err;
  for (const char* flag : {"--data", "--config", "--json", "--port INT", "--host TEXT",
                           "--header-timeout INT", "--log-json"}) {
    EXPECT_NE(serve.out.find(flag), std::string::npos) << flag << " in\n" << serve.out;
  }
  EXPECT_EQ(serve.out.find("--port TEXT"), std::string::npos) << serve.out;
  EXPECT_EQ(Count(serve.out, "Environment variables"), 1u) << serve.out;

  CommandResult top = RunTenantd({"--help"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(Count(top.out, "Environment variables"), 1u) << top.out;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tenant", "create", "--help"},
        {"migrate", "--help"},
        {"backup", "--help"}}) {
    CommandResult r = RunTenantd(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Count(r.out, "Environment variables"), 0u) << args[0] << "\n" << r.out;
  }
}

// Every command, groups and subcommands alike, lists --data and --config
// in its --help (issue 19): an operator reading the help of any command
// learns where it looks.
TEST(CliHelp, EveryCommandListsDataAndConfig) {
  const std::vector<std::vector<std::string>> commands = {{},
                                                          {"serve"},
                                                          {"tenant"},
                                                          {"tenant", "create"},
                                                          {"tenant", "list"},
                                                          {"tenant", "show"},
                                                          {"tenant", "suspend"},
                                                          {"tenant", "activate"},
                                                          {"tenant", "delete"},
                                                          {"tenant", "rotate-secret"},
                                                          {"migrate"},
                                                          {"migrate", "status"},
                                                          {"migrate", "drift"},
                                                          {"migrate", "control"},
                                                          {"backup"},
                                                          {"backup", "verify"},
                                                          {"restore"},
                                                          {"user"},
                                                          {"user", "list"},
                                                          {"user", "show"},
                                                          {"user", "suspend"},
                                                          {"user", "activate"},
                                                          {"version"}};
  for (std::vector<std::string> args : commands) {
    const std::string name = args.empty() ? "tenantd" : args.back();
    args.push_back("--help");
    CommandResult r = RunTenantd(args);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("--data"), std::string::npos) << name << "\n" << r.out;
    EXPECT_NE(r.out.find("--config"), std::string::npos) << name << "\n" << r.out;
  }
}

TEST_F(Cli, CreatePrintsTheCredentials) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "human", "--name", "Human Co"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ak_"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("human"), std::string::npos) << r.out;
}

TEST_F(Cli, CreateWithJsonPrintsTenantAndCredentials) {
  json::value v = TenantdJson({"tenant", "create", "--slug", "jsonco", "--name", "Json Co"});
  EXPECT_TRUE(StringAt(v, "tenant.id").starts_with("ten_")) << v;
  EXPECT_EQ(StringAt(v, "tenant.slug"), "jsonco");
  EXPECT_EQ(StringAt(v, "tenant.name"), "Json Co");
  EXPECT_EQ(StringAt(v, "tenant.plan"), "free");
  EXPECT_EQ(StringAt(v, "tenant.status"), "active");
  EXPECT_EQ(StringAt(v, "tenant.isolation"), "database");
  EXPECT_TRUE(IsRfc3339Millis(StringAt(v, "tenant.created_at"))) << v;
  EXPECT_TRUE(StringAt(v, "credentials.app_key").starts_with("ak_")) << v;
  EXPECT_GE(StringAt(v, "credentials.app_secret").size(), 32u) << v;
}

TEST_F(Cli, CreateHonoursThePlan) {
  json::value v =
      TenantdJson({"tenant", "create", "--slug", "bigco", "--name", "Big", "--plan", "enterprise"});
  EXPECT_EQ(StringAt(v, "tenant.plan"), "enterprise");
}

TEST_F(Cli, SecretIsShownOnlyOnceAndNotStored) {
  json::value v = TenantdJson({"tenant", "create", "--slug", "once", "--name", "Once"});
  std::string secret = StringAt(v, "credentials.app_secret");
  ASSERT_FALSE(secret.empty());
  const std::vector<std::vector<std::string>> commands = {{"tenant", "show", "once"},
                                                          {"tenant", "show", "once", "--json"},
                                                          {"tenant", "list"},
                                                          {"tenant", "list", "--json"}};
  for (const std::vector<std::string>& args : commands) {
    CommandResult r = Tenantd(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << args[1] << " printed the secret";
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.data_dir())) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadFile(entry.path()).find(secret), std::string::npos) << entry.path();
  }
}

TEST_F(Cli, ListShowsTenantsInCreationOrder) {
  for (const char* slug : {"first", "second", "third"}) {
    ASSERT_EQ(Tenantd({"tenant", "create", "--slug", slug, "--name", slug}).exit_code, 0);
  }
  EXPECT_EQ(ListedSlugs(), (std::vector<std::string>{"first", "second", "third"}));
  CommandResult human = Tenantd({"tenant", "list"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  for (const char* slug : {"first", "second", "third"}) {
    EXPECT_NE(human.out.find(slug), std::string::npos) << human.out;
  }
}

TEST_F(Cli, ShowFindsATenantByIdOrSlug) {
  json::value created = TenantdJson({"tenant", "create", "--slug", "showme", "--name", "Show"});
  std::string id = StringAt(created, "tenant.id");
  EXPECT_EQ(StringAt(Show(id), "slug"), "showme");
  EXPECT_EQ(StringAt(Show("showme"), "id"), id);
  CommandResult human = Tenantd({"tenant", "show", "showme"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find(id), std::string::npos) << human.out;
}

TEST_F(Cli, SuspendAndActivateChangeTheStatus) {
  std::string id =
      StringAt(TenantdJson({"tenant", "create", "--slug", "toggle", "--name", "T"}), "tenant.id");
  ASSERT_EQ(Tenantd({"tenant", "suspend", id}).exit_code, 0);
  EXPECT_EQ(StringAt(Show(id), "status"), "suspended");
  ASSERT_EQ(Tenantd({"tenant", "activate", id}).exit_code, 0);
  EXPECT_EQ(StringAt(Show(id), "status"), "active");
}

TEST_F(Cli, DeleteKeepsTheSlugUntilPurged) {
  std::string id =
      StringAt(TenantdJson({"tenant", "create", "--slug", "doomed", "--name", "D"}), "tenant.id");
  ASSERT_EQ(Tenantd({"tenant", "delete", id}).exit_code, 0);
  EXPECT_EQ(StringAt(Show(id), "status"), "deleted");
  EXPECT_TRUE(FailsWithOneLine(Tenantd({"tenant", "create", "--slug", "doomed", "--name", "D"})));
  ASSERT_EQ(Tenantd({"tenant", "delete", id, "--purge"}).exit_code, 0);
  EXPECT_TRUE(FailsWithOneLine(Tenantd({"tenant", "show", id})));
  EXPECT_EQ(Tenantd({"tenant", "create", "--slug", "doomed", "--name", "D"}).exit_code, 0);
}

TEST_F(Cli, UnknownTenantFailsWithAOneLineError) {
  for (const char* command : {"show", "suspend", "activate", "delete"}) {
    SCOPED_TRACE(command);
    EXPECT_TRUE(FailsWithOneLine(Tenantd({"tenant", command, "no-such-tenant"})));
  }
}

TEST_F(Cli, DuplicateSlugFailsWithAOneLineError) {
  ASSERT_EQ(Tenantd({"tenant", "create", "--slug", "twice", "--name", "A"}).exit_code, 0);
  CommandResult r = Tenantd({"tenant", "create", "--slug", "twice", "--name", "B"});
  EXPECT_TRUE(FailsWithOneLine(r));
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"twice"});
}

TEST_F(Cli, InvalidSlugFailsWithAOneLineErrorNamingTheSlug) {
  for (const char* slug : {"Bad_Slug", "ab", "-lead"}) {
    SCOPED_TRACE(slug);
    CommandResult r = Tenantd({"tenant", "create", "--slug", slug, "--name", "X"});
    EXPECT_TRUE(FailsWithOneLine(r));
    EXPECT_TRUE(ContainsIgnoreCase(r.err, "slug")) << r.err;
  }
  EXPECT_TRUE(ListedSlugs().empty());
}

TEST_F(Cli, CreateWithoutANameFails) {
  CommandResult r = Tenantd({"tenant", "create", "--slug", "nameless"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(Cli, TenantCreatedByTheCliIsServedByARunningServer) {
  ASSERT_TRUE(dir_.Start());
  json::value created = TenantdJson({"tenant", "create", "--slug", "fromcli", "--name", "CLI"});
  Response r = dir_.Admin("GET", "/admin/v1/tenants/fromcli");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "tenant.id"), StringAt(created, "tenant.id"));
}

TEST_F(Cli, CliSeesAndChangesTenantsOfARunningServer) {
  ASSERT_TRUE(dir_.Start());
  Response created = dir_.CreateTenant("fromapi", "API");
  ASSERT_EQ(created.status, 201) << created.Describe();
  std::string id = StringAt(created.Json(), "tenant.id");
  EXPECT_EQ(StringAt(Show("fromapi"), "id"), id);
  ASSERT_EQ(Tenantd({"tenant", "suspend", "fromapi"}).exit_code, 0);
  Response r = dir_.Admin("GET", "/admin/v1/tenants/" + id);
  EXPECT_EQ(StringAt(r.Json(), "tenant.status"), "suspended") << r.Describe();
  // And the server's answers still agree with the CLI afterwards.
  EXPECT_TRUE(IsProblem(dir_.CreateTenant("fromapi", "Again"), 409, "slug_taken"));
}

// ---- tenantd user ----------------------------------------------------------

TEST_F(Cli, UserListFiltersByEmailAndPrintsATableOrJson) {
  ASSERT_EQ(Tenantd({"user", "list"}).exit_code, 0) << "an empty store lists nobody";
  const CreatedUser a = CreateUser(dir_.data_dir(), "Cli.Ann@Example.com", "cli-ann");
  const CreatedUser b = CreateUser(dir_.data_dir(), "cli.bob@example.com", "cli-bob");
  json::value all = TenantdJson({"user", "list"});
  ASSERT_EQ(all.at("data").as_array().size(), 2u) << all;
  EXPECT_EQ(StringAt(all, "data.0.id"), std::min(a.id, b.id));
  json::value one = TenantdJson({"user", "list", "--email", "CLI.ANN@example.COM"});
  ASSERT_EQ(one.at("data").as_array().size(), 1u) << one;
  EXPECT_EQ(StringAt(one, "data.0.id"), a.id);
  EXPECT_EQ(StringAt(one, "data.0.email"), "cli.ann@example.com");
  EXPECT_TRUE(
      TenantdJson({"user", "list", "--email", "nobody@example.com"}).at("data").as_array().empty());
  CommandResult table = Tenantd({"user", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("EMAIL"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(a.id), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("cli.bob@example.com"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find(a.password_hash), std::string::npos);
}

TEST_F(Cli, UserShowPrintsTheUserAndMembershipsButNoPassword) {
  ASSERT_EQ(Tenantd({"user", "list"}).exit_code, 0);
  const CreatedUser u = CreateUser(dir_.data_dir(), "show@example.com", "cli-show");
  json::value v = TenantdJson({"user", "show", u.id});
  EXPECT_EQ(StringAt(v, "user.id"), u.id);
  EXPECT_EQ(StringAt(v, "user.status"), "active");
  EXPECT_EQ(StringAt(v, "memberships.0.tenant_id"), u.personal_tenant_id);
  EXPECT_EQ(StringAt(v, "memberships.0.kind"), "personal");
  EXPECT_EQ(StringAt(v, "memberships.0.role"), "owner");
  CommandResult human = Tenantd({"user", "show", u.id});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  for (const std::string& needle : {u.id, u.email, u.personal_tenant_id, std::string("owner")}) {
    EXPECT_NE(human.out.find(needle), std::string::npos) << needle << "\n" << human.out;
  }
  for (const CommandResult& r : {human, Tenantd({"user", "show", u.id, "--json"})}) {
    EXPECT_EQ(r.out.find(u.password_hash), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("argon2"), std::string::npos) << r.out;
  }
}

TEST_F(Cli, UserSuspendRevokesSessionsAndActivateRestores) {
  ASSERT_EQ(Tenantd({"user", "list"}).exit_code, 0);
  const CreatedUser u = CreateUser(dir_.data_dir(), "sus@example.com", "cli-sus");
  AddUserSession(dir_.data_dir(), u.id, u.personal_tenant_id, "ses_cli_sus_1");
  ASSERT_EQ(CountUserSessions(dir_.data_dir(), u.id), 1);
  json::value suspended = TenantdJson({"user", "suspend", u.id});
  EXPECT_EQ(StringAt(suspended, "user.status"), "suspended");
  EXPECT_EQ(suspended.at("sessions_revoked").as_int64(), 1) << suspended;
  EXPECT_EQ(CountUserSessions(dir_.data_dir(), u.id), 0);
  EXPECT_EQ(StringAt(TenantdJson({"user", "show", u.id}), "user.status"), "suspended");
  CommandResult activated = Tenantd({"user", "activate", u.id});
  ASSERT_EQ(activated.exit_code, 0) << activated.err;
  EXPECT_NE(activated.out.find("active"), std::string::npos) << activated.out;
  EXPECT_EQ(StringAt(TenantdJson({"user", "show", u.id}), "user.status"), "active");
}

TEST_F(Cli, UnknownUserFailsWithAOneLineError) {
  for (const char* command : {"show", "suspend", "activate"}) {
    SCOPED_TRACE(command);
    EXPECT_TRUE(FailsWithOneLine(Tenantd({"user", command, "usr_nobody"})));
  }
  EXPECT_EQ(Tenantd({"user", "frobnicate"}).exit_code, 2);
}

TEST_F(Cli, UserSuspendedByTheCliIsSuspendedForARunningServer) {
  ASSERT_TRUE(dir_.Start());
  const CreatedUser u = CreateUser(dir_.data_dir(), "served@example.com", "cli-served");
  ASSERT_EQ(Tenantd({"user", "suspend", u.id}).exit_code, 0);
  Response r = dir_.Admin("GET", "/admin/v1/users/" + u.id);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(StringAt(r.Json(), "user.status"), "suspended");
}

}  // namespace
}  // namespace tenantd::test
