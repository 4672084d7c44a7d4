// Values bound to the $1..$n placeholders of a statement and read back from
// its result rows, the same on every engine (see database.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tenantd::storage {

// NULL, an integer, a real or text: what a parameter carries and what a
// column holds. PostgreSQL columns arrive as text and convert on reading.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Params = std::vector<Value>;

// What a C++ argument binds as: integers (not bool) as int64_t, floating
// point as double, strings and string_views as text, std::nullopt and an
// empty optional as NULL.
template <class T>
Value ToValue(T&& v) {
  using D = std::decay_t<T>;
  if constexpr (std::is_same_v<D, Value>) {
    return std::forward<T>(v);
  } else if constexpr (std::is_same_v<D, std::nullopt_t> || std::is_same_v<D, std::monostate>) {
    return std::monostate{};
  } else if constexpr (std::is_same_v<D, bool>) {
    static_assert(!std::is_same_v<D, bool>, "bind 0 or 1: the engines disagree on booleans");
  } else if constexpr (std::is_integral_v<D>) {
    return static_cast<int64_t>(v);
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<double>(v);
  } else if constexpr (requires {
                         v.has_value();
                         *v;
                       }) {
    return v ? ToValue(*v) : Value(std::monostate{});
  } else {
    return Value(std::string(std::string_view(v)));
  }
}

// Params from C++ arguments. (Build them so rather than with a braced list
// inside a co_await: GCC 12 rejects string elements there.)
template <class... Args>
Params MakeParams(Args&&... args) {
  Params params;
  params.reserve(sizeof...(Args));
  (params.push_back(ToValue(std::forward<Args>(args))), ...);
  return params;
}

// One result row. Column getters take 0-based column numbers; a NULL reads
// as 0, 0.0 or "" (test with IsNull, or use the Optional getters). A number
// stored as text (as PostgreSQL sends it) reads as that number; text that is
// no number reads as 0.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  int size() const { return static_cast<int>(values_.size()); }
  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::optional<int64_t> OptionalInt64(int column) const;

 private:
  const Value& At(int column) const;

  std::vector<Value> values_;
};

struct Rows {
  std::vector<Row> rows;
  // Rows changed by an INSERT, UPDATE or DELETE (0 for a SELECT).
  int64_t affected = 0;

  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
  const Row& front() const { return rows.front(); }
};

}  // namespace tenantd::storage
