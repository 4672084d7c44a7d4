// Scaled copies of images (api.md §14 "Image variants"), made with libvips.
// MakeVariant decodes, scales and encodes on the calling thread and may
// take tens of milliseconds: run it on a worker pool, never on an event loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "images/variant_spec.h"

namespace tenantd::images {

// Images with more pixels than this are refused before they are decoded
// (a 100-byte PNG can claim to be 100,000 x 100,000).
inline constexpr uint64_t kMaxPixels = 50'000'000;

// `image` (JPEG, PNG, WebP, GIF or TIFF, recognised by its bytes) scaled to
// fit inside spec.size with its aspect kept, never enlarged, turned upright
// by its EXIF orientation, with all metadata stripped, encoded as
// spec.format. Errors: 415 unsupported_media_type for bytes that are no
// image of those formats; 422 image_rejected for an image over kMaxPixels,
// truncated or otherwise undecodable.
base::Result<std::string> MakeVariant(std::string_view image, const VariantSpec& spec);

}  // namespace tenantd::images
