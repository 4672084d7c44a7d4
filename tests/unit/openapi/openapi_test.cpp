#include "openapi/openapi.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace tenantd::openapi {
namespace {

namespace json = boost::json;

// A stage that only describes itself, as auth stages do.
class ScopeStage : public http::Stage {
 public:
  boost::asio::awaitable<std::optional<http::Response>> OnRequest(
      http::Request&, http::RequestContext&) const override {
    co_return std::nullopt;
  }
  void Describe(http::RouteDoc& doc) const override {
    doc.security.push_back({{"apiKey", R"({"type":"http","scheme":"bearer"})"}});
    doc.scopes.push_back("things:write");
    doc.problems.push_back({403, "insufficient_scope"});
  }
};

constexpr const char* kThing =
    R"({"title":"Thing","type":"object","required":["id"],"properties":{"id":{"type":"string"}}})";

http::RouteDoc CreateThing() {
  return {.operation_id = "createThing",
          .summary = "Create a thing",
          .tag = "Things",
          .request = {{"application/json", kThing}},
          .responses = {{201, "The thing", http::Envelope("thing", kThing)}},
          .problems = {{409, "thing_taken"}, {409, "thing_busy"}}};
}

json::value Build(const http::Router& router) {
  return json::parse(BuildDocument(router, {"tenantd", "1.2.3", "test"}));
}

TEST(OpenApi, DescribesADocumentedRouteWithWhatItsStagesEnforce) {
  ScopeStage stage;
  http::Router router;
  router.Add("POST", "/v1/things/{id}", {&stage}, nullptr, CreateThing());
  const json::value doc = Build(router);

  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version"), "1.2.3");
  const json::value& op = doc.at("paths").at("/v1/things/{id}").at("post");
  EXPECT_EQ(op.at("operationId"), "createThing");
  EXPECT_EQ(op.at("tags").at(0), "Things");
  // The path parameter comes from the pattern.
  EXPECT_EQ(op.at("parameters").at(0).at("name"), "id");
  EXPECT_EQ(op.at("parameters").at(0).at("in"), "path");
  EXPECT_EQ(op.at("parameters").at(0).at("required"), true);
  // The scope and the scheme come from the stage, not from the RouteDoc.
  EXPECT_EQ(op.at("security").at(0).at("apiKey").at(0), "things:write");
  EXPECT_EQ(op.at("x-required-scopes").at(0), "things:write");
  EXPECT_TRUE(doc.at("components").at("securitySchemes").as_object().contains("apiKey"));
  EXPECT_FALSE(doc.as_object().contains("x-tenantd-undocumented"));
}

TEST(OpenApi, HoistsTitledSchemasIntoComponents) {
  http::Router router;
  router.Add("POST", "/v1/things", {}, nullptr, CreateThing());
  const json::value doc = Build(router);
  const json::value& op = doc.at("paths").at("/v1/things").at("post");
  EXPECT_EQ(op.at("requestBody").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Thing");
  EXPECT_EQ(op.at("responses")
                .at("201")
                .at("content")
                .at("application/json")
                .at("schema")
                .at("properties")
                .at("thing")
                .at("$ref"),
            "#/components/schemas/Thing");
  EXPECT_EQ(doc.at("components").at("schemas").at("Thing").at("required").at(0), "id");
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Problem"));
}

TEST(OpenApi, ListsProblemCodesByStatusIncludingThoseOfAJsonBody) {
  http::Router router;
  router.Add("POST", "/v1/things", {}, nullptr, CreateThing());
  const json::value doc = Build(router);
  const json::value& responses = doc.at("paths").at("/v1/things").at("post").at("responses");
  const json::value& conflict =
      responses.at("409").at("content").at("application/problem+json").at("schema");
  EXPECT_EQ(conflict.at("allOf").at(0).at("$ref"), "#/components/schemas/Problem");
  EXPECT_EQ(conflict.at("allOf").at(1).at("properties").at("code").at("enum"),
            json::parse(R"(["thing_busy","thing_taken"])"));
  // A JSON body can be malformed, too large, of another type, or invalid.
  for (const char* status : {"400", "413", "415", "422", "500"}) {
    EXPECT_TRUE(responses.as_object().contains(status)) << status;
  }
}

TEST(OpenApi, ListsUndocumentedRoutesApartFromThePaths) {
  http::Router router;
  router.Add("POST", "/v1/things", {}, nullptr, CreateThing());
  router.Add("GET", "/v1/secret-things", {}, nullptr);
  const json::value doc = Build(router);
  EXPECT_FALSE(doc.at("paths").as_object().contains("/v1/secret-things"));
  EXPECT_EQ(doc.at("x-tenantd-undocumented"), json::parse(R"(["GET /v1/secret-things"])"));
  EXPECT_EQ(UndocumentedRoutes(router), std::vector<std::string>{"GET /v1/secret-things"});
}

TEST(OpenApi, AnswersWithoutBodyHaveNoContent) {
  http::Router router;
  router.Add("DELETE", "/v1/things/{id}", {}, nullptr,
             {.summary = "Delete a thing", .responses = {{204, "Deleted", ""}}});
  const json::value doc = Build(router);
  const json::value& op = doc.at("paths").at("/v1/things/{id}").at("delete");
  EXPECT_FALSE(op.at("responses").at("204").as_object().contains("content"));
  EXPECT_EQ(op.at("operationId"), "delete_v1_things_id");
}

}  // namespace
}  // namespace tenantd::openapi
