// The JSON request bodies of the admin and tenant routes: the body readers
// every route uses (src/http/json_body.h) with each route's members, and the
// product readers (src/products/product_json.h). Any bytes: an answer
// (object or error), never a crash; a 422 always names its fields.
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "check.h"
#include "http/json_body.h"
#include "products/product_json.h"

namespace {

using tenantd::http::ReadInteger;
using tenantd::http::ReadString;

// Every field error says what is wrong (the field may be "": a member of that name).
void CheckErrors(const std::vector<tenantd::base::FieldError>& errors) {
  for (const auto& e : errors) FUZZ_CHECK(!e.message.empty());
}

// The members each route reads (admin_api.cpp, api_key_handlers.cpp, …).
void ReadRouteMembers(const boost::json::object& body) {
  const std::initializer_list<std::initializer_list<std::string_view>> strings = {
      {"slug", "name", "plan", "isolation"},                    // POST /admin/v1/tenants
      {"name", "plan", "status"},                               // PATCH /admin/v1/tenants/{id}
      {"name", "type", "environment", "scopes", "expires_at"},  // POST /v1/api-keys
  };
  for (const auto& fields : strings) {
    auto errors = tenantd::http::UnknownFields(body, fields);
    for (std::string_view f : fields) {
      std::optional<std::string> out;
      ReadString(body, f, out, errors);
    }
    CheckErrors(errors);
  }
  std::vector<tenantd::base::FieldError> errors =
      tenantd::http::UnknownFields(body, {"grace_seconds"});
  std::optional<int64_t> grace;
  ReadInteger(body, "grace_seconds", 0, 7 * 86400, grace, errors);  // .../rotate
  if (grace) FUZZ_CHECK(*grace >= 0 && *grace <= 7 * 86400);
  CheckErrors(errors);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tenantd::http::Request req;
  req.method = "POST";
  req.target = "/v1/products?limit=10";
  req.headers.Add("Content-Type", "application/json; charset=utf-8");
  req.body.assign(reinterpret_cast<const char*>(data), size);

  auto body = tenantd::http::ParseJsonObject(req);
  auto optional = tenantd::http::ParseOptionalJsonObject(req);
  FUZZ_CHECK(body.has_value() == optional.has_value() || req.body.empty());
  if (!body) return 0;
  ReadRouteMembers(*body);
  auto product = tenantd::products::ReadNewProduct(*body);
  auto patch = tenantd::products::ReadProductPatch(*body);
  (void)product;
  (void)patch;
  return 0;
}
