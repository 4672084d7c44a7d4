// A real S3-protocol server on a free loopback port: s3rver (npm, objects
// on disk) behind tests/s3/server.js, which checks every request's SigV4
// signature and signed payload hash with AWS's own signer. The build runs
// `npm ci` in tests/s3 (tests/CMakeLists.txt); a missing node or
// node_modules fails the test: S3 tests never skip.
//
// Not thread-safe: use from one test thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/test_server.h"

namespace tenantd::test {

class S3Server {
 public:
  static constexpr const char* kBucket = "tenantd";
  static constexpr const char* kAccessKeyId = "S3RVER";
  static constexpr const char* kSecretAccessKey = "S3RVER";

  S3Server();
  ~S3Server();  // kills the server and removes its directory
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // Starts it with an empty bucket and waits until it listens.
  ::testing::AssertionResult Start();

  // http://127.0.0.1:<port>
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // TENANTD_BLOB_STORE=s3 and the TENANTD_S3_* settings that point a
  // tenantd at this server.
  Env TenantdEnv() const;
  // Where s3rver keeps the bucket's objects: an object "a/b" is the file
  // <bucket_dir>/a/b._S3rver_object.
  std::filesystem::path bucket_dir() const { return dir_ / "data" / kBucket; }
  // The object keys under `prefix`, from s3rver's directory.
  std::vector<std::string> Keys(const std::string& prefix) const;
  // Multipart uploads begun and neither completed nor aborted.
  std::size_t PendingMultipartUploads() const;
  // The requests whose signature or payload hash failed the check, one a
  // line; "" when every request so far was signed right.
  std::string SigningFailures() const;

 private:
  std::filesystem::path dir_;
  std::string url_;
  int port_ = 0;
  std::unique_ptr<BackgroundCommand> process_;
};

}  // namespace tenantd::test
