// The blob store the configuration names (blob_store = local | s3), for
// the server and the CLI alike.
#pragma once

#include <memory>

#include "base/error.h"
#include "config/config.h"
#include "files/blob_store.h"

namespace boost::asio {
class thread_pool;
}

namespace tenantd::files {

// kInvalidArgument "invalid_config" for unusable S3 settings (the message
// names the setting, never the secret). `blocking` as for LocalBlobStore.
base::Result<std::unique_ptr<BlobStore>> OpenBlobStore(const config::Config& config,
                                                       boost::asio::thread_pool* blocking);

}  // namespace tenantd::files
