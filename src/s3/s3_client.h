// An outbound client for S3-compatible object stores (AWS S3, MinIO,
// s3rver, R2…) on Beast: the few operations a blob store needs, signed
// with SigV4 (sigv4.h), over HTTP or HTTPS, path-style or virtual-hosted.
//
// Every call is a coroutine on the caller's executor: nothing blocks an
// event loop (DNS goes through Asio's resolver). Requests whose body is in
// memory are retried with exponential backoff on connection failures, 5xx
// and 429; a streamed GET is retried until its body starts. Memory per
// call is the body it was given, or a fixed buffer for streams.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret.h"
#include "s3/sigv4.h"

namespace tenantd::s3 {

struct S3Options {
  // http(s)://host[:port], no path: "https://s3.eu-west-1.amazonaws.com".
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  base::Secret secret_access_key;
  // Path-style ("host/bucket/key": MinIO, s3rver) or virtual-hosted
  // ("bucket.host/key": AWS's default).
  bool path_style = false;
  // PEM file of extra CA certificates trusted for an https endpoint (a
  // private CA); empty = the system's.
  std::string ca_file;
  std::chrono::seconds io_timeout{30};         // longest wait for one read or write
  int max_attempts = 4;                        // per request, the first included
  std::chrono::milliseconds retry_delay{100};  // before the 2nd attempt; doubles after
};

// The body of a GET, read as it arrives from the store.
class ObjectStream {
 public:
  virtual ~ObjectStream() = default;
  // Fills up to out.size() bytes; 0 = end of the body.
  virtual boost::asio::awaitable<base::Result<std::size_t>> Read(std::span<char> out) = 0;
  // The whole object's size (not the range's).
  virtual uint64_t object_size() const = 0;
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;
};

struct Listing {
  std::vector<std::string> keys;
  std::string next_token;  // "" = no more
};

struct CompletedPart {
  int number = 0;
  std::string etag;
};

class S3Client {
 public:
  // Checks the options (endpoint URL, bucket name, credentials present).
  static base::Result<std::shared_ptr<S3Client>> Create(S3Options options);
  ~S3Client();

  const S3Options& options() const { return options_; }

  // PUT of a whole object; the body's sha256 is signed.
  boost::asio::awaitable<base::Status> Put(std::string_view key, std::string_view body,
                                           std::string_view content_type = {});
  // HEAD: nullopt when there is no such object.
  boost::asio::awaitable<base::Result<std::optional<ObjectInfo>>> Head(std::string_view key);
  // GET of `length` bytes from `offset` (length 0 with offset 0 = whole
  // object). kNotFound when there is no such object.
  boost::asio::awaitable<base::Result<std::unique_ptr<ObjectStream>>> Get(std::string_view key,
                                                                          uint64_t offset = 0,
                                                                          uint64_t length = 0);
  // DELETE; a missing object is not an error.
  boost::asio::awaitable<base::Status> Delete(std::string_view key);
  // One page (up to 1000 keys) of the keys under `prefix`.
  boost::asio::awaitable<base::Result<Listing>> List(std::string_view prefix,
                                                     std::string_view continuation = {});

  // Multipart upload: Create → UploadPart (1..10000, each but the last at
  // least 5 MiB) → Complete, or Abort.
  boost::asio::awaitable<base::Result<std::string>> CreateMultipart(std::string_view key);
  boost::asio::awaitable<base::Result<std::string>> UploadPart(std::string_view key,
                                                               std::string_view upload_id,
                                                               int number, std::string_view body);
  boost::asio::awaitable<base::Status> CompleteMultipart(std::string_view key,
                                                         std::string_view upload_id,
                                                         const std::vector<CompletedPart>& parts);
  boost::asio::awaitable<base::Status> AbortMultipart(std::string_view key,
                                                      std::string_view upload_id);

  // A URL that performs `method` on the object without credentials until
  // `expires_seconds` from `now`; `query` adds signed parameters (e.g.
  // response-content-disposition), `headers` adds signed headers the
  // caller must then send (e.g. Content-Type).
  std::string PresignedUrl(std::string_view method, std::string_view key, base::TimePoint now,
                           int64_t expires_seconds, const Params& query = {},
                           const Params& headers = {}) const;

  struct Impl;

 private:
  explicit S3Client(S3Options options, std::unique_ptr<Impl> impl);
  S3Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantd::s3
