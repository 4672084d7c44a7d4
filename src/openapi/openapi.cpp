#include "openapi/openapi.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace tenantd::openapi {
namespace {

namespace json = boost::json;

// RFC 9457 problem details as every error answer of api.md §1 carries them.
constexpr std::string_view kProblemSchema = R"json({
  "title": "Problem",
  "type": "object",
  "description": "RFC 9457 problem details (application/problem+json).",
  "required": ["type", "title", "status", "code", "detail", "request_id"],
  "properties": {
    "type": {"type": "string", "description": "https://tenantd.dev/errors/<code>"},
    "title": {"type": "string", "description": "The reason phrase of the status"},
    "status": {"type": "integer"},
    "code": {"type": "string", "description": "Stable snake_case problem code (docs/api.md)"},
    "detail": {"type": "string"},
    "request_id": {"type": "string"},
    "errors": {
      "type": "array",
      "description": "validation_failed: each field at fault",
      "items": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
      }
    }
  }
})json";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "openapi: %s\n", what.c_str());
  std::abort();
}

json::value ParseOrDie(std::string_view text, std::string_view where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) Die("malformed JSON in " + std::string(where) + ": " + std::string(text));
  return v;
}

std::string OperationName(const http::Route& r) { return r.method + " " + r.pattern; }

// A path parameter's name: "{original...}" (the rest of the path, slashes
// and all; http/router.h) is "original" in OpenAPI, which has no such form.
std::string ParamName(std::string_view seg) {
  std::string_view name = seg.substr(1, seg.size() - 2);
  if (name.ends_with("...")) name.remove_suffix(3);
  return std::string(name);
}

// The pattern as an OpenAPI path template.
std::string TemplatePath(std::string pattern) {
  for (std::size_t at; (at = pattern.find("...}")) != std::string::npos;) pattern.erase(at, 3);
  return pattern;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "delete_v1_things_id" for DELETE /v1/things/{id}: URL-safe and unique.
std::string FallbackOperationId(const http::Route& r) {
  std::string out = Lower(r.method);
  for (char c : r.pattern) {
    const bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (alnum) {
      out += c;
    } else if (out.back() != '_') {
      out += '_';
    }
  }
  while (out.back() == '_') out.pop_back();
  return out;
}

// Collects named schemas and security schemes while operations are built.
class Components {
 public:
  Components() { schemas_["Problem"] = ParseOrDie(kProblemSchema, "Problem"); }

  // Replaces every titled schema inside `v` (and `v` itself) by a $ref to
  // the component of that title.
  void Hoist(json::value& v, std::string_view where) {
    if (auto* arr = v.if_array()) {
      for (json::value& item : *arr) Hoist(item, where);
      return;
    }
    auto* obj = v.if_object();
    if (!obj) return;
    for (auto& member : *obj) {
      // These keywords hold data, not schemas (a "title" there is a value).
      const std::string_view key = member.key();
      if (key == "enum" || key == "const" || key == "examples" || key == "default") continue;
      Hoist(member.value(), where);
    }
    const json::value* title = obj->if_contains("title");
    if (!title || !title->is_string()) return;
    const std::string name(title->as_string());
    auto [it, inserted] = schemas_.emplace(name, v);
    if (!inserted && it->second != v) {
      Die("schema title \"" + name + "\" names two different schemas (in " + std::string(where) +
          ")");
    }
    v = json::object{{"$ref", "#/components/schemas/" + name}};
  }

  void AddSecurityScheme(const http::SecuritySchemeDoc& s) {
    json::value def = ParseOrDie(s.definition, "security scheme " + s.name);
    auto [it, inserted] = security_.emplace(s.name, def);
    if (!inserted && it->second != def) Die("security scheme " + s.name + " defined twice");
  }

  json::object Render() const {
    json::object schemas, security;
    for (const auto& [name, v] : schemas_) schemas[name] = v;
    for (const auto& [name, v] : security_) security[name] = v;
    json::object out{{"schemas", std::move(schemas)}};
    if (!security.empty()) out["securitySchemes"] = std::move(security);
    return out;
  }

 private:
  std::map<std::string, json::value> schemas_;
  std::map<std::string, json::value> security_;
};

json::value Schema(Components& c, std::string_view text, std::string_view where) {
  json::value v = ParseOrDie(text, where);
  c.Hoist(v, where);
  return v;
}

json::array Parameters(const http::Route& r, const http::RouteDoc& doc, Components& c) {
  const std::string where = OperationName(r);
  json::array out;
  auto param = [&](const http::ParamDoc& p) {
    json::object o{{"name", p.name}, {"in", p.in}, {"schema", Schema(c, p.schema, where)}};
    if (!p.description.empty()) o["description"] = p.description;
    if (p.required || p.in == "path") o["required"] = true;
    return o;
  };
  for (const std::string& seg : r.segments) {
    if (seg.size() < 3 || seg.front() != '{') continue;
    const std::string name = ParamName(seg);
    auto listed = std::find_if(doc.params.begin(), doc.params.end(), [&](const http::ParamDoc& p) {
      return p.in == "path" && p.name == name;
    });
    out.push_back(listed != doc.params.end()
                      ? param(*listed)
                      : param(http::ParamDoc{name, "path", "", R"({"type":"string"})", true}));
  }
  for (const http::ParamDoc& p : doc.params) {
    if (p.in != "path") out.push_back(param(p));
  }
  return out;
}

// Problems a route gives because of what it is, added to what it declares.
std::vector<http::ProblemDoc> ImpliedProblems(const http::RouteDoc& doc) {
  std::vector<http::ProblemDoc> out;
  const bool json_body = std::any_of(doc.request.begin(), doc.request.end(), [](const auto& b) {
    return b.content_type == "application/json";
  });
  if (json_body) {
    out.push_back({400, "invalid_json"});
    out.push_back({413, "payload_too_large"});
    out.push_back({415, "unsupported_media_type"});
    out.push_back({422, "validation_failed"});
  }
  // Any request can be refused before routing (api.md §1).
  out.push_back({414, "uri_too_long"});
  out.push_back({431, "header_too_large"});
  out.push_back({500, "internal_error"});
  return out;
}

json::object& ObjectAt(json::object& parent, std::string_view key) {
  json::value& v = parent[key];
  if (!v.is_object()) v = json::object{};
  return v.as_object();
}

json::object Responses(const http::Route& r, const http::RouteDoc& doc, Components& c) {
  const std::string where = OperationName(r);
  json::object out;
  for (const http::ResponseDoc& res : doc.responses) {
    json::object& o = ObjectAt(out, std::to_string(res.status));
    if (!o.contains("description")) o["description"] = res.description;
    if (res.schema.empty()) continue;
    json::object media{{"schema", Schema(c, res.schema, where)}};
    if (!o.contains("content")) o["content"] = json::object{};
    o["content"].as_object()[res.content_type] = std::move(media);
  }
  // Problems grouped by status, each status's codes as an enum.
  std::map<int, std::set<std::string>> problems;
  for (const auto& p : doc.problems) problems[p.status].insert(p.code);
  for (const auto& p : ImpliedProblems(doc)) problems[p.status].insert(p.code);
  for (const auto& [status, codes] : problems) {
    json::array code_enum;
    std::string list;
    for (const std::string& code : codes) {
      code_enum.emplace_back(code);
      list += (list.empty() ? "`" : ", `") + code + "`";
    }
    json::object schema{
        {"allOf",
         json::array{json::object{{"$ref", "#/components/schemas/Problem"}},
                     json::object{{"properties",
                                   json::object{{"code", json::object{{"enum", code_enum}}}}}}}}};
    json::object& o = ObjectAt(out, std::to_string(status));
    if (!o.contains("description")) o["description"] = "Problem: " + list;
    if (!o.contains("content")) o["content"] = json::object{};
    o["content"].as_object()["application/problem+json"] = json::object{{"schema", schema}};
  }
  return out;
}

json::object Operation(const http::Route& r, Components& c) {
  http::RouteDoc doc = *r.doc;
  for (const http::Stage* stage : r.stages) stage->Describe(doc);
  const std::string where = OperationName(r);
  if (doc.summary.empty()) Die(where + " has no summary");
  if (doc.responses.empty()) Die(where + " documents no response");

  json::object op;
  op["operationId"] = doc.operation_id.empty() ? FallbackOperationId(r) : doc.operation_id;
  op["summary"] = doc.summary;
  std::string description = doc.description;
  if (!doc.scopes.empty()) {
    std::string scopes;
    for (const std::string& s : doc.scopes) scopes += (scopes.empty() ? "`" : ", `") + s + "`";
    if (!description.empty()) description += "\n\n";
    description += "Required scope: " + scopes +
                   " (secret API keys, app credentials and their sessions hold every scope).";
  }
  if (!description.empty()) op["description"] = description;
  if (!doc.tag.empty()) op["tags"] = json::array{json::string(doc.tag)};
  json::array params = Parameters(r, doc, c);
  if (!params.empty()) op["parameters"] = std::move(params);
  if (!doc.request.empty()) {
    json::object content;
    for (const http::BodyDoc& b : doc.request) {
      content[b.content_type] = json::object{{"schema", Schema(c, b.schema, where)}};
    }
    op["requestBody"] =
        json::object{{"required", doc.request_required}, {"content", std::move(content)}};
  }
  op["responses"] = Responses(r, doc, c);
  if (doc.security.empty()) {
    op["security"] = json::array{};  // public: no credentials
  } else {
    json::array security;
    for (const auto& alternative : doc.security) {
      json::object requirement;
      for (const http::SecuritySchemeDoc& s : alternative) {
        c.AddSecurityScheme(s);
        json::array scopes;
        for (const std::string& scope : doc.scopes) scopes.emplace_back(scope);
        requirement[s.name] = std::move(scopes);
      }
      security.push_back(std::move(requirement));
    }
    op["security"] = std::move(security);
  }
  if (!doc.scopes.empty()) {
    json::array scopes;
    for (const std::string& s : doc.scopes) scopes.emplace_back(s);
    op["x-required-scopes"] = std::move(scopes);
  }
  return op;
}

}  // namespace

std::vector<std::string> UndocumentedRoutes(const http::Router& router) {
  std::vector<std::string> out;
  for (const http::Route& r : router.routes()) {
    if (!r.doc) out.push_back(OperationName(r));
  }
  return out;
}

std::string BuildDocument(const http::Router& router, const DocumentInfo& info) {
  Components components;
  json::object paths;
  std::vector<std::string> tags;
  std::set<std::string> operation_ids;
  for (const http::Route& r : router.routes()) {
    if (!r.doc) continue;
    json::object op = Operation(r, components);
    if (!operation_ids.insert(std::string(op["operationId"].as_string())).second) {
      Die("operationId " + std::string(op["operationId"].as_string()) + " used twice");
    }
    if (!r.doc->tag.empty() && std::find(tags.begin(), tags.end(), r.doc->tag) == tags.end()) {
      tags.push_back(r.doc->tag);
    }
    ObjectAt(paths, TemplatePath(r.pattern))[Lower(r.method)] = std::move(op);
  }
  json::array tag_list;
  for (const std::string& t : tags) {
    json::object tag{{"name", t}};
    for (const auto& [name, description] : info.tags) {
      if (name == t) tag["description"] = description;
    }
    tag_list.push_back(std::move(tag));
  }

  json::object doc{
      {"openapi", "3.1.0"},
      {"info",
       json::object{
           {"title", info.title}, {"version", info.version}, {"description", info.description}}},
      {"servers", json::array{json::object{{"url", "/"}}}},
      {"tags", std::move(tag_list)},
      {"paths", std::move(paths)},
      {"components", components.Render()},
  };
  const std::vector<std::string> undocumented = UndocumentedRoutes(router);
  if (!undocumented.empty()) {
    json::array list;
    for (const std::string& u : undocumented) list.emplace_back(u);
    doc["x-tenantd-undocumented"] = std::move(list);
  }
  return json::serialize(doc);
}

}  // namespace tenantd::openapi
