#include "tenant_api/product_handlers.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "base/ids.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "http/entity_tag.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "products/idempotency.h"
#include "products/product_json.h"
#include "products/product_store.h"
#include "tenant_db/pool.h"

namespace tenantd::tenant_api {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;
using tenant_db::TenantDbPool;

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
base::Result<std::optional<int64_t>> ExpectedVersion(
    storage::sqlite::Connection& db, std::string_view id,
    const std::optional<std::vector<int64_t>>& ok) {
  if (!ok) return std::optional<int64_t>();
  if (ok->empty()) return std::optional<int64_t>(kNoVersion);
  if (ok->size() == 1) return std::optional<int64_t>(ok->front());
  TENANTD_TRY(std::optional<products::Product> current, products::GetProduct(db, id));
  if (!current) return products::NoSuchProduct();
  const bool listed = std::find(ok->begin(), ok->end(), current->version) != ok->end();
  return std::optional<int64_t>(listed ? current->version : kNoVersion);
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

// The handlers proper are plain functions: the lease lives in their frame
// and goes back to the pool before the coroutine answers.

Response CreateProduct(TenantDbPool& pool, const Request& req, const RequestContext& ctx) {
  std::optional<products::IdempotencyKey> key;
  if (const auto raw = req.headers.Get("Idempotency-Key")) {
    if (!products::IsValidIdempotencyKey(*raw)) {
      return Problem(
          base::InvalidArgument("bad_request",
                                "Idempotency-Key must be 1-255 printable ASCII characters."),
          ctx);
    }
    // The raw bytes, not the parsed JSON: a retry sends the same bytes.
    key = products::IdempotencyKey{std::string(*raw), std::string(kCreateRoute),
                                   crypto::Sha256Hex(req.body)};
  }
  auto body = http::ParseJsonObject(req);
  if (!body) return Problem(body.error(), ctx);
  auto fields = products::ReadNewProduct(*body);
  if (!fields) return Problem(fields.error(), ctx);

  auto lease = pool.Acquire(ctx.auth.tenant_id);
  if (!lease) return Problem(lease.error(), ctx);
  const base::TimePoint now = std::chrono::system_clock::now();
  if (!key) {
    auto product = products::CreateProduct(lease->db(), *fields, now);
    if (!product) return Problem(product.error(), ctx);
    return CreatedAnswer({201, Location(product->id), products::ProductAnswer(*product)}, false);
  }
  auto once =
      products::CreateProductOnce(lease->db(), *fields, *key, now, [](const products::Product& p) {
        return products::StoredAnswer{201, Location(p.id), products::ProductAnswer(p)};
      });
  if (!once) return Problem(once.error(), ctx);
  return CreatedAnswer(std::move(once->answer), once->replayed);
}

Response ListProducts(TenantDbPool& pool, const Request& req, const RequestContext& ctx) {
  auto limit = http::ParseLimit(req);
  if (!limit) return Problem(limit.error(), ctx);
  auto after = http::ParseCursor(req, products::kProductIdPrefix);
  if (!after) return Problem(after.error(), ctx);
  const std::optional<std::string> sku = req.QueryParam("sku");

  auto lease = pool.Acquire(ctx.auth.tenant_id);
  if (!lease) return Problem(lease.error(), ctx);
  auto page = products::ListProducts(lease->db(), *after, *limit,
                                     sku ? std::optional<std::string_view>(*sku) : std::nullopt);
  if (!page) return Problem(page.error(), ctx);

  std::string out;
  out.reserve(64 + 320 * page->items.size());
  out += R"({"data":[)";
  for (std::size_t i = 0; i < page->items.size(); ++i) {
    if (i > 0) out += ',';
    products::AppendProductJson(out, page->items[i]);
  }
  out += R"(],"next_cursor":)";
  if (page->next_cursor) {
    out += '"';
    out += *page->next_cursor;  // a product id: plain ASCII
    out += '"';
  } else {
    out += "null";
  }
  out += '}';
  return Response::Json(200, std::move(out));
}

Response ShowProduct(TenantDbPool& pool, const Request& req, const RequestContext& ctx) {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) return Problem(products::NoSuchProduct(), ctx);
  auto lease = pool.Acquire(ctx.auth.tenant_id);
  if (!lease) return Problem(lease.error(), ctx);
  auto product = products::GetProduct(lease->db(), id);
  if (!product) return Problem(product.error(), ctx);
  if (!*product) return Problem(products::NoSuchProduct(), ctx);
  const products::Product& p = **product;

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

Response UpdateProduct(TenantDbPool& pool, const Request& req, const RequestContext& ctx) {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) return Problem(products::NoSuchProduct(), ctx);
  auto body = http::ParseJsonObject(req);
  if (!body) return Problem(body.error(), ctx);
  auto patch = products::ReadProductPatch(*body);
  if (!patch) return Problem(patch.error(), ctx);

  auto lease = pool.Acquire(ctx.auth.tenant_id);
  if (!lease) return Problem(lease.error(), ctx);
  auto expected = ExpectedVersion(lease->db(), id, IfMatchVersions(req));
  if (!expected) return Problem(expected.error(), ctx);
  auto updated =
      products::PatchProduct(lease->db(), id, *patch, *expected, std::chrono::system_clock::now());
  if (!updated) return Problem(updated.error(), ctx);
  return WithEtag(Response::Json(200, products::ProductAnswer(*updated)), updated->version);
}

Response RemoveProduct(TenantDbPool& pool, const Request& req, const RequestContext& ctx) {
  const std::string_view id = req.PathParam("id");
  if (!IsProductId(id)) return Problem(products::NoSuchProduct(), ctx);
  auto lease = pool.Acquire(ctx.auth.tenant_id);
  if (!lease) return Problem(lease.error(), ctx);
  auto expected = ExpectedVersion(lease->db(), id, IfMatchVersions(req));
  if (!expected) return Problem(expected.error(), ctx);
  if (auto removed = products::DeleteProduct(lease->db(), id, *expected); !removed) {
    return Problem(removed.error(), ctx);
  }
  return Response::NoContent();
}

}  // namespace

awaitable<Response> ProductHandlers::Create(Request& req, RequestContext& ctx) const {
  co_return CreateProduct(pool, req, ctx);
}

awaitable<Response> ProductHandlers::List(Request& req, RequestContext& ctx) const {
  co_return ListProducts(pool, req, ctx);
}

awaitable<Response> ProductHandlers::Show(Request& req, RequestContext& ctx) const {
  co_return ShowProduct(pool, req, ctx);
}

awaitable<Response> ProductHandlers::Update(Request& req, RequestContext& ctx) const {
  co_return UpdateProduct(pool, req, ctx);
}

awaitable<Response> ProductHandlers::Remove(Request& req, RequestContext& ctx) const {
  co_return RemoveProduct(pool, req, ctx);
}

}  // namespace tenantd::tenant_api
