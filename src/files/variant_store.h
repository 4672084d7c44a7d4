// Image variants' rows in the tenant's own data (table `file_variants`,
// src/tenant_db/migrations/0006_file_variants.sql), in one transaction on
// the tenant's data like every other file function; the caller commits.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "storage/database.h"

namespace tenantd::files {

struct VariantRecord {
  std::string file_id;
  std::string variant;  // "256x256.webp"
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
  std::string storage_key;
  std::string created_at;  // RFC 3339 UTC
};

// The blob key of a variant of the file stored under `file_key`.
std::string VariantStorageKey(std::string_view file_key, std::string_view variant);

boost::asio::awaitable<base::Result<std::optional<VariantRecord>>> GetVariant(
    storage::Transaction& tx, std::string_view file_id, std::string_view variant);

// Inserts unless the stored bytes would then exceed `quota_bytes` (0 = no
// quota; 413 quota_exceeded). false when the variant exists already (made
// by a concurrent request): the caller serves that one and drops its own.
boost::asio::awaitable<base::Result<bool>> InsertVariant(storage::Transaction& tx,
                                                         const VariantRecord& variant,
                                                         uint64_t quota_bytes,
                                                         std::string_view now);

// Forgets one variant (its bytes went missing: it is made again).
boost::asio::awaitable<base::Status> DeleteVariant(storage::Transaction& tx,
                                                   std::string_view file_id,
                                                   std::string_view variant);

// Deletes every variant of a file and returns their storage keys.
boost::asio::awaitable<base::Result<std::vector<std::string>>> DeleteVariants(
    storage::Transaction& tx, std::string_view file_id);

}  // namespace tenantd::files
