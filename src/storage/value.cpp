#include "storage/value.h"

#include <charconv>
#include <cstdlib>

namespace tenantd::storage {
namespace {

// Formats a double so that parsing it back gives the same value.
std::string FormatDouble(double d) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

}  // namespace

const Value& Row::At(int column) const {
  static const Value kNull;
  if (column < 0 || column >= size()) return kNull;
  return values_[static_cast<std::size_t>(column)];
}

bool Row::IsNull(int column) const { return std::holds_alternative<std::monostate>(At(column)); }

int64_t Row::Int64(int column) const {
  const Value& v = At(column);
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

double Row::Double(int column) const {
  const Value& v = At(column);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0.0;
}

std::string Row::Text(int column) const {
  const Value& v = At(column);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return FormatDouble(*d);
  return {};
}

std::optional<std::string> Row::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::optional<int64_t> Row::OptionalInt64(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int64(column);
}

}  // namespace tenantd::storage
