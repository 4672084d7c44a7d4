// One versioned schema change, for the SQLite runner (sqlite/connection.h)
// and the seam's runner on either engine (migrate.h).
#pragma once

#include <string>

namespace tenantd::storage {

// Versions are positive and strictly increasing through a list; the SQL may
// hold several statements but no BEGIN/COMMIT of its own.
struct Migration {
  int version;
  std::string name;
  std::string sql;  // SQLite, and PostgreSQL too when postgres_sql is empty
  // The PostgreSQL text where the dialects differ (types, triggers).
  std::string postgres_sql = {};
};

}  // namespace tenantd::storage
