// The header grammar of tus 1.0.0 (https://tus.io/protocols/resumable-upload,
// api.md §14 "Resumable uploads"): what /v1/uploads reads from requests.
// Pure functions; the routes are in tenant_api/upload_handlers.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "crypto/crypto.h"

namespace tenantd::files::tus {

inline constexpr std::string_view kVersion = "1.0.0";
inline constexpr std::string_view kExtensions =
    "creation,creation-with-upload,termination,checksum,expiration";
inline constexpr std::string_view kChecksumAlgorithms = "sha1,sha256";
inline constexpr std::string_view kOffsetMediaType = "application/offset+octet-stream";
// tus's own status for a chunk whose Upload-Checksum does not match.
inline constexpr int kChecksumMismatchStatus = 460;

// Upload-Metadata: comma-separated "key base64value" pairs (the value may
// be absent). Keys are non-empty, unique, without spaces or commas. Errors:
// 400 bad_request naming what is wrong.
using Metadata = std::vector<std::pair<std::string, std::string>>;
base::Result<Metadata> ParseMetadata(std::string_view header);
// The decoded value of `key`, if present.
std::optional<std::string> MetadataValue(const Metadata& metadata, std::string_view key);

// Upload-Offset and Upload-Length: a non-negative decimal without sign,
// leading zeros (but "0") or spaces; nullopt otherwise.
std::optional<uint64_t> ParseOffset(std::string_view header);

// Upload-Checksum: "<algorithm> <base64 digest>". Unknown algorithms are
// 400 checksum_algorithm_unsupported (tus: 400), malformed values 400
// bad_request.
struct Checksum {
  crypto::DigestStream::Algorithm algorithm;
  std::string digest;  // raw
};
base::Result<Checksum> ParseChecksum(std::string_view header);

}  // namespace tenantd::files::tus
