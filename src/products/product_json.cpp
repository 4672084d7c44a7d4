#include "products/product_json.h"

#include <algorithm>
#include <charconv>

#include "http/json_body.h"

namespace tenantd::products {
namespace {

constexpr std::string_view kNotAnObject = "Must be a JSON object.";

// Adds the errors of `more` whose field has none yet: a field that is
// missing or of the wrong type gets that one message, not a second one
// about its (absent) value.
void AddUnflagged(std::vector<base::FieldError>& errors, std::vector<base::FieldError> more) {
  for (base::FieldError& e : more) {
    const bool flagged = std::any_of(errors.begin(), errors.end(),
                                     [&](const base::FieldError& f) { return f.field == e.field; });
    if (!flagged) errors.push_back(std::move(e));
  }
}

void Require(const boost::json::object& body, std::string_view field,
             std::vector<base::FieldError>& errors) {
  if (!body.contains(field)) errors.push_back({std::string(field), "Required."});
}

// `attributes` when present and an object; an error when present and not.
void ReadAttributes(const boost::json::object& body, std::optional<boost::json::object>& out,
                    std::vector<base::FieldError>& errors) {
  const auto* v = body.if_contains("attributes");
  if (!v) return;
  if (!v->is_object()) {
    errors.push_back({"attributes", std::string(kNotAnObject)});
    return;
  }
  out = v->as_object();
}

void AppendNumber(std::string& out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

base::Result<NewProduct> ReadNewProduct(const boost::json::object& body) {
  auto errors = http::UnknownFields(body, {"sku", "name", "price_cents", "currency", "attributes"});
  Require(body, "sku", errors);
  Require(body, "name", errors);
  Require(body, "price_cents", errors);
  std::optional<std::string> sku, name, currency;
  std::optional<int64_t> price_cents;
  std::optional<boost::json::object> attributes;
  http::ReadString(body, "sku", sku, errors);
  http::ReadString(body, "name", name, errors);
  http::ReadInteger(body, "price_cents", 0, kMaxPriceCents, price_cents, errors);
  // The optional fields take their default when sent as null.
  if (const auto* v = body.if_contains("currency"); v && !v->is_null()) {
    http::ReadString(body, "currency", currency, errors);
  }
  if (const auto* v = body.if_contains("attributes"); v && !v->is_null()) {
    ReadAttributes(body, attributes, errors);
  }

  NewProduct p;
  if (sku) p.sku = std::move(*sku);
  if (name) p.name = std::move(*name);
  if (price_cents) p.price_cents = *price_cents;
  if (currency) p.currency = std::move(*currency);
  if (attributes) p.attributes = std::move(*attributes);
  AddUnflagged(errors, ValidateNewProduct(p));
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return p;
}

base::Result<ProductPatch> ReadProductPatch(const boost::json::object& body) {
  auto errors = http::UnknownFields(body, {"sku", "name", "price_cents", "currency", "attributes"});
  ProductPatch patch;
  http::ReadString(body, "sku", patch.sku, errors);
  http::ReadString(body, "name", patch.name, errors);
  http::ReadInteger(body, "price_cents", 0, kMaxPriceCents, patch.price_cents, errors);
  http::ReadString(body, "currency", patch.currency, errors);
  ReadAttributes(body, patch.attributes, errors);
  AddUnflagged(errors, ValidateProductPatch(patch));
  if (!errors.empty()) return base::ValidationFailed(std::move(errors));
  return patch;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

void AppendProductJson(std::string& out, const Product& p) {
  out += R"({"id":")";
  out += p.id;
  out += R"(","sku":")";
  out += p.sku;
  out += R"(","name":)";
  AppendJsonString(out, p.name);
  out += R"(,"price_cents":)";
  AppendNumber(out, p.price_cents);
  out += R"(,"currency":")";
  out += p.currency;
  out += R"(","attributes":)";
  out += p.attributes;
  out += R"(,"version":)";
  AppendNumber(out, p.version);
  out += R"(,"created_at":")";
  out += p.created_at;
  out += R"(","updated_at":")";
  out += p.updated_at;
  out += R"("})";
}

std::string ProductAnswer(const Product& p) {
  std::string out;
  // The fixed part is about 150 bytes; the rest is the client's text.
  out.reserve(192 + p.sku.size() + p.name.size() + p.attributes.size());
  out += R"({"product":)";
  AppendProductJson(out, p);
  out += '}';
  return out;
}

std::string ProductEtag(int64_t version) {
  std::string etag = "\"";
  AppendNumber(etag, version);
  etag += '"';
  return etag;
}

}  // namespace tenantd::products
