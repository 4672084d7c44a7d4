#include "http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tenantd::http {
namespace {

// Splits "/a/b" into {"a","b"}; returns false on an empty segment or a path
// not starting with '/'. "/" alone is zero segments.
bool SplitPath(std::string_view path, std::vector<std::string_view>& out) {
  out.clear();
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  std::size_t start = 1;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view seg = path.substr(start, slash - start);
    if (seg.empty()) return false;
    out.push_back(seg);
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

bool IsRestParam(std::string_view seg) { return IsParam(seg) && seg.ends_with("...}"); }

}  // namespace

void Router::Add(std::string method, std::string pattern, std::vector<const Stage*> stages,
                 Handler handler, RouteDoc doc, RouteOptions options) {
  AddRoute(std::move(method), std::move(pattern), std::move(stages), std::move(handler),
           std::move(doc), options);
}

void Router::Add(std::string method, std::string pattern, std::vector<const Stage*> stages,
                 Handler handler, RouteOptions options) {
  AddRoute(std::move(method), std::move(pattern), std::move(stages), std::move(handler),
           std::nullopt, options);
}

void Router::AddRoute(std::string method, std::string pattern, std::vector<const Stage*> stages,
                      Handler handler, std::optional<RouteDoc> doc, RouteOptions options) {
  std::vector<std::string_view> segs;
  if (!SplitPath(pattern, segs)) {
    std::fprintf(stderr, "router: malformed pattern %s\n", pattern.c_str());
    std::abort();
  }
  for (const auto& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      std::fprintf(stderr, "router: duplicate route %s %s\n", method.c_str(), pattern.c_str());
      std::abort();
    }
  }
  Route route;
  route.method = std::move(method);
  route.stages = std::move(stages);
  route.handler = std::move(handler);
  route.options = options;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (!IsRestParam(segs[i])) continue;
    if (i + 1 != segs.size() || segs[i].size() < 6) {
      std::fprintf(stderr, "router: {name...} must be a named last segment: %s\n", pattern.c_str());
      std::abort();
    }
    route.rest_prefix = pattern.substr(0, pattern.size() - segs[i].size());
    route.rest_name = std::string(segs[i].substr(1, segs[i].size() - 5));
  }
  route.doc = std::move(doc);
  for (auto s : segs) route.segments.emplace_back(s);
  auto it = std::find(patterns_.begin(), patterns_.end(), pattern);
  route.pattern_index = static_cast<std::size_t>(it - patterns_.begin());
  if (it == patterns_.end()) patterns_.push_back(pattern);
  route.pattern = std::move(pattern);
  routes_.push_back(std::move(route));
}

RouteMatch Router::Find(std::string_view method, std::string_view path) const {
  RouteMatch match;
  thread_local std::vector<std::string_view> segs;
  const bool well_formed = SplitPath(path, segs);

  const Route* get_route = nullptr;
  std::vector<std::pair<std::string, std::string>> get_params;
  std::vector<std::string_view> allowed;
  for (const auto& r : routes_) {
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    if (!r.rest_prefix.empty()) {
      // The rest from its '/' on, empty segments and all.
      ok = path.starts_with(r.rest_prefix);
      if (ok) params.emplace_back(r.rest_name, path.substr(r.rest_prefix.size() - 1));
    } else if (!well_formed || r.segments.size() != segs.size()) {
      continue;
    }
    for (std::size_t i = 0; r.rest_prefix.empty() && i < segs.size() && ok; ++i) {
      const std::string& p = r.segments[i];
      if (IsParam(p)) {
        auto decoded = PercentDecode(segs[i], /*plus_is_space=*/false);
        if (!decoded || decoded->empty()) {
          ok = false;
        } else {
          params.emplace_back(p.substr(1, p.size() - 2), std::move(*decoded));
        }
      } else {
        ok = (p == segs[i]);
      }
    }
    if (!ok) continue;
    match.pattern_index = r.pattern_index;
    if (r.method == method) {
      match.route = &r;
      match.params = std::move(params);
      return match;
    }
    if (r.method == "GET" && method == "HEAD" && !get_route) {
      get_route = &r;
      get_params = std::move(params);
    }
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.push_back("HEAD");
  }
  if (get_route) {
    match.route = get_route;
    match.params = std::move(get_params);
    return match;
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  for (auto m : allowed) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += m;
  }
  return match;
}

}  // namespace tenantd::http
