// `tenantd user` (api.md §11): the people who sign in, from the command
// line, with or without a running server.
//
//   user list [--email E]
//   user show ID
//   user suspend ID      (every session of the user is revoked too)
//   user activate ID
//
// A table (or with --json one JSON document: the admin API's shapes) on
// stdout; exit 1 with one line on stderr when it failed.
#pragma once

#include <string>

#include "config/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantd::control {
class ControlStore;
}  // namespace tenantd::control

namespace tenantd::cli {

class UserCommand {
 public:
  // Adds `user` and its commands to `app`; must outlive parsing and not
  // move (CLI11 keeps pointers to the fields).
  explicit UserCommand(CLI::App& app);
  UserCommand(const UserCommand&) = delete;
  UserCommand& operator=(const UserCommand&) = delete;

  bool parsed() const;
  int Run(const config::Config& config, control::ControlStore& store, bool json) const;

 private:
  int List(control::ControlStore& store, bool json) const;
  int Show(control::ControlStore& store, bool json) const;
  int SetStatus(const config::Config& config, control::ControlStore& store, bool json) const;

  CLI::App* user_;
  CLI::App* list_;
  CLI::App* show_;
  CLI::App* suspend_;
  CLI::App* activate_;
  std::string email_;
  std::string id_;
};

}  // namespace tenantd::cli
