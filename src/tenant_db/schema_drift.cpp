// Drift: a tenant schema changed by hand (an index dropped to "fix" a lock,
// a column added in a hurry) makes later migrations fail or behave
// differently on that one tenant. Comparing every tenant with a reference
// built from the migrations finds such tenants before a migration does.
#include <utility>

#include "tenant_db/tenant_databases.h"

namespace tenantd::tenant_db {
namespace {

// Collapses runs of whitespace so formatting never counts as drift.
std::string NormaliseSql(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool in_space = false;
  for (char c : sql) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (space) {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

}  // namespace

base::Result<std::map<std::string, std::string>> SchemaObjects(storage::sqlite::Connection& db) {
  TENANTD_TRY(storage::sqlite::Statement st,
              db.Prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
                         " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                         " AND name <> 'schema_migrations' ORDER BY name"));
  std::map<std::string, std::string> objects;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    objects.emplace(st.ColumnText(0) + " " + st.ColumnText(1), NormaliseSql(st.ColumnText(2)));
  }
  return objects;
}

base::Result<std::map<std::string, std::string>> TenantDatabases::ReferenceSchema(
    int version) const {
  std::lock_guard lock(references_mu_);
  if (auto it = references_.find(version); it != references_.end()) return it->second;
  std::vector<storage::Migration> upto;
  for (const storage::Migration& m : migrations_) {
    if (m.version <= version) upto.push_back(m);
  }
  TENANTD_TRY(std::unique_ptr<storage::sqlite::Connection> db,
              storage::sqlite::Connection::Open(":memory:"));
  TENANTD_RETURN_IF_ERROR(storage::sqlite::ApplyMigrations(*db, upto));
  TENANTD_TRY(auto objects, SchemaObjects(*db));
  references_.emplace(version, objects);
  return objects;
}

base::Result<std::vector<std::string>> TenantDatabases::Drift(std::string_view tenant_id) const {
  TENANTD_TRY(std::unique_ptr<storage::sqlite::Connection> db, Open(tenant_id));
  TENANTD_TRY(int version, storage::sqlite::SchemaVersion(*db));
  if (version > LatestVersion()) {
    // The reference would stop at our latest version and report every
    // later change as drift.
    return base::MakeError(base::ErrorCode::kFailedPrecondition, "schema_too_new",
                           "The database was written by a newer version of tenantd.",
                           "drift: " + PathOf(tenant_id).string() + " is at version " +
                               std::to_string(version) + ", newest known is " +
                               std::to_string(LatestVersion()));
  }
  TENANTD_TRY(auto actual, SchemaObjects(*db));
  TENANTD_TRY(auto expected, ReferenceSchema(version));
  std::vector<std::string> differences;
  for (const auto& [name, sql] : expected) {
    auto it = actual.find(name);
    if (it == actual.end()) {
      differences.push_back("missing " + name);
    } else if (it->second != sql) {
      differences.push_back("changed " + name + ": expected `" + sql + "`, found `" + it->second +
                            "`");
    }
  }
  for (const auto& [name, sql] : actual) {
    if (!expected.contains(name)) differences.push_back("unexpected " + name + ": `" + sql + "`");
  }
  return differences;
}

}  // namespace tenantd::tenant_db
