// What a route tells about itself for the OpenAPI document (api.md §18):
// passed to Router::Add with the route, so the document is generated from
// the table that serves and cannot drift from it. Stages add what they
// enforce (security schemes, scopes, their problem codes) through
// Stage::Describe, so a scope is written once, on the stage.
//
// Schemas are JSON Schema 2020-12 as JSON text. A schema (at any depth)
// with a "title" becomes the named component #/components/schemas/<title>
// and is referenced from every place it appears: give shared objects a
// title, compose with the helpers below.
//
// Every member has a default, so designated initializers may leave any out.
//
// Example:
//   http::RouteDoc doc{.operation_id = "showProduct", .summary = "One product",
//                      .tag = "Products",
//                      .responses = {{200, "The product", http::Envelope("product", kProduct)}},
//                      .problems = {{404, "not_found"}}};
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenantd::http {

// A query, header or path parameter. Path parameters of the pattern that are
// not listed are documented as plain strings.
struct ParamDoc {
  std::string name{};
  std::string in = "query";  // "query" | "header" | "path" | "cookie"
  std::string description{};
  std::string schema = R"({"type":"string"})";
  bool required = false;
};

// One request body representation.
struct BodyDoc {
  std::string content_type = "application/json";
  std::string schema{};  // JSON Schema text
};

// One answer. Several entries with the same status are one response with
// several content types. An empty schema means no body (204, 304).
struct ResponseDoc {
  int status = 200;
  std::string description{};
  std::string schema{};
  std::string content_type = "application/json";
};

// A problem+json answer the route may give: its status and stable `code`.
struct ProblemDoc {
  int status = 400;
  std::string code{};
};

// An OpenAPI security scheme: `definition` is its Security Scheme Object as
// JSON text, `name` its key under components.securitySchemes.
struct SecuritySchemeDoc {
  std::string name{};
  std::string definition{};
};

struct RouteDoc {
  std::string operation_id{};  // unique, lowerCamelCase ("createProduct")
  std::string summary{};       // one line
  std::string description{};   // Markdown, optional
  std::string tag{};           // the area ("Products"); groups operations
  std::vector<ParamDoc> params{};
  std::vector<BodyDoc> request{};  // empty: no body
  bool request_required = true;
  std::vector<ResponseDoc> responses{};
  std::vector<ProblemDoc> problems{};

  // Filled by the route's stages (Stage::Describe), not by hand.
  // Alternatives: any one inner list of schemes, all of them together, admits.
  std::vector<std::vector<SecuritySchemeDoc>> security{};
  std::vector<std::string> scopes{};  // every one is required
};

// {"type":"object","required":[key],"properties":{key: schema}}: the
// one-member envelope most answers use ({"product": {...}}).
std::string Envelope(std::string_view key, std::string_view schema);
// A cursor page of api.md §1: {"data": [item...], "next_cursor": string|null}.
std::string PageOf(std::string_view item_schema);
// ?limit= and ?after= of a cursor-paginated list.
std::vector<ParamDoc> PageParams();

}  // namespace tenantd::http
