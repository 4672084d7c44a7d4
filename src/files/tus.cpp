#include "files/tus.h"

#include <charconv>

#include "base/text.h"

namespace tenantd::files::tus {
namespace {

base::Error BadHeader(std::string message) {
  return base::InvalidArgument("bad_request", std::move(message));
}

}  // namespace

base::Result<Metadata> ParseMetadata(std::string_view header) {
  Metadata out;
  header = base::TrimAsciiSpace(header);
  if (header.empty()) return out;
  while (true) {
    const std::size_t comma = header.find(',');
    const std::string_view pair = base::TrimAsciiSpace(header.substr(0, comma));
    const std::size_t space = pair.find(' ');
    const std::string_view key = pair.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : pair.substr(space + 1);
    if (key.empty() || value.find(' ') != std::string_view::npos) {
      return BadHeader("Upload-Metadata must be comma-separated \"key base64value\" pairs.");
    }
    for (char c : key) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        return BadHeader("Upload-Metadata keys must be printable ASCII without spaces.");
      }
    }
    auto decoded = crypto::Base64Decode(value);
    if (!decoded)
      return BadHeader("The Upload-Metadata value of " + std::string(key) +
                       " is not valid base64.");
    if (MetadataValue(out, key)) {
      return BadHeader("Upload-Metadata names " + std::string(key) + " twice.");
    }
    out.emplace_back(std::string(key), std::move(*decoded));
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::string> MetadataValue(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseOffset(std::string_view header) {
  if (header.empty() || header.size() > 19 || (header.size() > 1 && header[0] == '0')) {
    return std::nullopt;
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), value);
  if (ec != std::errc() || end != header.data() + header.size()) return std::nullopt;
  return value;
}

base::Result<Checksum> ParseChecksum(std::string_view header) {
  header = base::TrimAsciiSpace(header);
  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos) {
    return BadHeader("Upload-Checksum must be \"<algorithm> <base64 digest>\".");
  }
  const std::string_view name = header.substr(0, space);
  Checksum out{crypto::DigestStream::Algorithm::kSha256, {}};
  std::size_t size = 32;
  if (name == "sha1") {
    out.algorithm = crypto::DigestStream::Algorithm::kSha1;
    size = 20;
  } else if (name != "sha256") {
    return base::InvalidArgument("checksum_algorithm_unsupported",
                                 "Upload-Checksum algorithms supported: sha1, sha256.");
  }
  auto digest = crypto::Base64Decode(base::TrimAsciiSpace(header.substr(space + 1)));
  if (!digest || digest->size() != size) {
    return BadHeader("The Upload-Checksum digest is not a base64 " + std::string(name) +
                     " digest.");
  }
  out.digest = std::move(*digest);
  return out;
}

}  // namespace tenantd::files::tus
