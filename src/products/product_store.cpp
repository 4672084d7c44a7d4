#include "products/product_store.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <utility>

#include "base/ids.h"
#include "base/text.h"
#include "products/product_validation.h"

namespace tenantd::products {
namespace {

using boost::asio::awaitable;

constexpr int kMaxListLimit = 500;

// Columns read by ReadProduct, in its order. Every SQL text below is a
// constant, so on SQLite each is prepared once per connection and then
// reused from the statement cache.
#define TENANTD_PRODUCT_COLUMNS \
  "id, sku, name, price_cents, currency, attributes, version, created_at, updated_at"

constexpr std::string_view kInsertSql = "INSERT INTO products (" TENANTD_PRODUCT_COLUMNS
                                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr std::string_view kSelectByIdSql =
    "SELECT " TENANTD_PRODUCT_COLUMNS " FROM products WHERE id = $1";
constexpr std::string_view kListSql =
    "SELECT " TENANTD_PRODUCT_COLUMNS " FROM products WHERE id > $1 ORDER BY id LIMIT $2";
constexpr std::string_view kListBySkuSql = "SELECT " TENANTD_PRODUCT_COLUMNS
                                           " FROM products WHERE sku = $1 AND id > $2"
                                           " ORDER BY id LIMIT $3";
// One statement, so a partial update reads and writes under one lock: a
// NULL parameter keeps the column (no column may be NULL), and $8 is the
// expected version or NULL for none.
constexpr std::string_view kPatchSql =
    "UPDATE products SET sku = coalesce($1, sku), name = coalesce($2, name),"
    " price_cents = coalesce($3, price_cents), currency = coalesce($4, currency),"
    " attributes = coalesce($5, attributes), version = version + 1, updated_at = $6"
    " WHERE id = $7 AND ($8 IS NULL OR version = $8) RETURNING " TENANTD_PRODUCT_COLUMNS;
constexpr std::string_view kDeleteSql =
    "DELETE FROM products WHERE id = $1 AND ($2 IS NULL OR version = $2)";
constexpr std::string_view kExistsSql = "SELECT 1 FROM products WHERE id = $1";

#undef TENANTD_PRODUCT_COLUMNS

Product ReadProduct(const storage::Row& row) {
  Product p;
  p.id = row.Text(0);
  p.sku = row.Text(1);
  p.name = row.Text(2);
  p.price_cents = row.Int64(3);
  p.currency = row.Text(4);
  p.attributes = row.Text(5);
  p.version = row.Int64(6);
  p.created_at = row.Text(7);
  p.updated_at = row.Text(8);
  return p;
}

// The sku is the one UNIQUE column a client controls (ids are minted here).
base::Error Translate(base::Error e) {
  if (storage::IsUniqueViolation(e)) {
    return base::MakeError(base::ErrorCode::kAlreadyExists, "sku_taken",
                           "Another product already has this sku.", std::move(e.log_detail));
  }
  return e;
}

base::Error Stale() {
  return base::MakeError(base::ErrorCode::kFailedPrecondition, "precondition_failed",
                         "The product has changed since the version named by If-Match.");
}

// Why a conditional write touched no row: the product is gone, or at
// another version.
awaitable<base::Error> WhyUnchanged(storage::Transaction& tx, std::string_view id) {
  auto rows = co_await tx.Query(kExistsSql, id);
  if (!rows) co_return std::move(rows).error();
  co_return rows->empty() ? NoSuchProduct() : Stale();
}

}  // namespace

base::Error NoSuchProduct() { return base::NotFound("No such product."); }

awaitable<base::Result<Product>> CreateProduct(storage::Transaction& tx, const NewProduct& p,
                                               base::TimePoint now) {
  Product product;
  auto errors = Validate(p, product.attributes);
  if (!errors.empty()) co_return base::ValidationFailed(std::move(errors));
  product.id = base::NewId(kProductIdPrefix);
  product.sku = p.sku;
  product.name = std::string(base::TrimAsciiSpace(p.name));
  product.price_cents = p.price_cents;
  product.currency = p.currency;
  product.version = kFirstVersion;
  product.created_at = base::FormatRfc3339(now);
  product.updated_at = product.created_at;

  auto inserted = co_await tx.Exec(kInsertSql, product.id, product.sku, product.name,
                                   product.price_cents, product.currency, product.attributes,
                                   product.version, product.created_at, product.updated_at);
  if (!inserted) co_return Translate(std::move(inserted).error());
  co_return product;
}

awaitable<base::Result<IdempotentCreate>> CreateProductOnce(
    storage::Transaction& tx, const NewProduct& p, const IdempotencyKey& key, base::TimePoint now,
    std::function<StoredAnswer(const Product&)> render) {
  TENANTD_CO_TRY(std::optional<StoredAnswer> stored, co_await FindStoredAnswer(tx, key, now));
  if (stored) co_return IdempotentCreate{std::move(*stored), true};
  TENANTD_CO_TRY(Product product, co_await CreateProduct(tx, p, now));
  IdempotentCreate created{render(product), false};
  TENANTD_CO_RETURN_IF_ERROR(co_await StoreAnswer(tx, key, created.answer, now));
  co_return created;
}

awaitable<base::Result<std::optional<Product>>> GetProduct(storage::Transaction& tx,
                                                           std::string_view id) {
  TENANTD_CO_TRY(storage::Rows rows, co_await tx.Query(kSelectByIdSql, id));
  if (rows.empty()) co_return std::optional<Product>();
  co_return std::optional<Product>(ReadProduct(rows.front()));
}

awaitable<base::Result<ProductPage>> ListProducts(storage::Transaction& tx, std::string_view after,
                                                  int limit, std::optional<std::string_view> sku) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  // One row more than asked tells whether another page follows.
  base::Result<storage::Rows> rows = storage::Rows{};
  if (sku) {
    rows = co_await tx.Query(kListBySkuSql, *sku, after, limit + 1);
  } else {
    rows = co_await tx.Query(kListSql, after, limit + 1);
  }
  if (!rows) co_return std::move(rows).error();
  ProductPage page;
  page.items.reserve(rows->size());
  for (const storage::Row& row : rows->rows) page.items.push_back(ReadProduct(row));
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  co_return page;
}

awaitable<base::Result<Product>> PatchProduct(storage::Transaction& tx, std::string_view id,
                                              const ProductPatch& patch,
                                              std::optional<int64_t> expected_version,
                                              base::TimePoint now) {
  std::optional<std::string> attributes_text;
  auto errors = Validate(patch, attributes_text);
  if (!errors.empty()) co_return base::ValidationFailed(std::move(errors));
  if (patch.empty()) {
    TENANTD_CO_TRY(std::optional<Product> current, co_await GetProduct(tx, id));
    if (!current) co_return NoSuchProduct();
    if (expected_version && *expected_version != current->version) co_return Stale();
    co_return std::move(*current);
  }

  std::optional<std::string_view> name;
  if (patch.name) name = base::TrimAsciiSpace(*patch.name);
  auto rows = co_await tx.Query(kPatchSql, patch.sku, name, patch.price_cents, patch.currency,
                                attributes_text, base::FormatRfc3339(now), id, expected_version);
  if (!rows) co_return Translate(std::move(rows).error());
  if (rows->empty()) co_return co_await WhyUnchanged(tx, id);
  co_return ReadProduct(rows->front());
}

awaitable<base::Status> DeleteProduct(storage::Transaction& tx, std::string_view id,
                                      std::optional<int64_t> expected_version) {
  TENANTD_CO_TRY(storage::Rows deleted, co_await tx.Query(kDeleteSql, id, expected_version));
  if (deleted.affected == 0) co_return co_await WhyUnchanged(tx, id);
  co_return storage::Ok();
}

}  // namespace tenantd::products
