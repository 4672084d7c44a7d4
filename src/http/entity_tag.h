// Entity tags and the conditional request headers that compare them
// (RFC 9110 §8.8.3 and §13.1): If-Match guards writes with the strong
// comparison, If-None-Match saves a read with the weak one.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace tenantd::http {

struct EntityTag {
  std::string_view opaque;  // between the quotes, views the parsed header
  bool weak = false;        // W/"…"
};

// Parses a comma-separated list of entity tags (`"a", W/"b"`); empty
// elements and spaces around commas are allowed, as RFC 9110 §5.6.1 asks.
// nullopt when any element is not an entity tag (`*` included: callers
// test for it first).
std::optional<std::vector<EntityTag>> ParseEntityTags(std::string_view list);

// True when If-None-Match `header` is `*` or lists `current` (the opaque
// part of the representation's strong tag) by weak comparison, W/"x"
// matching "x". A malformed header matches nothing.
bool IfNoneMatchMatches(std::string_view header, std::string_view current);

// RFC 9110 §13.1.5: a Range applies only if If-Range `header` names the
// current representation: a strong tag equal to `opaque`, or exactly
// `last_modified` (an IMF-fixdate; "" = none known).
bool IfRangeHolds(std::string_view header, std::string_view opaque, std::string_view last_modified);

}  // namespace tenantd::http
