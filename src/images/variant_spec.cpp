#include "images/variant_spec.h"

#include <charconv>

#include "base/text.h"

namespace tenantd::images {
namespace {

// A side: 1..kMaxSide, decimal, no sign or leading zero.
std::optional<int> ParseSide(std::string_view s) {
  if (s.empty() || s.size() > 4 || s[0] == '0') return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 1 || value > kMaxSide) {
    return std::nullopt;
  }
  return value;
}

std::optional<Size> ParseSize(std::string_view s) {
  const std::size_t x = s.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  const auto w = ParseSide(s.substr(0, x));
  const auto h = ParseSide(s.substr(x + 1));
  if (!w || !h) return std::nullopt;
  return Size{*w, *h};
}

}  // namespace

std::optional<VariantSpec> ParseVariantName(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view ext = name.substr(dot + 1);
  VariantSpec spec;
  if (ext == "png") {
    spec.format = Format::kPng;
  } else if (ext == "webp") {
    spec.format = Format::kWebp;
  } else if (ext == "jpeg") {
    spec.format = Format::kJpeg;
  } else {
    return std::nullopt;
  }
  const auto size = ParseSize(name.substr(0, dot));
  if (!size) return std::nullopt;
  spec.size = *size;
  return spec;
}

std::string_view ContentType(Format format) {
  switch (format) {
    case Format::kPng:
      return "image/png";
    case Format::kWebp:
      return "image/webp";
    case Format::kJpeg:
      return "image/jpeg";
  }
  return "application/octet-stream";
}

std::string VariantName(const VariantSpec& spec) {
  const std::string_view type = ContentType(spec.format);
  return std::to_string(spec.size.width) + "x" + std::to_string(spec.size.height) + "." +
         std::string(type.substr(type.find('/') + 1));
}

base::Result<std::vector<Size>> ParseSizes(std::string_view list) {
  std::vector<Size> sizes;
  if (base::TrimAsciiSpace(list).empty()) return sizes;
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view entry = base::TrimAsciiSpace(list.substr(0, comma));
    const auto size = ParseSize(entry);
    if (!size) {
      // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) about
      // `"…" + std::string(…)`, a false positive.
      std::string message = "\"";
      message.append(entry);
      message += "\" is not a size W x H such as 256x256 (sides 1..";
      message += std::to_string(kMaxSide);
      message += ")";
      return base::InvalidArgument("invalid_config", std::move(message));
    }
    sizes.push_back(*size);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return sizes;
}

}  // namespace tenantd::images
