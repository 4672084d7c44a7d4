// The blob-store contract (files/blob_store.h), run against both stores:
// the local one in a temporary directory and S3BlobStore against a real
// S3-protocol server (support/s3_server.h) whose front checks every
// signature with AWS's own signer. Objects tenantd writes are then read
// back with an independent client (boto3), and its presigned URLs with
// plain curl.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "base/ids.h"
#include "crypto/crypto.h"
#include "files/local_blob_store.h"
#include "files/s3_blob_store.h"
#include "s3/s3_client.h"
#include "support/s3_server.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
using files::BlobStore;
using files::BlobUpload;
using files::OpenBlob;

// Runs a coroutine to completion (and whatever it left running, such as
// the background clean-up of an abandoned upload) on a private io_context.
template <class T>
T Await(boost::asio::awaitable<T> coroutine) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, std::move(coroutine), boost::asio::use_future);
  io.run();
  return result.get();
}

std::string RandomBytes(std::size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

// `length` bytes from `offset` of an open blob, whichever way it came.
boost::asio::awaitable<std::string> ReadBlob(OpenBlob blob, uint64_t offset, uint64_t length) {
  std::string out;
  std::vector<char> buf(100 * 1024);
  if (blob.fd.valid()) {
    while (out.size() < length) {
      const ssize_t n =
          ::pread(blob.fd.get(), buf.data(), std::min<uint64_t>(buf.size(), length - out.size()),
                  static_cast<off_t>(offset + out.size()));
      if (n <= 0) break;
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
    co_return out;
  }
  for (;;) {
    auto n = co_await blob.stream->Read(buf);
    if (!n || *n == 0) break;
    out.append(buf.data(), *n);
  }
  co_return out;
}

// A fresh directory, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("tenantd-blobs-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

enum class Kind { kLocal, kS3 };

struct OpenedBytes {
  uint64_t size = 0;  // the whole blob's
  std::string bytes;
};

std::string KindName(const ::testing::TestParamInfo<Kind>& info) {
  return info.param == Kind::kLocal ? "Local" : "S3";
}

class BlobStoreContract : public ::testing::TestWithParam<Kind> {
 protected:
  static void SetUpTestSuite() {
    s3_server_ = std::make_unique<S3Server>();
    const auto started = s3_server_->Start();
    start_error_ = started ? "" : started.message();
  }
  static void TearDownTestSuite() { s3_server_.reset(); }

  void SetUp() override {
    if (GetParam() == Kind::kLocal) {
      store_ = std::make_unique<files::LocalBlobStore>(dir_.path());
      return;
    }
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    s3::S3Options o;
    o.endpoint = s3_server_->url();
    o.bucket = S3Server::kBucket;
    o.access_key_id = S3Server::kAccessKeyId;
    o.secret_access_key = base::Secret(S3Server::kSecretAccessKey);
    o.path_style = true;
    auto client = s3::S3Client::Create(o);
    ASSERT_TRUE(client) << client.error().public_message;
    client_ = *client;
    // The smallest part S3 allows, so that a dozen MiB make several parts.
    store_ = std::make_unique<files::S3BlobStore>(client_, files::S3BlobStore::kMinPartSize);
  }
  void TearDown() override {
    if (GetParam() == Kind::kS3 && s3_server_) {
      EXPECT_EQ(s3_server_->SigningFailures(), "");
    }
  }

  // Stores `bytes` appended in pieces of `piece` bytes; returns the key.
  // Without `commit` the upload is dropped after Publish, inside the
  // coroutine, so that its clean-up runs on the event loop before Await
  // returns.
  std::string Store(const std::string& tenant, const std::string& bytes,
                    std::size_t piece = 64 * 1024, bool commit = true) {
    auto upload = store_->BeginUpload(tenant, base::NewId("fil"), std::chrono::system_clock::now());
    if (!upload) throw std::runtime_error("BeginUpload: " + upload.error().log_detail);
    const std::string key = (*upload)->storage_key();
    const bool ok = Await([](std::unique_ptr<BlobUpload> u, std::string_view bytes,
                             std::size_t piece, bool commit) -> boost::asio::awaitable<bool> {
      for (std::size_t at = 0; at < bytes.size(); at += piece) {
        if (!co_await u->Append(bytes.substr(at, piece))) co_return false;
      }
      const bool published = static_cast<bool>(co_await u->Publish());
      if (published && commit) u->Commit();
      u.reset();
      co_return published;
    }(std::move(*upload), bytes, piece, commit));
    if (!ok) throw std::runtime_error("upload failed");
    return key;
  }

  // Opens and reads in one coroutine: an open blob's connection belongs to
  // the event loop it was opened on.
  std::string ReadAll(const std::string& tenant, const std::string& key, uint64_t offset = 0,
                      uint64_t length = 0, uint64_t* size = nullptr) {
    auto read = Await([](BlobStore& store, std::string tenant, std::string key, uint64_t offset,
                         uint64_t length) -> boost::asio::awaitable<base::Result<OpenedBytes>> {
      auto blob = co_await store.Open(tenant, key, offset, length);
      if (!blob) co_return blob.error();
      OpenedBytes out;
      out.size = blob->size;
      out.bytes = co_await ReadBlob(std::move(*blob), offset, length ? length : out.size - offset);
      co_return out;
    }(*store_, tenant, key, offset, length));
    if (!read) throw std::runtime_error("Open: " + read.error().log_detail);
    if (size != nullptr) *size = read->size;
    return read->bytes;
  }

  bool Exists(const std::string& tenant, const std::string& key) {
    auto size = Await(store_->Size(tenant, key));
    if (!size && size.error().code != base::ErrorCode::kNotFound) {
      throw std::runtime_error("Size: " + size.error().log_detail);
    }
    return static_cast<bool>(size);
  }

  std::size_t PendingMultipart() const {
    return GetParam() == Kind::kS3 ? s3_server_->PendingMultipartUploads() : 0;
  }

  inline static std::unique_ptr<S3Server> s3_server_;
  inline static std::string start_error_;
  ScratchDir dir_;
  std::shared_ptr<s3::S3Client> client_;
  std::unique_ptr<BlobStore> store_;
  const std::string tenant_ = base::NewId("ten");
};

TEST_P(BlobStoreContract, SmallEmptyAndMultipartBlobsReadBackByteExact) {
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{100000}, std::size_t{12} << 20}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const std::string bytes = RandomBytes(size, static_cast<uint32_t>(size));
    // An odd piece size, so parts never line up with appends.
    const std::string key = Store(tenant_, bytes, 300007);
    EXPECT_TRUE(files::IsStorageKey(key)) << key;
    auto stored = Await(store_->Size(tenant_, key));
    ASSERT_TRUE(stored);
    EXPECT_EQ(*stored, size);
    EXPECT_TRUE(ReadAll(tenant_, key) == bytes);
  }
  EXPECT_EQ(PendingMultipart(), 0u);
}

TEST_P(BlobStoreContract, RangesReadExactlyTheirBytes) {
  const std::string bytes = RandomBytes(6 << 20, 11);
  const std::string key = Store(tenant_, bytes);
  EXPECT_TRUE(ReadAll(tenant_, key, 0, 1) == bytes.substr(0, 1));
  EXPECT_TRUE(ReadAll(tenant_, key, 5, 10) == bytes.substr(5, 10));
  EXPECT_TRUE(ReadAll(tenant_, key, (5 << 20) - 3, 7) == bytes.substr((5 << 20) - 3, 7));
  EXPECT_TRUE(ReadAll(tenant_, key, bytes.size() - 1, 1) == bytes.substr(bytes.size() - 1));
  // Whatever the range, the size reported is the whole blob's.
  uint64_t size = 0;
  ReadAll(tenant_, key, 5, 10, &size);
  EXPECT_EQ(size, bytes.size());
}

TEST_P(BlobStoreContract, NothingIsVisibleBeforePublishAndAnAbandonedUploadLeavesNothing) {
  const std::string bytes = RandomBytes(11 << 20, 5);  // two parts sent before the end
  std::string key;
  {
    auto upload =
        store_->BeginUpload(tenant_, base::NewId("fil"), std::chrono::system_clock::now());
    ASSERT_TRUE(upload);
    key = (*upload)->storage_key();
    // Appended (parts sent) but never published; destroyed inside the
    // coroutine, so its clean-up runs before Await returns.
    const bool appended = Await(
        [](std::unique_ptr<BlobUpload> u, std::string_view bytes) -> boost::asio::awaitable<bool> {
          const bool ok = static_cast<bool>(co_await u->Append(bytes));
          u.reset();
          co_return ok;
        }(std::move(*upload), bytes));
    ASSERT_TRUE(appended);
  }
  EXPECT_FALSE(Exists(tenant_, key));
  EXPECT_EQ(PendingMultipart(), 0u) << "the multipart upload was not aborted";
}

TEST_P(BlobStoreContract, PublishedButNeverCommittedIsRemoved) {
  const std::string key = Store(tenant_, RandomBytes(1000, 3), 100, /*commit=*/false);
  // Store's upload object is gone: its clean-up ran in Await.
  EXPECT_FALSE(Exists(tenant_, key));
}

TEST_P(BlobStoreContract, MissingBlobsAreNotFound) {
  const std::string key = "2026/11/22/" + base::NewId("fil");
  auto blob = Await(store_->Open(tenant_, key, 0, 0));
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, base::ErrorCode::kNotFound);
  auto size = Await(store_->Size(tenant_, key));
  ASSERT_FALSE(size);
  EXPECT_EQ(size.error().code, base::ErrorCode::kNotFound);
}

TEST_P(BlobStoreContract, RemoveAndRemoveTenantTouchOnlyTheirOwn) {
  const std::string other = base::NewId("ten");
  const std::string a = Store(tenant_, "a");
  const std::string b = Store(tenant_, "b");
  const std::string c = Store(other, "c");
  ASSERT_TRUE(Await(store_->Remove(tenant_, a)));
  EXPECT_FALSE(Exists(tenant_, a));
  EXPECT_TRUE(Await(store_->Remove(tenant_, a)));  // already gone: fine
  EXPECT_TRUE(Exists(tenant_, b));
  ASSERT_TRUE(Await(store_->RemoveTenant(tenant_)));
  EXPECT_FALSE(Exists(tenant_, b));
  EXPECT_TRUE(Exists(other, c));
  EXPECT_EQ(ReadAll(other, c), "c");
  // The same key under another tenant is another blob.
  EXPECT_FALSE(Exists(other, b));
}

TEST_P(BlobStoreContract, RefusesKeysAndIdsThatAreNotOurs) {
  for (const std::string& key :
       std::vector<std::string>{"../../etc/passwd", "2026/11/22/../../x", "2026/11/22/fil_",
                                "a/b/c/" + base::NewId("fil"), ""}) {
    SCOPED_TRACE(key);
    auto blob = Await(store_->Open(tenant_, key, 0, 0));
    ASSERT_FALSE(blob);
    EXPECT_EQ(blob.error().code, base::ErrorCode::kInternal);
    EXPECT_FALSE(Await(store_->Remove(tenant_, key)));
  }
  EXPECT_FALSE(Await(store_->Open("../ten_x", "2026/11/22/" + base::NewId("fil"), 0, 0)));
  EXPECT_FALSE(store_->BeginUpload("..", base::NewId("fil"), std::chrono::system_clock::now()));
  EXPECT_FALSE(store_->BeginUpload(tenant_, "../fil_x", std::chrono::system_clock::now()));
  EXPECT_FALSE(Await(store_->RemoveTenant("")));
}

INSTANTIATE_TEST_SUITE_P(Stores, BlobStoreContract, ::testing::Values(Kind::kLocal, Kind::kS3),
                         KindName);

// ---- S3 only: independent clients and the wire ----

class S3Interop : public BlobStoreContract {};

TEST_P(S3Interop, ObjectsAreUnderTheTenantPrefixAndReadableWithBoto3) {
  const std::string bytes = RandomBytes(7 << 20, 9);  // multipart
  const std::string key = Store(tenant_, bytes);
  const std::string object = files::S3BlobStore::ObjectKey(tenant_, key);
  EXPECT_EQ(object, "tenant-" + tenant_ + "/" + key);
  EXPECT_EQ(s3_server_->Keys("tenant-" + tenant_ + "/"), std::vector<std::string>{object});
  // boto3 (Debian python3-boto3) signs on its own; the server's front
  // checks its signatures as it checks ours.
  const std::string script =
      "import boto3, hashlib, sys\n"
      "from botocore.config import Config\n"
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='S3RVER',\n"
      "    aws_secret_access_key='S3RVER', region_name='us-east-1',\n"
      "    config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))\n"
      "body = s3.get_object(Bucket='tenantd', Key=sys.argv[2])['Body'].read()\n"
      "print(len(body), hashlib.sha256(body).hexdigest())\n";
  const CommandResult r = RunCommand({"python3", "-c", script, s3_server_->url(), object}, {},
                                     std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(bytes.size()) + " " + crypto::Sha256Hex(bytes) + "\n");
}

TEST_P(S3Interop, PresignedUrlsWorkWithPlainCurl) {
  const std::string bytes = "presigned bytes";
  const std::string key = Store(tenant_, bytes);
  const std::string object = files::S3BlobStore::ObjectKey(tenant_, key);
  const auto now = std::chrono::system_clock::now();
  const std::string get =
      client_->PresignedUrl("GET", object, now, 60,
                            {{"response-content-disposition",
                              "attachment; filename=\"resume + 1.txt\"; "
                              "filename*=UTF-8''r%C3%A9sum%C3%A9%20%2B%201.txt"}});
  CommandResult r = RunCommand({"curl", "-sS", "-f", "-D", "-", get});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.ends_with("\r\n\r\n" + bytes)) << r.out;
  EXPECT_NE(
      r.out.find("filename=\"resume + 1.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%2B%201.txt"),
      std::string::npos)
      << r.out;

  // A presigned PUT to a new object, and the same URL used for GET fails.
  const std::string put_object = "tenant-" + tenant_ + "/2026/12/03/" + base::NewId("fil");
  const std::string put = client_->PresignedUrl("PUT", put_object, now, 60);
  r = RunCommand({"curl", "-sS", "-f", "-X", "PUT", "--data-binary", "uploaded by curl", put});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(s3_server_->Keys(put_object), std::vector<std::string>{put_object});
  r = RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", put});
  EXPECT_EQ(r.out, "403");
  // A tampered signature is refused.
  std::string tampered = get;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  r = RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", tampered});
  EXPECT_EQ(r.out, "403");
  EXPECT_NE(s3_server_->SigningFailures(), "");  // the two refusals above
  s3_server_.reset();                            // the next test starts a fresh one
  s3_server_ = std::make_unique<S3Server>();
  ASSERT_TRUE(s3_server_->Start());
}

TEST_P(S3Interop, VirtualHostedAndPathStyleAddressing) {
  s3::S3Options o;
  o.endpoint = "https://s3.eu-west-1.amazonaws.com";
  o.bucket = "my-bucket";
  o.region = "eu-west-1";
  o.access_key_id = "AKID";
  o.secret_access_key = base::Secret("secret");
  const auto now = std::chrono::system_clock::now();
  auto vhost = s3::S3Client::Create(o);
  ASSERT_TRUE(vhost);
  EXPECT_TRUE((*vhost)
                  ->PresignedUrl("GET", "tenant-x/a b+c", now, 60)
                  .starts_with("https://my-bucket.s3.eu-west-1.amazonaws.com/tenant-x/a%20b%2Bc?"));
  o.path_style = true;
  o.endpoint = "http://minio.local:9000";
  auto path = s3::S3Client::Create(o);
  ASSERT_TRUE(path);
  EXPECT_TRUE((*path)
                  ->PresignedUrl("GET", "tenant-x/k~1", now, 60)
                  .starts_with("http://minio.local:9000/my-bucket/tenant-x/k~1?"));
  for (const std::string bad : {"ftp://x", "http://", "http://h/path", "http://u:p@h", "h:9000"}) {
    o.endpoint = bad;
    EXPECT_FALSE(s3::S3Client::Create(o)) << bad;
  }
  o.endpoint = "http://h";
  o.bucket = "Bad_Bucket";
  EXPECT_FALSE(s3::S3Client::Create(o));
}

INSTANTIATE_TEST_SUITE_P(Stores, S3Interop, ::testing::Values(Kind::kS3), KindName);

}  // namespace
}  // namespace tenantd::test
