#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace tenantd::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds `bytes` in pieces of `step`, as a connection would receive them,
// until the message is complete or refused; the final status.
ParseStatus Parse(RequestParser<bhttp::string_body>& parser, std::string_view bytes,
                  std::size_t step = 4096) {
  boost::beast::flat_buffer buffer;
  std::size_t offset = 0;
  for (;;) {
    const ParseStatus s = parser.Put(buffer);
    if (s == ParseStatus::kDone && parser.get().is_done()) return s;
    if (s != ParseStatus::kDone && s != ParseStatus::kNeedMore) return s;
    if (s == ParseStatus::kNeedMore) {
      EXPECT_LT(buffer.size(), kMaxUnparsedBytes);
      if (offset == bytes.size()) return parser.PutEof();
      const std::size_t n = std::min(step, bytes.size() - offset);
      auto dst = buffer.prepare(n);
      std::memcpy(dst.data(), bytes.data() + offset, n);
      buffer.commit(n);
      offset += n;
    }
  }
}

ParseStatus Parse(std::string_view bytes, std::size_t step = 4096) {
  RequestParser<bhttp::string_body> parser;
  return Parse(parser, bytes, step);
}

TEST(CheckTransferEncoding, ChunkedAloneIsTheOnlyCodingAccepted) {
  EXPECT_EQ(CheckTransferEncoding("chunked", false, 11), ParseStatus::kDone);
  EXPECT_EQ(CheckTransferEncoding(" Chunked ,", false, 11), ParseStatus::kDone);
  EXPECT_EQ(CheckTransferEncoding("gzip, chunked", false, 11),
            ParseStatus::kUnsupportedTransferCoding);
  EXPECT_EQ(CheckTransferEncoding("foo,chunked", false, 11),
            ParseStatus::kUnsupportedTransferCoding);
  for (const char* bad : {"", "xchunked", "gzip", "identity", "chunked, identity",
                          "chunked, chunked", "chunked;q=1"}) {
    EXPECT_EQ(CheckTransferEncoding(bad, false, 11), ParseStatus::kBadTransferEncoding) << bad;
  }
  EXPECT_EQ(CheckTransferEncoding("chunked", true, 11), ParseStatus::kBadTransferEncoding);
  EXPECT_EQ(CheckTransferEncoding("chunked", false, 10), ParseStatus::kBadTransferEncoding);
}

TEST(RequestParser, ParsesAChunkedBodyWithExtensionsAndTrailers) {
  RequestParser<bhttp::string_body> parser;
  EXPECT_EQ(Parse(parser,
                  "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3;a=b\r\nabc\r\n002\r\nde\r\n0\r\nX-Sum: 1\r\n\r\n",
                  7),
            ParseStatus::kDone);
  EXPECT_EQ(parser.get().get().body(), "abcde");
}

TEST(RequestParser, BoundsChunkFramingPerRequest) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(Parse(head + "1;e=" + std::string(kMaxChunkFramingBytes, 'x') + "\r\na\r\n0\r\n\r\n"),
            ParseStatus::kChunkFramingTooLarge);
  EXPECT_EQ(Parse(head + std::string(kMaxChunkFramingBytes + 1, '0') + "1\r\na\r\n0\r\n\r\n"),
            ParseStatus::kChunkFramingTooLarge);
  EXPECT_EQ(Parse(head + "0\r\nX: " + std::string(70000, 'v') + "\r\n\r\n"),
            ParseStatus::kChunkFramingTooLarge);
  // A whole trailer section over the budget in one read, before Beast stores a field.
  EXPECT_EQ(Parse(head + "0\r\nX: " + std::string(20000, 'v') + "\r\n\r\n", kReadChunkBytes),
            ParseStatus::kChunkFramingTooLarge);
  EXPECT_EQ(Parse(head + "0\r\nX: " + std::string(65534, 'v') + "\r\n\r\n", 100000),
            ParseStatus::kChunkFramingTooLarge);
  // Just under the budget, arriving in small reads: accepted.
  EXPECT_EQ(Parse(head + "1;e=" + std::string(8000, 'x') +
                      "\r\na\r\n0\r\nX: " + std::string(8000, 'v') + "\r\n\r\n",
                  1000),
            ParseStatus::kDone);
}

TEST(RequestParser, TellsTheLongRequestLineFromTheLongHeader) {
  EXPECT_EQ(Parse("GET /x HTTP/1.1\r\nX: " + std::string(26000, 'h') + "\r\n\r\n"),
            ParseStatus::kHeaderTooLarge);
  EXPECT_EQ(Parse("GET /x HTTP/1.1\r\nX: " + std::string(17000, 'h') + "\r\n\r\n"),
            ParseStatus::kHeaderTooLarge);
  EXPECT_EQ(Parse("GET /" + std::string(30000, 'a') + " HTTP/1.1\r\n\r\n"),
            ParseStatus::kUriTooLong);
  EXPECT_EQ(Parse("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n"),
            ParseStatus::kUriTooLong);
}

TEST(RequestParser, RefusesTransferEncodingThatIsNotChunked) {
  EXPECT_EQ(Parse("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
            ParseStatus::kBadTransferEncoding);
}

}  // namespace
}  // namespace tenantd::http
