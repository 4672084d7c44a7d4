// The field checks of products, apart from the store: the JSON readers
// (product_json.h) use them too, and need no database for it (nor does
// their fuzz target).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "products/product_store.h"

namespace tenantd::products {

// Why the values of `p` are invalid, one error per field (empty: valid),
// and the text `p.attributes` is stored as.
std::vector<base::FieldError> Validate(const NewProduct& p, std::string& attributes_text);
// The same for the fields `patch` sets; attributes_text only if it sets them.
std::vector<base::FieldError> Validate(const ProductPatch& patch,
                                       std::optional<std::string>& attributes_text);

}  // namespace tenantd::products
