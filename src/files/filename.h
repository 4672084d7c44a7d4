// File names as clients send them and as downloads announce them. A name is
// display text only: files are stored under their id, so no client-chosen
// byte ever reaches a path; these functions keep the name itself safe to
// store, log and echo in a header.
#pragma once

#include <string>
#include <string_view>

namespace tenantd::files {

inline constexpr std::size_t kMaxFilenameBytes = 255;
inline constexpr std::string_view kDefaultFilename = "file";

// The display name for `raw` (an X-Filename value or a multipart filename):
// an RFC 5987 `UTF-8''%xx` value is decoded first; then only the last path
// component is kept ('/' and '\' both separate), control characters (NUL
// included) are dropped, invalid UTF-8 bytes become '_', surrounding spaces
// and dots are trimmed, and the result is cut to 255 bytes on a character
// boundary. Empty, "." and ".." become "file".
std::string SanitizeFilename(std::string_view raw);

// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`
// (RFC 6266 + RFC 5987), for a name SanitizeFilename produced.
std::string ContentDisposition(std::string_view filename);

}  // namespace tenantd::files
