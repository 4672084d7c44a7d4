// S3Client against a scripted store on loopback: what it sends (signed,
// hashed, ranges, multipart XML) and how it takes answers (retries on
// 5xx/429 and broken connections, none on 4xx, errors inside a 200,
// chunked bodies streamed). The real-server tests are in
// tests/e2e/blob_store_test.cpp.
#include "s3/s3_client.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>

#include "crypto/crypto.h"

namespace tenantd::s3 {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

struct Seen {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Answers each connection's one request with the next scripted answer
// (raw HTTP; "" = close without answering).
class ScriptedStore {
 public:
  explicit ScriptedStore(asio::io_context& io)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io, Serve(), asio::detached);
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::deque<std::string> answers;
  std::vector<Seen> seen;

 private:
  asio::awaitable<void> Serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAwait);
      if (ec) co_return;
      beast::flat_buffer buf;
      bhttp::request<bhttp::string_body> req;
      auto [rec, n] = co_await bhttp::async_read(socket, buf, req, kAwait);
      if (rec) continue;
      Seen s{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        s.headers[name] = std::string(f.value());
      }
      seen.push_back(std::move(s));
      std::string answer = answers.empty() ? std::string() : answers.front();
      if (!answers.empty()) answers.pop_front();
      if (!answer.empty()) co_await asio::async_write(socket, asio::buffer(answer), kAwait);
      socket.close();
    }
  }
  tcp::acceptor acceptor_;
};

std::string Answer(int status, std::string body = {}, std::string extra = {}) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

template <class T>
T Drive(asio::io_context& io, asio::awaitable<T> step) {
  auto f = asio::co_spawn(io, std::move(step), asio::use_future);
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return f.get();
}

class S3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    S3Options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(store_.port());
    o.bucket = "bkt";
    o.access_key_id = "AKID";
    o.secret_access_key = base::Secret("secret");
    o.path_style = true;
    o.retry_delay = std::chrono::milliseconds(1);
    client_ = *S3Client::Create(o);
  }
  asio::io_context io_;
  ScriptedStore store_{io_};
  std::shared_ptr<S3Client> client_;
};

TEST_F(S3ClientTest, PutSignsTheBodyHashAndRetries5xxAnd429) {
  store_.answers = {Answer(503), Answer(429), Answer(200)};
  ASSERT_TRUE(Drive(io_, client_->Put("tenant-x/a b+c~", "hello", "text/plain")));
  ASSERT_EQ(store_.seen.size(), 3u);
  for (const Seen& s : store_.seen) {
    EXPECT_EQ(s.method, "PUT");
    EXPECT_EQ(s.target, "/bkt/tenant-x/a%20b%2Bc~");
    EXPECT_EQ(s.body, "hello");
    EXPECT_EQ(s.headers.at("x-amz-content-sha256"), crypto::Sha256Hex("hello"));
    EXPECT_EQ(s.headers.at("content-type"), "text/plain");
    EXPECT_TRUE(s.headers.at("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKID/"));
    EXPECT_NE(s.headers.at("authorization")
                  .find("SignedHeaders=content-length;content-type;host;"
                        "x-amz-content-sha256;x-amz-date"),
              std::string::npos)
        << s.headers.at("authorization");
  }
}

TEST_F(S3ClientTest, GivesUpAfterFourAttemptsAsUnavailable) {
  store_.answers = {Answer(500), "", Answer(502), Answer(500), Answer(200)};
  auto put = Drive(io_, client_->Put("k", "x"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, base::ErrorCode::kUnavailable);
  EXPECT_EQ(put.error().problem_code, "storage_unavailable");
  EXPECT_EQ(store_.seen.size(), 4u);
  EXPECT_EQ(put.error().public_message.find("127.0.0.1"), std::string::npos);
}

TEST_F(S3ClientTest, ClientErrorsAreNotRetriedAndNameTheS3Code) {
  store_.answers = {
      Answer(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>")};
  auto put = Drive(io_, client_->Put("k", "x"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, base::ErrorCode::kInternal);
  EXPECT_NE(put.error().log_detail.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(store_.seen.size(), 1u);
}

TEST_F(S3ClientTest, MultipartSendsPartsAndTheCompletionList) {
  store_.answers = {Answer(200,
                           "<InitiateMultipartUploadResult><UploadId>up/1+=</UploadId></"
                           "InitiateMultipartUploadResult>"),
                    Answer(200, "", "ETag: \"e1\"\r\n"), Answer(200, "", "ETag: \"e2\"\r\n"),
                    // An error reported inside a 200 is an error.
                    Answer(200, "<Error><Code>InternalError</Code></Error>")};
  auto id = Drive(io_, client_->CreateMultipart("obj"));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "up/1+=");
  auto e1 = Drive(io_, client_->UploadPart("obj", *id, 1, "part one"));
  auto e2 = Drive(io_, client_->UploadPart("obj", *id, 2, "part two"));
  ASSERT_TRUE(e1 && e2);
  auto done = Drive(io_, client_->CompleteMultipart("obj", *id, {{1, *e1}, {2, *e2}}));
  EXPECT_FALSE(done);
  ASSERT_EQ(store_.seen.size(), 4u);
  EXPECT_EQ(store_.seen[0].target, "/bkt/obj?uploads=");
  EXPECT_EQ(store_.seen[1].target, "/bkt/obj?partNumber=1&uploadId=up%2F1%2B%3D");
  EXPECT_EQ(store_.seen[3].body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part></CompleteMultipartUpload>");
}

TEST_F(S3ClientTest, RangedGetStreamsAChunkedBody) {
  store_.answers = {Answer(503),
                    "HTTP/1.1 206 Partial\r\nContent-Range: bytes 2-11/100\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n"};
  auto stream = Drive(io_, client_->Get("obj", 2, 10));
  ASSERT_TRUE(stream) << stream.error().log_detail;
  EXPECT_EQ((*stream)->object_size(), 100u);
  std::string got;
  char buf[3];
  for (;;) {
    auto n = Drive(io_, (*stream)->Read(buf));
    ASSERT_TRUE(n);
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_EQ(got, "abcdefghij");
  ASSERT_EQ(store_.seen.size(), 2u);
  EXPECT_EQ(store_.seen[1].headers.at("range"), "bytes=2-11");
}

TEST_F(S3ClientTest, HeadAndGetOfAMissingObject) {
  store_.answers = {Answer(404), Answer(404, "<Error><Code>NoSuchKey</Code></Error>")};
  auto head = Drive(io_, client_->Head("nope"));
  ASSERT_TRUE(head);
  EXPECT_FALSE(*head);
  auto get = Drive(io_, client_->Get("nope"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, base::ErrorCode::kNotFound);
}

TEST_F(S3ClientTest, ListReadsKeysAndTheContinuationToken) {
  store_.answers = {Answer(200,
                           "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b"
                           "</Key></Contents><Contents><Key>c</Key></Contents>"
                           "<NextContinuationToken>t1</NextContinuationToken></ListBucketResult>")};
  auto page = Drive(io_, client_->List("tenant-x/"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->keys, (std::vector<std::string>{"a&b", "c"}));
  EXPECT_EQ(page->next_token, "t1");
  EXPECT_EQ(store_.seen[0].target, "/bkt?list-type=2&prefix=tenant-x%2F");
}

}  // namespace
}  // namespace tenantd::s3
