// Maps (method, path) to a route. Patterns are literal segments and
// `{name}` parameters ("/admin/v1/tenants/{id}"); matching is exact (no
// trailing-slash folding, no empty segments). A last segment `{name...}`
// takes the rest of the path as it is, from its '/' on, undecoded
// ("/auth/v1/check/{original...}": Envoy appends the original path to the
// check path). Built at start-up, then read-only and safe to share across
// threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/stage.h"

namespace tenantd::http {

struct RouteOptions {
  // Largest accepted request body; 0 = use the server default (max_json_bytes).
  std::size_t max_body_bytes = 0;
  // The handler reads the body itself through Request::body_reader (an
  // upload of any size); max_body_bytes then bounds it, 0 = no limit.
  bool stream_body = false;
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<const Stage*> stages;
  Handler handler;
  RouteOptions options;
  std::optional<RouteDoc> doc;        // nullopt: undocumented (the OpenAPI test fails)
  std::size_t pattern_index = 0;      // same for every route of one pattern (metrics label)
  std::vector<std::string> segments;  // pattern split on '/'
  std::string rest_prefix;            // "/a/b/" for "/a/b/{name...}", else ""
  std::string rest_name;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method
  std::vector<std::pair<std::string, std::string>> params;
  // When route is null but the path exists for other methods: "GET, HEAD, POST".
  std::string allow;
  // The matched pattern (also for 405 answers); SIZE_MAX when no path matched.
  std::size_t pattern_index = SIZE_MAX;
  bool path_exists() const { return route != nullptr || !allow.empty(); }
};

class Router {
 public:
  // Aborts on a malformed pattern or a duplicate (method, pattern): a
  // start-up bug, not a runtime condition.
  // Every route should be added with its description (route_doc.h); the
  // form without one exists so that a forgotten description shows up as a
  // failing OpenAPI coverage test rather than a route that is not served.
  void Add(std::string method, std::string pattern, std::vector<const Stage*> stages,
           Handler handler, RouteDoc doc, RouteOptions options = {});
  void Add(std::string method, std::string pattern, std::vector<const Stage*> stages,
           Handler handler, RouteOptions options = {});

  // HEAD matches a GET route when no HEAD route exists.
  RouteMatch Find(std::string_view method, std::string_view path) const;

  // Distinct patterns in registration order (metrics labels).
  const std::vector<std::string>& patterns() const { return patterns_; }
  // Every route in registration order (the OpenAPI document).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void AddRoute(std::string method, std::string pattern, std::vector<const Stage*> stages,
                Handler handler, std::optional<RouteDoc> doc, RouteOptions options);

  std::vector<Route> routes_;
  std::vector<std::string> patterns_;
};

}  // namespace tenantd::http
