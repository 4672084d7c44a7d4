#include "cli/user_command.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/output.h"
#include "control/control_store.h"
#include "control/people.h"
#include "redis/redis_client.h"
#include "session/redis_session_store.h"
#include "session/sql_session_store.h"
#include "storage/run_to_completion.h"
#include "users/user_json.h"

namespace tenantd::cli {
namespace {

namespace json = boost::json;

std::string OrDash(const std::optional<base::TimePoint>& t) {
  return t ? base::FormatRfc3339(*t) : "-";
}

void PrintUser(const control::User& u) {
  std::printf(
      "%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n%-30s %s\n"
      "%-30s %s\n",
      "id", u.id.c_str(), "email", u.email.c_str(), "name", u.name.c_str(), "status",
      std::string(control::ToString(u.status)).c_str(), "account_id", u.account_id.c_str(),
      "personal_tenant_id", u.personal_tenant_id.c_str(), "email_verified_at",
      OrDash(u.email_verified_at).c_str(), "last_sign_in_at", OrDash(u.last_sign_in_at).c_str(),
      "created_at", base::FormatRfc3339(u.created_at).c_str());
}

// Revokes every session of the user in the store the server keeps them in
// (Redis, or the control database); a server's in-memory store is out of
// reach of another process. Returns how many, nullopt for out of reach.
base::Result<std::optional<int64_t>> RevokeSessions(const config::Config& config,
                                                    control::ControlStore& store,
                                                    const std::string& user_id) {
  if (!config.redis_url.empty()) {
    TENANTD_TRY(redis::RedisUrl url, redis::ParseRedisUrl(config.redis_url.Reveal()));
    redis::RedisClient client(redis::RedisClientOptions{url});
    session::RedisSessionStore sessions(client);
    TENANTD_TRY(int64_t n, sessions.RevokeAllForUser(user_id, ""));
    return std::optional<int64_t>(n);
  }
  if (config.session_store == "memory") return std::optional<int64_t>();
  session::SqlSessionStore sessions(store.database());
  TENANTD_TRY(int64_t n, sessions.RevokeAllForUser(user_id, ""));
  return std::optional<int64_t>(n);
}

}  // namespace

UserCommand::UserCommand(CLI::App& app) {
  user_ = app.add_subcommand("user", "Manage the users who sign in (api.md §11)");
  user_->require_subcommand(1);
  list_ = user_->add_subcommand("list", "List users in sign-up order");
  list_->add_option("--email", email_, "Only the user with this email (exact, any case)");
  show_ = user_->add_subcommand("show", "Show one user and the tenants they belong to");
  suspend_ = user_->add_subcommand(
      "suspend", "Suspend a user: their sign-ins are refused and every session of theirs ends");
  activate_ = user_->add_subcommand("activate", "Reactivate a suspended user");
  for (CLI::App* c : {show_, suspend_, activate_}) {
    c->add_option("id", id_, "User id (usr_…)")->required();
  }
}

bool UserCommand::parsed() const { return user_->parsed(); }

int UserCommand::Run(const config::Config& config, control::ControlStore& store, bool json) const {
  if (list_->parsed()) return List(store, json);
  if (show_->parsed()) return Show(store, json);
  return SetStatus(config, store, json);
}

int UserCommand::List(control::ControlStore& store, bool json) const {
  control::People people(store);
  json::array data;
  if (!json) {
    std::printf("%-30s %-32s %-10s %s\n", "ID", "EMAIL", "STATUS", "NAME");
  }
  for (std::string after;;) {
    auto page = storage::RunToCompletion(people.ListUsers(email_, after, 500));
    if (!page) return Fail(Describe(page.error()));
    for (const control::User& u : page->items) {
      if (json) {
        data.push_back(users::UserJson(u));
      } else {
        std::printf("%-30s %-32s %-10s %s\n", u.id.c_str(), u.email.c_str(),
                    std::string(control::ToString(u.status)).c_str(), u.name.c_str());
      }
    }
    if (!page->next_cursor) break;
    after = *page->next_cursor;
  }
  if (json) PrintJson(json::object{{"data", std::move(data)}});
  return 0;
}

int UserCommand::Show(control::ControlStore& store, bool json) const {
  control::People people(store);
  auto user = storage::RunToCompletion(people.FindUser(id_));
  if (!user) return Fail(Describe(user.error()));
  if (!*user) return Fail("no such user: " + id_);
  auto memberships = storage::RunToCompletion(people.MembershipsOf(id_));
  if (!memberships) return Fail(Describe(memberships.error()));
  if (json) {
    json::array list;
    for (const control::TenantMembership& m : *memberships) {
      list.push_back(users::MembershipJson(m));
    }
    PrintJson(json::object{{"user", users::UserJson(**user)}, {"memberships", std::move(list)}});
    return 0;
  }
  PrintUser(**user);
  std::printf("\n%-30s %-24s %-9s %-10s %s\n", "TENANT", "SLUG", "KIND", "ROLE", "NAME");
  for (const control::TenantMembership& m : *memberships) {
    std::printf("%-30s %-24s %-9s %-10s %s\n", m.membership.tenant_id.c_str(),
                m.tenant_slug.c_str(), m.tenant_kind.c_str(), m.membership.role.c_str(),
                m.tenant_name.c_str());
  }
  return 0;
}

int UserCommand::SetStatus(const config::Config& config, control::ControlStore& store,
                           bool json) const {
  const bool suspend = suspend_->parsed();
  control::People people(store);
  auto user = storage::RunToCompletion(people.SetStatus(
      id_, suspend ? control::UserStatus::kSuspended : control::UserStatus::kActive));
  if (!user) {
    return Fail(Describe(user.error()) +
                (user.error().code == base::ErrorCode::kNotFound ? " (" + id_ + ")" : ""));
  }
  std::optional<int64_t> revoked;
  if (suspend) {
    // Stored first: running the command again retries a failed revocation.
    auto r = RevokeSessions(config, store, id_);
    if (!r) return Fail("suspended, but its sessions were not revoked: " + Describe(r.error()));
    revoked = *r;
  }
  if (json) {
    json::object out{{"user", users::UserJson(*user)}};
    if (revoked) out["sessions_revoked"] = *revoked;
    PrintJson(out);
  } else {
    PrintUser(*user);
    if (revoked) std::printf("%-30s %lld\n", "sessions revoked", static_cast<long long>(*revoked));
  }
  return 0;
}

}  // namespace tenantd::cli
