#include "products/product_validation.h"

#include <boost/json/serialize.hpp>
#include <utility>

#include "base/text.h"

namespace tenantd::products {
namespace {

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

}  // namespace

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

std::vector<base::FieldError> ValidateNewProduct(const NewProduct& p) {
  std::string attributes_text;
  return Validate(p, attributes_text);
}

std::vector<base::FieldError> ValidateProductPatch(const ProductPatch& patch) {
  std::optional<std::string> attributes_text;
  return Validate(patch, attributes_text);
}

}  // namespace tenantd::products
