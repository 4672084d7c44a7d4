#include "tenant_api/product_docs.h"

namespace tenantd::tenant_api::product_docs {
namespace {

constexpr const char* kProduct = R"({
  "title": "Product", "type": "object",
  "required": ["id", "sku", "name", "price_cents", "currency", "attributes", "version", "created_at", "updated_at"],
  "properties": {
    "id": {"type": "string", "pattern": "^prd_"},
    "sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
    "name": {"type": "string", "minLength": 1},
    "price_cents": {"type": "integer", "minimum": 0, "maximum": 1000000000000000},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "attributes": {"type": "object", "additionalProperties": true},
    "version": {"type": "integer", "minimum": 1, "description": "Also the ETag"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}
  }})";

constexpr const char* kProductInput = R"({
  "title": "ProductInput", "type": "object", "additionalProperties": false,
  "required": ["sku", "name", "price_cents"],
  "properties": {
    "sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$", "description": "Unique within the tenant"},
    "name": {"type": "string", "minLength": 1, "description": "1-200 bytes, no control characters"},
    "price_cents": {"type": "integer", "minimum": 0, "maximum": 1000000000000000},
    "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "Default USD"},
    "attributes": {"type": ["object", "null"], "additionalProperties": true, "description": "At most 16 KiB serialised; default {}"}
  }})";

constexpr const char* kProductPatch = R"({
  "title": "ProductPatch", "type": "object", "additionalProperties": false,
  "properties": {
    "sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
    "name": {"type": "string", "minLength": 1},
    "price_cents": {"type": "integer", "minimum": 0, "maximum": 1000000000000000},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "attributes": {"type": "object", "additionalProperties": true, "description": "Replaces the whole object"}
  }})";

http::ParamDoc IdParam() { return {"id", "path", "The product id (prd_…)"}; }

}  // namespace

http::RouteDoc Create() {
  return {.operation_id = "createProduct",
          .summary = "Create a product",
          .description =
              "Honours `Idempotency-Key`: the same key and byte-identical body within "
              "24 h answers the first answer again (`Idempotent-Replayed: true`).",
          .tag = "Products",
          .params = {{"Idempotency-Key", "header", "1-255 printable ASCII characters"}},
          .request = {{"application/json", kProductInput}},
          .responses = {{201, "The product, with Location and ETag",
                         http::Envelope("product", kProduct)}},
          .problems = {{400, "bad_request"},
                       {409, "sku_taken"},
                       {422, "idempotency_key_reused"},
                       {503, "tenant_migrating"},
                       {503, "tenant_restoring"}}};
}

http::RouteDoc List() {
  std::vector<http::ParamDoc> params = http::PageParams();
  params.push_back({"sku", "query", "Only the product with exactly this sku"});
  return {.operation_id = "listProducts",
          .summary = "List products in creation order",
          .tag = "Products",
          .params = std::move(params),
          .responses = {{200, "A page of products", http::PageOf(kProduct)}},
          .problems = {{400, "bad_request"}, {503, "tenant_migrating"}, {503, "tenant_restoring"}}};
}

http::RouteDoc Show() {
  return {.operation_id = "getProduct",
          .summary = "One product",
          .tag = "Products",
          .params = {IdParam(), {"If-None-Match", "header", "An ETag: 304 when it is current"}},
          .responses = {{200, "The product, with ETag", http::Envelope("product", kProduct)},
                        {304, "Not modified (the ETag matched)", ""}},
          .problems = {{404, "not_found"}, {503, "tenant_migrating"}, {503, "tenant_restoring"}}};
}

http::RouteDoc Update() {
  return {
      .operation_id = "updateProduct",
      .summary = "Change some fields of a product",
      .tag = "Products",
      .params = {IdParam(), {"If-Match", "header", "Write only at this version (ETag)"}},
      .request = {{"application/json", kProductPatch}},
      .responses = {{200, "The product, with the new ETag", http::Envelope("product", kProduct)}},
      .problems = {{404, "not_found"},
                   {409, "sku_taken"},
                   {412, "precondition_failed"},
                   {503, "tenant_migrating"},
                   {503, "tenant_restoring"}}};
}

http::RouteDoc Remove() {
  return {.operation_id = "deleteProduct",
          .summary = "Delete a product",
          .tag = "Products",
          .params = {IdParam(), {"If-Match", "header", "Delete only at this version (ETag)"}},
          .responses = {{204, "Deleted", ""}},
          .problems = {{404, "not_found"},
                       {412, "precondition_failed"},
                       {503, "tenant_migrating"},
                       {503, "tenant_restoring"}}};
}

}  // namespace tenantd::tenant_api::product_docs
