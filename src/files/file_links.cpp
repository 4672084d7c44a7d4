#include "files/file_links.h"

#include <charconv>
#include <chrono>

#include "base/ids.h"

namespace tenantd::files {
namespace {

constexpr std::string_view kVersion = "v1";

base::Error InvalidLink() {
  return base::MakeError(base::ErrorCode::kPermissionDenied, "invalid_link",
                         "This download link is not valid.");
}

}  // namespace

FileLinks::FileLinks(const base::Secret& key) : key_(key.Reveal()) {}

std::string FileLinks::Mac(std::string_view tenant_id, std::string_view file_id,
                           int64_t expires) const {
  std::string data(kVersion);
  data += '\n';
  data += tenant_id;
  data += '\n';
  data += file_id;
  data += '\n';
  data += std::to_string(expires);
  return key_.Mac(data);
}

std::string FileLinks::Make(std::string_view tenant_id, std::string_view file_id,
                            int64_t expires) const {
  std::string url = "/v1/files/";
  url += file_id;
  url += '?';
  url += MakeQuery(tenant_id, file_id, expires);
  return url;
}

std::string FileLinks::MakeQuery(std::string_view tenant_id, std::string_view file_id,
                                 int64_t expires) const {
  std::string query = "expires=";
  query += std::to_string(expires);
  query += "&signature=";
  query += kVersion;
  query += '.';
  query += tenant_id;
  query += '.';
  query += crypto::Base64UrlEncode(Mac(tenant_id, file_id, expires));
  return query;
}

base::Result<std::string> FileLinks::Verify(std::string_view file_id, std::string_view expires,
                                            std::string_view signature, base::TimePoint now) const {
  int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), expiry);
  // Only the one spelling Make writes ("0123", "-0" or "+123" would name
  // the same expiry): a signed link has exactly one valid form.
  if (expires.empty() || ec != std::errc() || end != expires.data() + expires.size() ||
      expiry <= 0 || std::to_string(expiry) != expires) {
    return InvalidLink();
  }
  const std::size_t a = signature.find('.');
  const std::size_t b = a == std::string_view::npos ? a : signature.find('.', a + 1);
  if (b == std::string_view::npos || signature.substr(0, a) != kVersion) return InvalidLink();
  const std::string_view tenant_id = signature.substr(a + 1, b - a - 1);
  const auto presented = crypto::Base64UrlDecode(signature.substr(b + 1));
  if (!base::IsWellFormedId(tenant_id, "ten") || !presented ||
      !crypto::ConstantTimeEqual(*presented, Mac(tenant_id, file_id, expiry))) {
    return InvalidLink();
  }
  // Checked after the MAC: an edited expiry is "invalid", not "expired".
  const int64_t now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_seconds >= expiry) {
    return base::MakeError(base::ErrorCode::kPermissionDenied, "link_expired",
                           "This download link has expired.");
  }
  return std::string(tenant_id);
}

}  // namespace tenantd::files
