// Presigned download links (api.md §6): `/v1/files/{id}?expires=…&signature=…`
// downloads that one file, without credentials, until `expires` (Unix
// seconds). The signature is `v1.<tenant id>.<base64url HMAC-SHA256>` over
// the tenant, the file and the expiry, under a key derived from the master
// key: clients treat it as opaque; the server reads the tenant from it
// (file ids live in tenant databases, so the link must say whose), and any
// edit to the id, the expiry or the tenant breaks the MAC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret.h"
#include "base/time.h"
#include "crypto/crypto.h"

namespace tenantd::files {

inline constexpr int64_t kMaxLinkSeconds = 7 * 24 * 3600;  // a week, like S3's presigned URLs

//
// The one-time upload URLs of the local store (api.md §14, `PUT
// /v1/files/{id}/content?expires=…&signature=…`) are the same links under a
// key of their own (the server derives one per purpose), so a download link
// never opens the upload route nor the reverse.
class FileLinks {
 public:
  explicit FileLinks(const base::Secret& key);

  // The path and query of a link valid until `expires` (Unix seconds).
  std::string Make(std::string_view tenant_id, std::string_view file_id, int64_t expires) const;
  // Its query alone: "expires=…&signature=…".
  std::string MakeQuery(std::string_view tenant_id, std::string_view file_id,
                        int64_t expires) const;

  // The tenant a link names when `expires` and `signature` (from the query)
  // are a valid, unexpired signature for `file_id`. Errors (403):
  // link_expired, invalid_link.
  base::Result<std::string> Verify(std::string_view file_id, std::string_view expires,
                                   std::string_view signature, base::TimePoint now) const;

 private:
  std::string Mac(std::string_view tenant_id, std::string_view file_id, int64_t expires) const;
  crypto::HmacSha256Key key_;
};

}  // namespace tenantd::files
