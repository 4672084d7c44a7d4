#include "admin/backup_routes.h"

#include "base/off_loop.h"

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <memory>

#include "admin/admin_docs.h"
#include "backup/backup.h"
#include "backup/restore.h"
#include "base/ids.h"
#include "base/off_loop.h"
#include "control/control_store.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "tenant_db/pool.h"
#include "usage/usage_meter.h"

namespace tenantd::admin {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

Response Problem(const base::Error& e, const RequestContext& ctx) {
  Response res = http::ErrorResponse(e, ctx.request_id);
  if (e.code == base::ErrorCode::kUnavailable) res.headers.Add("Retry-After", "1");
  return res;
}

awaitable<base::Result<control::Tenant>> FindTenant(control::ControlStore& store,
                                                    std::string_view id) {
  TENANTD_CO_TRY(std::optional<control::Tenant> found, co_await store.FindTenant(id));
  if (!found) co_return base::NotFound("No such tenant.");
  co_return std::move(*found);
}

awaitable<Response> CreateBackup(const BackupRouteDeps& deps, Request& req, RequestContext& ctx) {
  auto tenant = co_await FindTenant(deps.store, req.PathParam("id"));
  if (!tenant) co_return Problem(tenant.error(), ctx);
  const backup::Backups& backups = deps.backups;
  control::Tenant t = *tenant;
  // Named before the co_await: GCC 12 copies temporaries of a co_await
  // expression bitwise, which breaks the strings a lambda captures.
  std::function<base::Result<backup::BackupInfo>()> work = [&backups, t]() {
    return backups.Create(t);
  };
  auto created = co_await base::OffLoop(&deps.workers, std::move(work));
  if (!created) co_return Problem(created.error(), ctx);
  Response res = Response::Json(
      201, json::serialize(
               json::object{{"backup", backup::BackupToJson(*created, backups.data_dir())}}));
  co_return res;
}

awaitable<Response> ListBackups(const BackupRouteDeps& deps, Request& req, RequestContext& ctx) {
  auto tenant = co_await FindTenant(deps.store, req.PathParam("id"));
  if (!tenant) co_return Problem(tenant.error(), ctx);
  auto limit = http::ParseLimit(req);
  if (!limit) co_return Problem(limit.error(), ctx);
  auto after = http::ParseCursor(req, "bkp");
  if (!after) co_return Problem(after.error(), ctx);
  // A directory listing of a few records: cheap enough for the loop.
  auto all = deps.backups.List(tenant->id);
  if (!all) co_return Problem(all.error(), ctx);
  json::array data;
  json::value next = nullptr;
  for (const backup::BackupInfo& b : *all) {
    if (b.id <= *after) continue;
    if (data.size() == static_cast<std::size_t>(*limit)) {
      next = json::string(data.back().as_object().at("id").as_string());
      break;
    }
    data.push_back(backup::BackupToJson(b, deps.backups.data_dir()));
  }
  co_return Response::Json(
      200, json::serialize(json::object{{"data", std::move(data)}, {"next_cursor", next}}));
}

awaitable<Response> Restore(const BackupRouteDeps& deps, Request& req, RequestContext& ctx) {
  auto body = http::ParseJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto errors = http::UnknownFields(*body, {"backup_id"});
  std::optional<std::string> backup_id;
  http::ReadString(*body, "backup_id", backup_id, errors);
  if (!backup_id) errors.push_back({"backup_id", "Required."});
  if (!errors.empty()) co_return Problem(base::ValidationFailed(std::move(errors)), ctx);
  auto tenant = co_await FindTenant(deps.store, req.PathParam("id"));
  if (!tenant) co_return Problem(tenant.error(), ctx);
  if (tenant->status == control::TenantStatus::kDeleted) {
    co_return Problem(base::MakeError(base::ErrorCode::kFailedPrecondition, "tenant_deleted",
                                      "The tenant is deleted."),
                      ctx);
  }
  auto found = deps.backups.Find(tenant->id, *backup_id);
  if (!found) co_return Problem(found.error(), ctx);
  if (!*found) co_return Problem(base::NotFound("No such backup."), ctx);
  const backup::Restorer& restorer = deps.restorer;
  const std::string tenant_id = tenant->id;
  const std::filesystem::path archive = (*found)->path;
  std::function<base::Result<backup::RestoreOutcome>()> work = [&restorer, tenant_id, archive]() {
    return restorer.Restore(tenant_id, archive, tenant_id);
  };
  auto restored = co_await base::OffLoop(&deps.workers, std::move(work));
  if (!restored) co_return Problem(restored.error(), ctx);
  deps.meter.FilesChanged(tenant_id);
  co_return Response::Json(
      200, json::serialize(json::object{
               {"restore", json::object{{"tenant_id", tenant_id},
                                        {"backup_id", *backup_id},
                                        {"schema_version", restored->manifest.schema_version},
                                        {"files", restored->files},
                                        {"bytes", restored->bytes}}}}));
}

bool IsDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

json::value OptionalNumber(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

awaitable<Response> Usage(const BackupRouteDeps& deps, Request& req, RequestContext& ctx) {
  auto tenant = co_await FindTenant(deps.store, req.PathParam("id"));
  if (!tenant) co_return Problem(tenant.error(), ctx);
  auto limit = http::ParseLimit(req);
  if (!limit) co_return Problem(limit.error(), ctx);
  std::string from, to, after;
  for (auto [name, out] :
       {std::pair<const char*, std::string*>{"from", &from}, {"to", &to}, {"after", &after}}) {
    if (auto v = req.QueryParam(name)) {
      if (!IsDay(*v)) {
        co_return Problem(base::InvalidArgument("bad_request",
                                                std::string(name) + " must be a day (YYYY-MM-DD)."),
                          ctx);
      }
      *out = *v;
    }
  }
  auto page = co_await deps.store.ListUsage(tenant->id, from, to, after, *limit);
  if (!page) co_return Problem(page.error(), ctx);
  // Add what the meter counted since the last flush, so the answer covers
  // every request that has completed.
  std::map<std::string, control::UsageRecord> days;
  for (control::UsageRecord& r : page->items) days.emplace(r.day, std::move(r));
  for (const control::UsageRecord& p : deps.meter.Pending(tenant->id)) {
    if (p.day <= after || (!from.empty() && p.day < from) || (!to.empty() && p.day > to)) continue;
    if (page->next_cursor && p.day > *page->next_cursor) continue;
    control::UsageRecord& r = days[p.day];
    r.day = p.day;
    r.requests += p.requests;
    r.bytes_in += p.bytes_in;
    r.bytes_out += p.bytes_out;
  }
  // Today's storage figures are read live (one row), not from the last flush.
  const std::string today = usage::UtcDay(std::chrono::system_clock::now());
  if (auto it = days.find(today); it != days.end()) {
    // On the workers: a tenant whose database is not open is opened, which
    // must not hold up the event loop.
    std::function<std::optional<usage::FileTotals>()> read = [&pool = deps.pool, id = tenant->id] {
      std::optional<usage::FileTotals> totals;
      if (auto lease = pool.Acquire(id)) {
        if (auto got = usage::ReadFileTotals(lease->db()); got) totals = *got;
      }
      return totals;
    };
    if (auto totals = co_await base::OffLoop(&deps.workers, std::move(read))) {
      it->second.stored_bytes = totals->bytes;
      it->second.file_count = totals->files;
    }
  }
  json::array data;
  std::optional<std::string> next = page->next_cursor;
  for (const auto& [day, r] : days) {
    if (data.size() == static_cast<std::size_t>(*limit)) {
      next = data.back().as_object().at("day").as_string().c_str();
      break;
    }
    data.push_back(json::object{{"day", day},
                                {"requests", r.requests},
                                {"bytes_in", r.bytes_in},
                                {"bytes_out", r.bytes_out},
                                {"stored_bytes", OptionalNumber(r.stored_bytes)},
                                {"file_count", OptionalNumber(r.file_count)}});
  }
  json::object out{{"data", std::move(data)}, {"next_cursor", nullptr}};
  if (next) out["next_cursor"] = *next;
  co_return Response::Json(200, json::serialize(out));
}

}  // namespace

void RegisterBackupRoutes(http::Router& router, const http::Stage& auth,
                          const BackupRouteDeps& deps) {
  const std::vector<const http::Stage*> stages{&auth};
  auto bind = [deps](auto fn) {
    return [deps, fn](Request& req, RequestContext& ctx) { return fn(deps, req, ctx); };
  };
  router.Add("POST", "/admin/v1/tenants/{id}/backups", stages, bind(CreateBackup),
             admin_docs::CreateBackup());
  router.Add("GET", "/admin/v1/tenants/{id}/backups", stages, bind(ListBackups),
             admin_docs::ListBackups());
  router.Add("POST", "/admin/v1/tenants/{id}/restore", stages, bind(Restore),
             admin_docs::Restore());
  router.Add("GET", "/admin/v1/tenants/{id}/usage", stages, bind(Usage), admin_docs::Usage());
}

}  // namespace tenantd::admin
