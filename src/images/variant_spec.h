// Which image variants exist (api.md §14 "Image variants"): a variant is
// named "<W>x<H>.<png|webp|jpeg>" in its URL, and only the sizes the
// operator configured (TENANTD_IMAGE_VARIANTS) are made, so nobody can make
// the server render and store an unbounded number of sizes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tenantd::images {

enum class Format { kPng, kWebp, kJpeg };

struct Size {
  int width = 0;
  int height = 0;
  bool operator==(const Size&) const = default;
};

struct VariantSpec {
  Size size;
  Format format = Format::kWebp;
  bool operator==(const VariantSpec&) const = default;
};

// The largest side a configured size may have (a 4K screen's width, twice).
inline constexpr int kMaxSide = 8192;

// "256x256.webp" -> its spec; nullopt for anything else (no leading zeros,
// sides 1..kMaxSide, lowercase format names).
std::optional<VariantSpec> ParseVariantName(std::string_view name);
// The URL name of `spec`: "256x256.webp".
std::string VariantName(const VariantSpec& spec);
// "image/png", "image/webp", "image/jpeg".
std::string_view ContentType(Format format);

// TENANTD_IMAGE_VARIANTS: "64x64,256x256" (spaces allowed around commas;
// "" = no variants). The error names the first entry that is not a size.
base::Result<std::vector<Size>> ParseSizes(std::string_view list);

}  // namespace tenantd::images
