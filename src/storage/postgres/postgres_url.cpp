#include "storage/postgres/postgres_url.h"

#include <libpq-fe.h>

#include <memory>

namespace tenantd::storage {
namespace {

base::Error Invalid(std::string why) {
  return base::InvalidArgument("invalid_database_url",
                               "TENANTD_DATABASE_URL is not a valid PostgreSQL URL: " + why);
}

struct ConninfoFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

}  // namespace

bool IsPostgresUrl(std::string_view text) {
  return text.starts_with("postgres://") || text.starts_with("postgresql://");
}

std::string PostgresUrl::Masked() const {
  std::string out = "postgres://";
  if (!user.empty()) out += user + "@";
  out += host.empty() ? "localhost" : host;
  if (!port.empty()) out += ":" + port;
  out += "/" + database;
  return out;
}

base::Result<PostgresUrl> ParsePostgresUrl(std::string_view text) {
  if (!IsPostgresUrl(text)) return Invalid("it must start with postgres://");
  const std::string url(text);
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(url.c_str(), &raw_error));
  if (!options) {
    std::string why = raw_error != nullptr ? raw_error : "out of memory";
    PQfreemem(raw_error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // libpq quotes the offending part after a colon (`invalid port number:
    // "x"`); that part may be the password, so only the kind of fault stays.
    if (const std::size_t colon = why.find(':'); colon != std::string::npos) why.resize(colon);
    return Invalid(why);
  }
  PostgresUrl out;
  out.conninfo = base::Secret(url);
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "host") out.host = o->val;
    if (key == "port") out.port = o->val;
    if (key == "dbname") out.database = o->val;
    if (key == "user") out.user = o->val;
  }
  if (out.database.empty()) return Invalid("it names no database (postgres://host/dbname)");
  // libpq checks the port only when connecting; start-up should fail first.
  const bool digits = !out.port.empty() && out.port.size() <= 5 &&
                      out.port.find_first_not_of("0123456789") == std::string::npos;
  if (!out.port.empty() && (!digits || std::stoi(out.port) == 0 || std::stoi(out.port) > 65535)) {
    return Invalid("the port must be a number from 1 to 65535");
  }
  return out;
}

}  // namespace tenantd::storage
