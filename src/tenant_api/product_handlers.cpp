#include "tenant_api/product_handlers.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "base/clock.h"
#include "base/ids.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "http/entity_tag.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "products/idempotency.h"
#include "products/product_json.h"
#include "products/product_store.h"
#include "tenant_db/tenant_data.h"

namespace tenantd::tenant_api {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::Access;
using tenant_db::TenantData;

namespace {

constexpr std::string_view kCreateRoute = "POST /v1/products";
// No product is ever at this version (they start at kFirstVersion): the
// expected version of an If-Match that names none a product could have.
constexpr int64_t kNoVersion = 0;

// An error answer. kUnavailable means "retry the call": the tenant's
// database is being migrated, or stayed locked past the busy timeout; both
// pass within moments, so the client is told to come back in a second.
Response Problem(const base::Error& e, const RequestContext& ctx) {
  Response res = http::ErrorResponse(e, ctx.request_id);
  if (e.code == base::ErrorCode::kUnavailable) res.headers.Add("Retry-After", "1");
  return res;
}

// Ids are minted by this server: anything not shaped like one names no
// product, and is answered without a lookup. Another tenant's id is simply
// absent from this tenant's database, so it is a 404 as well, never a 403.
bool IsProductId(std::string_view id) {
  return base::IsWellFormedId(id, products::kProductIdPrefix);
}

std::string Location(std::string_view id) {
  std::string location = "/v1/products/";
  location += id;
  return location;
}

// A version as its ETag spells it: decimal, no sign, no leading zero (the
// strong comparison of If-Match is octet by octet, so "01" is not "1").
std::optional<int64_t> ParseVersion(std::string_view opaque) {
  if (opaque.empty() || opaque.size() > 18 || (opaque.size() > 1 && opaque.front() == '0')) {
    return std::nullopt;
  }
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(opaque.data(), opaque.data() + opaque.size(), v);
  if (ec != std::errc() || end != opaque.data() + opaque.size()) return std::nullopt;
  return v;
}

// The versions If-Match lets a write proceed at (RFC 9110 §13.1.1):
// nullopt for any (no header, or `*`, which every existing product meets);
// otherwise those its strong tags name. Weak tags never pass the strong
// comparison, and a malformed header passes nothing.
std::optional<std::vector<int64_t>> IfMatchVersions(const Request& req) {
  const auto header = req.headers.Get("If-Match");
  if (!header) return std::nullopt;
  const std::string_view value = base::TrimAsciiSpace(*header);
  if (value == "*") return std::nullopt;
  std::vector<int64_t> versions;
  if (const auto tags = http::ParseEntityTags(value)) {
    for (const http::EntityTag& tag : *tags) {
      if (tag.weak) continue;
      if (const auto v = ParseVersion(tag.opaque)) versions.push_back(*v);
    }
  }
  return versions;
}

// The one version a conditional write expects. A list of several tags (a
// product has one current ETag, so at most one can match) is resolved
// against the current version; the write itself still checks it, so a
// change in between is caught.
awaitable<base::Result<std::optional<int64_t>>> ExpectedVersion(
    storage::Transaction& tx, std::string_view id, const std::optional<std::vector<int64_t>>& ok) {
  if (!ok) co_return std::optional<int64_t>();
  if (ok->empty()) co_return std::optional<int64_t>(kNoVersion);
  if (ok->size() == 1) co_return std::optional<int64_t>(ok->front());
  TENANTD_CO_TRY(std::optional<products::Product> current, co_await products::GetProduct(tx, id));
  if (!current) co_return products::NoSuchProduct();
  const bool listed = std::find(ok->begin(), ok->end(), current->version) != ok->end();
  co_return std::optional<int64_t>(listed ? current->version : kNoVersion);
}

Response WithEtag(Response res, int64_t version) {
  res.headers.Add("ETag", products::ProductEtag(version));
  return res;
}

Response CreatedAnswer(products::StoredAnswer answer, bool replayed) {
  Response res = Response::Json(answer.status, std::move(answer.body));
  if (!answer.location.empty()) res.headers.Add("Location", std::move(answer.location));
  // The body is the product as created (a replay too), hence at its first version.
  res = WithEtag(std::move(res), products::kFirstVersion);
  if (replayed) res.headers.Add("Idempotent-Replayed", "true");
  return res;
}

products::StoredAnswer RenderCreated(const products::Product& p) {
  return {201, Location(p.id), products::ProductAnswer(p)};
}

std::string PageJson(const products::ProductPage& page) {
  std::string out;
  out.reserve(64 + 320 * page.items.size());
  out += R"({"data":[)";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0) out += ',';
    products::AppendProductJson(out, page.items[i]);
  }
  out += R"(],"next_cursor":)";
  if (page.next_cursor) {
    out += '"';
    out += *page.next_cursor;  // a product id: plain ASCII
    out += '"';
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

Response ShowAnswer(const products::Product& p, const Request& req) {
  std::string etag = products::ProductEtag(p.version);
  if (const auto none_match = req.headers.Get("If-None-Match");
      none_match &&
      http::IfNoneMatchMatches(*none_match, std::string_view(etag).substr(1, etag.size() - 2))) {
    Response not_modified;
    not_modified.status = 304;
    not_modified.headers.Add("ETag", std::move(etag));
    return not_modified;
  }
  Response res = Response::Json(200, products::ProductAnswer(p));
  res.headers.Add("ETag", std::move(etag));
  return res;
}

}  // namespace

// Each handler holds its tenant transaction only across calls of that
// transaction (which on SQLite complete inline), and lets it go before
// answering.

awaitable<Response> ProductHandlers::Create(Request& req, RequestContext& ctx) const {
  std::optional<products::IdempotencyKey> key;
  if (const auto raw = req.headers.Get("Idempotency-Key")) {
    if (!products::IsValidIdempotencyKey(*raw)) {
      co_return Problem(
          base::InvalidArgument("bad_request",
                                "Idempotency-Key must be 1-255 printable ASCII characters."),
          ctx);
    }
    // The raw bytes, not the parsed JSON: a retry sends the same bytes.
    key = products::IdempotencyKey{std::string(*raw), std::string(kCreateRoute),
                                   crypto::Sha256Hex(req.body)};
  }
  auto body = http::ParseJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto fields = products::ReadNewProduct(*body);
  if (!fields) co_return Problem(fields.error(), ctx);

  const base::TimePoint now = clock.Now();
  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
  if (!tx) co_return Problem(tx.error(), ctx);
  products::IdempotentCreate created;
  if (key) {
    auto once = co_await products::CreateProductOnce(**tx, *fields, *key, now, RenderCreated);
    if (!once) co_return Problem(once.error(), ctx);
    created = std::move(*once);
  } else {
    auto product = co_await products::CreateProduct(**tx, *fields, now);
    if (!product) co_return Problem(product.error(), ctx);
    created.answer = RenderCreated(*product);
  }
  if (auto committed = co_await (*tx)->Commit(); !committed) {
    co_return Problem(committed.error(), ctx);
  }
  co_return CreatedAnswer(std::move(created.answer), created.replayed);
}

awaitable<Response> ProductHandlers::List(Request& req, RequestContext& ctx) const {
  auto limit = http::ParseLimit(req);
  if (!limit) co_return Problem(limit.error(), ctx);
  auto after = http::ParseCursor(req, products::kProductIdPrefix);
  if (!after) co_return Problem(after.error(), ctx);
  const std::optional<std::string> sku = req.QueryParam("sku");
  std::optional<std::string_view> sku_view;
  if (sku) sku_view = *sku;

  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
  if (!tx) co_return Problem(tx.error(), ctx);
  auto page = co_await products::ListProducts(**tx, *after, *limit, sku_view);
  if (!page) co_return Problem(page.error(), ctx);
  co_return Response::Json(200, PageJson(*page));
}

awaitable<Response> ProductHandlers::Show(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) co_return Problem(products::NoSuchProduct(), ctx);
  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kRead);
  if (!tx) co_return Problem(tx.error(), ctx);
  auto product = co_await products::GetProduct(**tx, id);
  if (!product) co_return Problem(product.error(), ctx);
  if (!*product) co_return Problem(products::NoSuchProduct(), ctx);
  co_return ShowAnswer(**product, req);
}

awaitable<Response> ProductHandlers::Update(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) co_return Problem(products::NoSuchProduct(), ctx);
  auto body = http::ParseJsonObject(req);
  if (!body) co_return Problem(body.error(), ctx);
  auto patch = products::ReadProductPatch(*body);
  if (!patch) co_return Problem(patch.error(), ctx);

  const auto if_match = IfMatchVersions(req);
  const base::TimePoint now = clock.Now();
  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
  if (!tx) co_return Problem(tx.error(), ctx);
  auto expected = co_await ExpectedVersion(**tx, id, if_match);
  if (!expected) co_return Problem(expected.error(), ctx);
  auto updated = co_await products::PatchProduct(**tx, id, *patch, *expected, now);
  if (!updated) co_return Problem(updated.error(), ctx);
  if (auto committed = co_await (*tx)->Commit(); !committed) {
    co_return Problem(committed.error(), ctx);
  }
  co_return WithEtag(Response::Json(200, products::ProductAnswer(*updated)), updated->version);
}

awaitable<Response> ProductHandlers::Remove(Request& req, RequestContext& ctx) const {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) co_return Problem(products::NoSuchProduct(), ctx);
  const auto if_match = IfMatchVersions(req);
  auto tx = co_await data.Begin(ctx.auth.tenant_id, Access::kWrite);
  if (!tx) co_return Problem(tx.error(), ctx);
  auto expected = co_await ExpectedVersion(**tx, id, if_match);
  if (!expected) co_return Problem(expected.error(), ctx);
  if (auto removed = co_await products::DeleteProduct(**tx, id, *expected); !removed) {
    co_return Problem(removed.error(), ctx);
  }
  if (auto committed = co_await (*tx)->Commit(); !committed) {
    co_return Problem(committed.error(), ctx);
  }
  co_return Response::NoContent();
}

}  // namespace tenantd::tenant_api
