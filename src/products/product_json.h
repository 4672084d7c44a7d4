// Products on the wire (docs/api.md "Products"): request bodies in, the
// product object out.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "base/error.h"
#include "products/product_store.h"

namespace tenantd::products {

// A POST /v1/products body: {"sku", "name", "price_cents", "currency"?,
// "attributes"?}; null for currency or attributes means the default.
// 422 validation_failed naming every field at fault: unknown, missing, of
// the wrong JSON type (a price must be a JSON integer, not 10.0 or "10"),
// or with an invalid value (ValidateNewProduct).
base::Result<NewProduct> ReadNewProduct(const boost::json::object& body);

// A PATCH /v1/products/{id} body: any of the same fields, none null.
base::Result<ProductPatch> ReadProductPatch(const boost::json::object& body);

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view s);

// Appends {"id","sku","name","price_cents","currency","attributes",
// "version","created_at","updated_at"}. Written by hand rather than through
// a boost::json tree: reading one product is the hot path, and only the
// name needs escaping (ids, skus, currencies and timestamps are validated
// ASCII tokens; attributes are stored as serialised JSON).
void AppendProductJson(std::string& out, const Product& p);

// {"product": {...}}: the answer to a create, read or update.
std::string ProductAnswer(const Product& p);

// "\"<version>\"": the product's strong ETag.
std::string ProductEtag(int64_t version);

}  // namespace tenantd::products
