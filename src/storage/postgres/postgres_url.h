// TENANTD_DATABASE_URL: `postgres://user:pass@host:port/db?sslmode=…`
// (api.md §10, docs/configuration.md), checked by libpq's own parser.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret.h"

namespace tenantd::storage {

struct PostgresUrl {
  base::Secret conninfo;  // the URL as given: libpq reads it (it holds the password)
  std::string host;       // "" = libpq's default (the local socket)
  std::string port;       // "" = 5432
  std::string database;
  std::string user;

  // postgres://user@host:port/db, without the password: what logs show.
  std::string Masked() const;
};

// Parses `text` (postgres:// or postgresql://); kInvalidArgument
// "invalid_database_url" saying what is wrong, never echoing the password.
base::Result<PostgresUrl> ParsePostgresUrl(std::string_view text);

// True for a URL that names a PostgreSQL server (postgres:// or postgresql://).
bool IsPostgresUrl(std::string_view text);

}  // namespace tenantd::storage
