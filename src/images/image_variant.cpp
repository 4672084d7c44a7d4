#include "images/image_variant.h"

#include <vips/vips.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace tenantd::images {
namespace {

// The loaders we accept: decoders of common photo and web formats.
// Everything else libvips could read (SVG, PDF, FITS, raw matrices, ...)
// is refused as not an image: fewer decoders facing hostile bytes.
constexpr std::array<std::string_view, 5> kLoaders = {
    "VipsForeignLoadJpegBuffer", "VipsForeignLoadPngBuffer", "VipsForeignLoadWebpBuffer",
    "VipsForeignLoadGifBuffer", "VipsForeignLoadTiffBuffer"};

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("tenantd") != 0) throw std::runtime_error("libvips failed to initialise");
    // libvips reports hostile input as GLib warnings on stderr; the answer
    // (422 image_rejected) already says it, so they are dropped.
    g_log_set_handler(
        "VIPS",
        static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
        [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    // Loaders libvips itself marks as unsafe for untrusted input stay off.
    vips_block_untrusted_set(TRUE);
    // No operation cache: every variant is made once and stored, so a cache
    // would only hold memory. One thread per variant: the worker pool
    // already runs several variants side by side.
    vips_cache_set_max(0);
    vips_concurrency_set(1);
  });
}

struct ObjectUnref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using Image = std::unique_ptr<VipsImage, ObjectUnref>;

base::Error Rejected(std::string why) {
  vips_error_clear();
  return base::MakeError(base::ErrorCode::kInvalidArgument, "image_rejected",
                         "The image cannot be processed: " + why + ".");
}

base::Error NotAnImage() {
  vips_error_clear();
  return base::MakeError(base::ErrorCode::kInvalidArgument, "unsupported_media_type",
                         "The file is not an image (JPEG, PNG, WebP, GIF or TIFF).");
}

const char* Suffix(Format format) {
  switch (format) {
    case Format::kPng:
      return ".png";
    case Format::kWebp:
      return ".webp";
    case Format::kJpeg:
      return ".jpg";
  }
  return ".png";
}

}  // namespace

base::Result<std::string> MakeVariant(std::string_view image, const VariantSpec& spec) {
  InitOnce();
  const char* loader = vips_foreign_find_load_buffer(image.data(), image.size());
  if (loader == nullptr) return NotAnImage();
  bool known = false;
  for (std::string_view l : kLoaders) known = known || l == loader;
  if (!known) return NotAnImage();

  // The header only: dimensions before a single pixel is decoded.
  Image header(vips_image_new_from_buffer(image.data(), image.size(), "", "access",
                                          VIPS_ACCESS_SEQUENTIAL, nullptr));
  if (!header) return Rejected("its header is not readable");
  const uint64_t pixels = static_cast<uint64_t>(vips_image_get_width(header.get())) *
                          static_cast<uint64_t>(vips_image_get_height(header.get()));
  if (pixels > kMaxPixels) {
    return Rejected("it has " + std::to_string(pixels) + " pixels, more than " +
                    std::to_string(kMaxPixels));
  }

  // thumbnail shrinks while it decodes where the format allows (JPEG),
  // keeps the aspect, applies the EXIF orientation and never enlarges.
  // "fail_on=error": a truncated or corrupt image is refused, not padded.
  VipsImage* scaled_raw = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(image.data()), image.size(), &scaled_raw,
                            spec.size.width, "height", spec.size.height, "size", VIPS_SIZE_DOWN,
                            "option_string", "fail_on=error", nullptr) != 0) {
    return Rejected("it could not be decoded");
  }
  Image scaled(scaled_raw);

  void* out = nullptr;
  std::size_t out_size = 0;
  // strip: no EXIF, XMP, ICC or comments in the variant (they may carry a
  // location; the original keeps them for whoever has the file itself).
  const int saved = spec.format == Format::kJpeg
                        ? vips_image_write_to_buffer(scaled.get(), Suffix(spec.format), &out,
                                                     &out_size, "strip", TRUE, "Q", 85, nullptr)
                        : vips_image_write_to_buffer(scaled.get(), Suffix(spec.format), &out,
                                                     &out_size, "strip", TRUE, nullptr);
  if (saved != 0) return Rejected("it could not be encoded");
  std::string bytes(static_cast<const char*>(out), out_size);
  g_free(out);
  return bytes;
}

}  // namespace tenantd::images
