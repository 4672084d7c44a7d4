#include "cli/schema_reports.h"

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "cli/output.h"
#include "cli/tenant_batch.h"

namespace tenantd::cli {
namespace {

std::string Tenants(std::size_t n) { return std::to_string(n) + (n == 1 ? " tenant" : " tenants"); }

std::string Name(const control::Tenant& t) { return t.id + " (" + t.slug + ")"; }

boost::json::object TenantJson(const control::Tenant& t) {
  return boost::json::object{{"id", t.id}, {"slug", t.slug}};
}

}  // namespace

int PrintMigrationStatus(const std::vector<control::Tenant>& tenants,
                         const tenant_db::TenantDatabases& databases, bool json) {
  std::vector<std::optional<base::Result<int>>> versions(tenants.size());
  RunConcurrently(tenants.size(), kDefaultJobs,
                  [&](std::size_t i) { versions[i] = databases.Version(tenants[i].id); });

  const int latest = databases.LatestVersion();
  std::map<int, std::size_t> per_version;
  std::size_t at_latest = 0;
  boost::json::array not_latest, missing, unreadable;
  std::string not_latest_lines, missing_lines, unreadable_lines;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    const control::Tenant& t = tenants[i];
    const base::Result<int>& version = *versions[i];
    if (!version && version.error().problem_code == "tenant_database_missing") {
      missing.push_back(TenantJson(t));
      missing_lines += "  " + Name(t) + "\n";
    } else if (!version) {
      boost::json::object o = TenantJson(t);
      o["error"] = OperatorDetail(version.error());
      unreadable.push_back(std::move(o));
      unreadable_lines += "  " + Name(t) + ": " + OperatorDetail(version.error()) + "\n";
    } else {
      ++per_version[*version];
      if (*version == latest) {
        ++at_latest;
        continue;
      }
      boost::json::object o = TenantJson(t);
      o["version"] = *version;
      not_latest.push_back(std::move(o));
      not_latest_lines += "  " + Name(t) + " at version " + std::to_string(*version) + "\n";
    }
  }

  if (json) {
    boost::json::array version_counts;
    for (const auto& [version, count] : per_version) {
      version_counts.push_back(boost::json::object{{"version", version}, {"tenants", count}});
    }
    PrintJson(boost::json::object{{"latest_version", latest},
                                  {"tenants", tenants.size()},
                                  {"at_latest", at_latest},
                                  {"versions", std::move(version_counts)},
                                  {"not_at_latest", std::move(not_latest)},
                                  {"missing", std::move(missing)},
                                  {"unreadable", std::move(unreadable)}});
    return 0;
  }
  std::printf("latest schema version: %d\n", latest);
  for (const auto& [version, count] : per_version) {
    std::printf("version %d: %s\n", version, Tenants(count).c_str());
  }
  std::printf("at the latest version: %zu of %s\n", at_latest, Tenants(tenants.size()).c_str());
  if (!not_latest.empty()) {
    std::printf("not at the latest version (%zu):\n%s", not_latest.size(),
                not_latest_lines.c_str());
  }
  if (!missing.empty()) {
    std::printf("without a database, `migrate` creates it (%zu):\n%s", missing.size(),
                missing_lines.c_str());
  }
  if (!unreadable.empty()) {
    std::printf("database unreadable (%zu):\n%s", unreadable.size(), unreadable_lines.c_str());
  }
  return 0;
}

int PrintSchemaDrift(const std::vector<control::Tenant>& tenants,
                     const tenant_db::TenantDatabases& databases, bool json) {
  std::vector<std::optional<base::Result<std::vector<std::string>>>> drift(tenants.size());
  RunConcurrently(tenants.size(), kDefaultJobs,
                  [&](std::size_t i) { drift[i] = databases.Drift(tenants[i].id); });

  std::size_t drifted = 0, unchecked = 0;
  boost::json::array drift_json, errors_json;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    const control::Tenant& t = tenants[i];
    const auto& differences = *drift[i];
    if (!differences) {
      ++unchecked;
      boost::json::object o = TenantJson(t);
      o["error"] = OperatorDetail(differences.error());
      errors_json.push_back(std::move(o));
      if (!json) {
        std::printf("tenant %s: cannot check: %s\n", Name(t).c_str(),
                    OperatorDetail(differences.error()).c_str());
      }
      continue;
    }
    if (differences->empty()) continue;
    ++drifted;
    boost::json::object o = TenantJson(t);
    boost::json::array list;
    for (const std::string& d : *differences) list.push_back(boost::json::string(d));
    o["differences"] = std::move(list);
    drift_json.push_back(std::move(o));
    if (!json) {
      std::printf("tenant %s: %zu difference%s\n", Name(t).c_str(), differences->size(),
                  differences->size() == 1 ? "" : "s");
      for (const std::string& d : *differences) std::printf("  %s\n", d.c_str());
    }
  }

  if (json) {
    PrintJson(boost::json::object{{"tenants", tenants.size()},
                                  {"drifted", drifted},
                                  {"unchecked", unchecked},
                                  {"drift", std::move(drift_json)},
                                  {"errors", std::move(errors_json)}});
  } else if (drifted == 0 && unchecked == 0) {
    std::printf("no drift in %s\n", Tenants(tenants.size()).c_str());
  } else {
    std::printf("drift in %zu of %s, %zu could not be checked\n", drifted,
                Tenants(tenants.size()).c_str(), unchecked);
  }
  return drifted == 0 && unchecked == 0 ? 0 : 1;
}

}  // namespace tenantd::cli
