#include "files/open_blob_store.h"

#include "files/local_blob_store.h"
#include "files/s3_blob_store.h"
#include "s3/s3_client.h"

namespace tenantd::files {

base::Result<std::unique_ptr<BlobStore>> OpenBlobStore(const config::Config& config,
                                                       boost::asio::thread_pool* blocking) {
  if (config.blob_store != "s3") {
    return std::unique_ptr<BlobStore>(std::make_unique<LocalBlobStore>(config.data_dir, blocking));
  }
  s3::S3Options options;
  options.endpoint = config.s3_endpoint;
  options.bucket = config.s3_bucket;
  options.region = config.s3_region;
  options.access_key_id = config.s3_access_key_id;
  options.secret_access_key = config.s3_secret_access_key;
  options.path_style = config.s3_force_path_style;
  options.ca_file = config.s3_ca_file;
  auto client = s3::S3Client::Create(std::move(options));
  if (!client) return client.error();
  return std::unique_ptr<BlobStore>(std::make_unique<S3BlobStore>(*client));
}

}  // namespace tenantd::files
