// Products (api.md §5): the first resource kept in the tenant's own
// database (table `products`, src/tenant_db/migrations/0001_products.sql).
//
// Every function works inside a transaction bound to one tenant, as
// tenant_db::TenantData::Begin hands out, so a tenant can only ever reach
// its own rows: isolation comes from where the transaction is bound (the
// tenant's file today), not from a WHERE clause. Reads need a kRead
// transaction, writes a kWrite one, which the caller commits. The SQL is
// the seam's ($n placeholders, RETURNING, nothing engine-specific).
// Co_await each call at once (its arguments are read by reference).
//
// Errors: 422 validation_failed with field errors for invalid values,
// kNotFound "not_found" for an id that does not exist here,
// kAlreadyExists "sku_taken" for a sku another product of the tenant has,
// kFailedPrecondition "precondition_failed" when an expected version is
// stale, kUnavailable when the database stays locked past the busy timeout,
// kInternal otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "products/idempotency.h"
#include "storage/database.h"

namespace tenantd::products {

// The version of a product just created; each write adds one. It is the
// product's ETag, so a version is never reused.
inline constexpr int64_t kFirstVersion = 1;
// Product ids are `prd_` + a ULID (base::NewId).
inline constexpr std::string_view kProductIdPrefix = "prd";

// Value limits (the field rules of docs/api.md "Products").
inline constexpr std::size_t kSkuMaxChars = 64;
inline constexpr std::size_t kNameMaxBytes = 200;
inline constexpr int64_t kMaxPriceCents = 1'000'000'000'000'000;  // 10^15
inline constexpr std::size_t kAttributesMaxBytes = 16 * 1024;     // serialised
inline constexpr std::string_view kDefaultCurrency = "USD";

struct Product {
  std::string id;  // "prd_…"
  std::string sku;
  std::string name;
  int64_t price_cents = 0;
  std::string currency;
  // The attributes object as compact JSON text, exactly as stored: it was
  // produced by boost::json::serialize of a validated object, so it can be
  // spliced into an answer verbatim.
  std::string attributes;
  int64_t version = 0;
  std::string created_at;  // RFC 3339 UTC, milliseconds, as stored
  std::string updated_at;
};

struct NewProduct {
  std::string sku;
  std::string name;  // leading and trailing whitespace is dropped
  int64_t price_cents = 0;
  std::string currency{kDefaultCurrency};
  boost::json::object attributes;
};

// A partial update: only the fields set change. `attributes` replaces the
// whole object.
struct ProductPatch {
  std::optional<std::string> sku;
  std::optional<std::string> name;
  std::optional<int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<boost::json::object> attributes;

  bool empty() const { return !sku && !name && !price_cents && !currency && !attributes; }
};

struct ProductPage {
  std::vector<Product> items;
  std::optional<std::string> next_cursor;  // the last item's id when more follow
};

// Why the values of `p` (or of the fields `patch` sets) are invalid, one
// error per field; empty when they are valid.
std::vector<base::FieldError> ValidateNewProduct(const NewProduct& p);
std::vector<base::FieldError> ValidateProductPatch(const ProductPatch& patch);

// The 404 every product route answers for an id this tenant has no
// product under (another tenant's id included).
base::Error NoSuchProduct();

// Validates and inserts `p` with a new id, version kFirstVersion and both
// timestamps `now`.
boost::asio::awaitable<base::Result<Product>> CreateProduct(storage::Transaction& tx,
                                                            const NewProduct& p,
                                                            base::TimePoint now);

// The answer a create gave (or gives now), and whether it is a replay.
struct IdempotentCreate {
  StoredAnswer answer;
  bool replayed = false;
};

// POST with an Idempotency-Key, in the caller's kWrite transaction (it
// holds the write lock, so concurrent retries queue and only the first
// creates; the caller commits on success):
// if `key` answered within the replay window, that answer is returned with
// `replayed` (or kFailedPrecondition "idempotency_key_reused" when it came
// with another body); otherwise the product is created, `render` turns it
// into the answer, and the answer is stored under `key`. A create that
// fails stores nothing (the caller does not commit), so a corrected retry
// may reuse the key.
boost::asio::awaitable<base::Result<IdempotentCreate>> CreateProductOnce(
    storage::Transaction& tx, const NewProduct& p, const IdempotencyKey& key, base::TimePoint now,
    std::function<StoredAnswer(const Product&)> render);

// The product with `id`; nullopt when there is none.
boost::asio::awaitable<base::Result<std::optional<Product>>> GetProduct(storage::Transaction& tx,
                                                                        std::string_view id);

// Products in id order (creation order) after the cursor `after` ("" =
// from the start), at most `limit` (clamped to 1-500); with `sku`, only the
// product with exactly that sku.
boost::asio::awaitable<base::Result<ProductPage>> ListProducts(
    storage::Transaction& tx, std::string_view after, int limit,
    std::optional<std::string_view> sku = std::nullopt);

// Applies `patch`, adds one to the version and sets updated_at to `now`.
// With `expected_version`, only when the product is at that version
// (precondition_failed otherwise). An empty patch writes nothing and
// returns the product as it is (the expected version is still checked).
boost::asio::awaitable<base::Result<Product>> PatchProduct(storage::Transaction& tx,
                                                           std::string_view id,
                                                           const ProductPatch& patch,
                                                           std::optional<int64_t> expected_version,
                                                           base::TimePoint now);

// Removes the product; with `expected_version`, only at that version.
boost::asio::awaitable<base::Status> DeleteProduct(storage::Transaction& tx, std::string_view id,
                                                   std::optional<int64_t> expected_version);

}  // namespace tenantd::products
