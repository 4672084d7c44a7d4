#include "products/product_store.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <utility>

#include "base/ids.h"
#include "base/text.h"

namespace tenantd::products {
namespace {

constexpr int kMaxListLimit = 500;

// Columns read by ReadProduct, in its order. Every SQL text below is a
// constant, so each is prepared once per handle and then reused from the
// statement cache.
#define TENANTD_PRODUCT_COLUMNS \
  "id, sku, name, price_cents, currency, attributes, version, created_at, updated_at"

constexpr std::string_view kInsertSql =
    "INSERT INTO products (" TENANTD_PRODUCT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kSelectByIdSql =
    "SELECT " TENANTD_PRODUCT_COLUMNS " FROM products WHERE id = ?";
constexpr std::string_view kListSql =
    "SELECT " TENANTD_PRODUCT_COLUMNS " FROM products WHERE id > ? ORDER BY id LIMIT ?";
constexpr std::string_view kListBySkuSql = "SELECT " TENANTD_PRODUCT_COLUMNS
                                           " FROM products WHERE sku = ? AND id > ?"
                                           " ORDER BY id LIMIT ?";
// One statement, so a partial update reads and writes under one lock: a
// NULL parameter keeps the column (no column may be NULL), and ?8 is the
// expected version or NULL for none.
constexpr std::string_view kPatchSql =
    "UPDATE products SET sku = coalesce(?1, sku), name = coalesce(?2, name),"
    " price_cents = coalesce(?3, price_cents), currency = coalesce(?4, currency),"
    " attributes = coalesce(?5, attributes), version = version + 1, updated_at = ?6"
    " WHERE id = ?7 AND (?8 IS NULL OR version = ?8) RETURNING " TENANTD_PRODUCT_COLUMNS;
constexpr std::string_view kDeleteSql =
    "DELETE FROM products WHERE id = ?1 AND (?2 IS NULL OR version = ?2)";
constexpr std::string_view kExistsSql = "SELECT 1 FROM products WHERE id = ?";

#undef TENANTD_PRODUCT_COLUMNS

template <class T>
void BindOrNull(storage::sqlite::Statement& st, int index, const std::optional<T>& value) {
  if (value) {
    st.Bind(index, *value);
  } else {
    st.Bind(index, std::nullopt);
  }
}

Product ReadProduct(const storage::sqlite::Statement& st) {
  Product p;
  p.id = st.ColumnText(0);
  p.sku = st.ColumnText(1);
  p.name = st.ColumnText(2);
  p.price_cents = st.ColumnInt64(3);
  p.currency = st.ColumnText(4);
  p.attributes = st.ColumnText(5);
  p.version = st.ColumnInt64(6);
  p.created_at = st.ColumnText(7);
  p.updated_at = st.ColumnText(8);
  return p;
}

bool IsSkuChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

void CheckSku(std::string_view sku, std::vector<base::FieldError>& errors) {
  bool ok = !sku.empty() && sku.size() <= kSkuMaxChars;
  for (char c : sku) ok = ok && IsSkuChar(c);
  if (!ok) {
    errors.push_back({"sku", "Sku must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'."});
  }
}

void CheckName(std::string_view name, std::vector<base::FieldError>& errors) {
  if (auto e = base::CheckName(name, kNameMaxBytes)) errors.push_back(std::move(*e));
}

void CheckPrice(int64_t price_cents, std::vector<base::FieldError>& errors) {
  if (price_cents < 0 || price_cents > kMaxPriceCents) {
    errors.push_back({"price_cents", "Must be a whole number from 0 to 1000000000000000."});
  }
}

// ISO 4217 alphabetic codes are three upper-case letters; which codes
// exist is the client's business (new ones appear, old ones linger).
void CheckCurrency(std::string_view currency, std::vector<base::FieldError>& errors) {
  bool ok = currency.size() == 3;
  for (char c : currency) ok = ok && c >= 'A' && c <= 'Z';
  if (!ok) errors.push_back({"currency", "Currency must be three upper-case letters (e.g. USD)."});
}

// The stored text of `attributes`; an error when it is too large.
std::string SerialiseAttributes(const boost::json::object& attributes,
                                std::vector<base::FieldError>& errors) {
  std::string text = boost::json::serialize(attributes);
  if (text.size() > kAttributesMaxBytes) {
    errors.push_back({"attributes", "Attributes must serialise to at most 16384 bytes of JSON."});
  }
  return text;
}

// Validates `p` and hands back its attributes as they are stored.
std::vector<base::FieldError> Validate(const NewProduct& p, std::string& attributes_text) {
  std::vector<base::FieldError> errors;
  CheckSku(p.sku, errors);
  CheckName(p.name, errors);
  CheckPrice(p.price_cents, errors);
  CheckCurrency(p.currency, errors);
  attributes_text = SerialiseAttributes(p.attributes, errors);
  return errors;
}

std::vector<base::FieldError> Validate(const ProductPatch& patch,
                                       std::optional<std::string>& attributes_text) {
  std::vector<base::FieldError> errors;
  if (patch.sku) CheckSku(*patch.sku, errors);
  if (patch.name) CheckName(*patch.name, errors);
  if (patch.price_cents) CheckPrice(*patch.price_cents, errors);
  if (patch.currency) CheckCurrency(*patch.currency, errors);
  if (patch.attributes) attributes_text = SerialiseAttributes(*patch.attributes, errors);
  return errors;
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
base::Error WhyUnchanged(storage::sqlite::Connection& db, std::string_view id) {
  auto st = db.Prepare(kExistsSql);
  if (!st) return std::move(st).error();
  st->Bind(1, id);
  auto row = st->Step();
  if (!row) return std::move(row).error();
  return *row ? Stale() : NoSuchProduct();
}

}  // namespace

base::Error NoSuchProduct() { return base::NotFound("No such product."); }

std::vector<base::FieldError> ValidateNewProduct(const NewProduct& p) {
  std::string attributes_text;
  return Validate(p, attributes_text);
}

std::vector<base::FieldError> ValidateProductPatch(const ProductPatch& patch) {
  std::optional<std::string> attributes_text;
  return Validate(patch, attributes_text);
}

base::Result<Product> CreateProduct(storage::sqlite::Connection& db, const NewProduct& p,
                                    base::TimePoint now) {
  Product product;
  auto errors = Validate(p, product.attributes);
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  product.id = base::NewId(kProductIdPrefix);
  product.sku = p.sku;
  product.name = std::string(base::TrimAsciiSpace(p.name));
  product.price_cents = p.price_cents;
  product.currency = p.currency;
  product.version = kFirstVersion;
  product.created_at = base::FormatRfc3339(now);
  product.updated_at = product.created_at;

  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kInsertSql));
  st.Bind(1, product.id)
      .Bind(2, product.sku)
      .Bind(3, product.name)
      .Bind(4, product.price_cents)
      .Bind(5, product.currency)
      .Bind(6, product.attributes)
      .Bind(7, product.version)
      .Bind(8, product.created_at)
      .Bind(9, product.updated_at);
  if (auto step = st.Step(); !step) return Translate(std::move(step).error());
  return product;
}

base::Result<IdempotentCreate> CreateProductOnce(
    storage::sqlite::Connection& db, const NewProduct& p, const IdempotencyKey& key,
    base::TimePoint now, const std::function<StoredAnswer(const Product&)>& render) {
  // Rolled back on every early return: a replay writes nothing, and a
  // failed create leaves neither a product nor a key behind.
  TENANTD_TRY(storage::sqlite::Transaction tx, db.Begin());
  TENANTD_TRY(std::optional<StoredAnswer> stored, FindStoredAnswer(db, key, now));
  if (stored) return IdempotentCreate{std::move(*stored), true};
  TENANTD_TRY(Product product, CreateProduct(db, p, now));
  IdempotentCreate created{render(product), false};
  TENANTD_RETURN_IF_ERROR(StoreAnswer(db, key, created.answer, now));
  TENANTD_RETURN_IF_ERROR(tx.Commit());
  return created;
}

base::Result<std::optional<Product>> GetProduct(storage::sqlite::Connection& db,
                                                std::string_view id) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kSelectByIdSql));
  st.Bind(1, id);
  TENANTD_TRY(bool row, st.Step());
  if (!row) return std::optional<Product>();
  return std::optional<Product>(ReadProduct(st));
}

base::Result<ProductPage> ListProducts(storage::sqlite::Connection& db, std::string_view after,
                                       int limit, std::optional<std::string_view> sku) {
  limit = std::clamp(limit, 1, kMaxListLimit);
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(sku ? kListBySkuSql : kListSql));
  const int first = sku ? 2 : 1;
  if (sku) st.Bind(1, *sku);
  // One row more than asked tells whether another page follows.
  st.Bind(first, after).Bind(first + 1, limit + 1);
  ProductPage page;
  for (;;) {
    TENANTD_TRY(bool row, st.Step());
    if (!row) break;
    page.items.push_back(ReadProduct(st));
  }
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

base::Result<Product> PatchProduct(storage::sqlite::Connection& db, std::string_view id,
                                   const ProductPatch& patch,
                                   std::optional<int64_t> expected_version, base::TimePoint now) {
  std::optional<std::string> attributes_text;
  auto errors = Validate(patch, attributes_text);
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  if (patch.empty()) {
    TENANTD_TRY(std::optional<Product> current, GetProduct(db, id));
    if (!current) return NoSuchProduct();
    if (expected_version && *expected_version != current->version) return Stale();
    return std::move(*current);
  }

  std::optional<std::string_view> name;
  if (patch.name) name = base::TrimAsciiSpace(*patch.name);
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kPatchSql));
  BindOrNull(st, 1, patch.sku);
  BindOrNull(st, 2, name);
  BindOrNull(st, 3, patch.price_cents);
  BindOrNull(st, 4, patch.currency);
  BindOrNull(st, 5, attributes_text);
  st.Bind(6, base::FormatRfc3339(now)).Bind(7, id);
  BindOrNull(st, 8, expected_version);
  auto row = st.Step();
  if (!row) return Translate(std::move(row).error());
  if (!*row) return WhyUnchanged(db, id);
  Product updated = ReadProduct(st);
  // Runs the statement to its end, so the autocommit ends here and any
  // failure to commit is reported rather than lost in the reset.
  TENANTD_RETURN_IF_ERROR(st.Step());
  return updated;
}

base::Status DeleteProduct(storage::sqlite::Connection& db, std::string_view id,
                           std::optional<int64_t> expected_version) {
  TENANTD_TRY(storage::sqlite::Statement st, db.Prepare(kDeleteSql));
  st.Bind(1, id);
  BindOrNull(st, 2, expected_version);
  TENANTD_RETURN_IF_ERROR(st.Step());
  if (db.Changes() == 0) return WhyUnchanged(db, id);
  return {};
}

}  // namespace tenantd::products
