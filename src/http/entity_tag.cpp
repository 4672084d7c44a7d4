#include "http/entity_tag.h"

#include "base/text.h"

namespace tenantd::http {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// etagc = %x21 / %x23-7E / obs-text: anything visible but the quote.
bool IsEtagChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u != 0x7F);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::vector<EntityTag>> ParseEntityTags(std::string_view list) {
  std::vector<EntityTag> tags;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view element = TrimOws(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (element.empty()) continue;
    EntityTag tag;
    if (element.starts_with("W/")) {
      tag.weak = true;
      element.remove_prefix(2);
    }
    if (element.size() < 2 || element.front() != '"' || element.back() != '"') return std::nullopt;
    tag.opaque = element.substr(1, element.size() - 2);
    for (char c : tag.opaque) {
      if (!IsEtagChar(c)) return std::nullopt;
    }
    tags.push_back(tag);
  }
  return tags;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view current) {
  header = TrimOws(header);
  if (header == "*") return true;
  const auto tags = ParseEntityTags(header);
  if (!tags) return false;
  for (const EntityTag& tag : *tags) {
    if (tag.opaque == current) return true;
  }
  return false;
}

bool IfRangeHolds(std::string_view header, std::string_view opaque,
                  std::string_view last_modified) {
  const std::string_view value = base::TrimAsciiSpace(header);
  if (value.starts_with("\"") || value.starts_with("W/")) {
    const auto tags = ParseEntityTags(value);
    return tags && tags->size() == 1 && !tags->front().weak && tags->front().opaque == opaque;
  }
  return !last_modified.empty() && value == last_modified;
}

}  // namespace tenantd::http
