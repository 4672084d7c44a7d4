#include "files/multipart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace tenantd::files {
namespace {

using namespace std::string_literals;

// ---- MultipartBoundary -----------------------------------------------------

TEST(MultipartBoundary, Plain) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(MultipartBoundary("multipart/form-data;boundary=abc"), "abc");
  EXPECT_EQ(MultipartBoundary("multipart/form-data; charset=utf-8; boundary=abc"), "abc");
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=abc; charset=utf-8"), "abc");
  EXPECT_EQ(
      MultipartBoundary("multipart/form-data; boundary=------------------------d74496d66958873e"),
      "------------------------d74496d66958873e");
}

TEST(MultipartBoundary, Quoted) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"abc\""), "abc");
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"a b:c?=d\""), "a b:c?=d");
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"x,y\"; charset=utf-8"), "x,y");
  // ';' is no bchar (RFC 2046), even quoted.
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"x;y\""), std::nullopt);
}

TEST(MultipartBoundary, CaseInsensitiveTypeAndParameterName) {
  EXPECT_EQ(MultipartBoundary("Multipart/Form-Data; boundary=abc"), "abc");
  EXPECT_EQ(MultipartBoundary("MULTIPART/FORM-DATA; BOUNDARY=AbC"), "AbC");  // value keeps its case
}

TEST(MultipartBoundary, MissingBoundary) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data;"), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; charset=utf-8"), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary="), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"\""), std::nullopt);
}

TEST(MultipartBoundary, LengthLimit) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'b')),
            std::string(70, 'b'));
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'b')),
            std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"" + std::string(71, 'b') + "\""),
            std::nullopt);
}

TEST(MultipartBoundary, InvalidCharacters) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"abc \""), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"a\\\"b\""), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"a\r\nb\""), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"caf\xc3\xa9\""), std::nullopt);
}

TEST(MultipartBoundary, OtherTypes) {
  EXPECT_EQ(MultipartBoundary("multipart/mixed; boundary=abc"), std::nullopt);
  EXPECT_EQ(MultipartBoundary("text/plain; boundary=abc"), std::nullopt);
  EXPECT_EQ(MultipartBoundary("application/x-www-form-urlencoded"), std::nullopt);
  EXPECT_EQ(MultipartBoundary(""), std::nullopt);
  EXPECT_EQ(MultipartBoundary("multipart/form-data-x; boundary=abc"), std::nullopt);
}

// ---- MultipartParser -------------------------------------------------------

// What a parser reported, in order.
struct Recorded {
  struct Part {
    MultipartPart header;
    std::string body;
    bool ended = false;
  };
  std::vector<Part> parts;
  std::string order;  // 'B' begin, 'D' data, 'E' end
};

MultipartParser::Events Record(Recorded& r) {
  MultipartParser::Events e;
  e.on_part_begin = [&r](const MultipartPart& p) -> base::Status {
    r.order += 'B';
    r.parts.push_back({p, "", false});
    return {};
  };
  e.on_part_data = [&r](std::string_view data) -> base::Status {
    r.order += 'D';
    if (r.parts.empty() || r.parts.back().ended) {
      return base::Internal("data outside a part");
    }
    r.parts.back().body.append(data);
    return {};
  };
  e.on_part_end = [&r]() -> base::Status {
    r.order += 'E';
    if (r.parts.empty() || r.parts.back().ended) return base::Internal("end outside a part");
    r.parts.back().ended = true;
    return {};
  };
  return e;
}

// curl -F builds boundaries like this one.
const std::string kBoundary = "------------------------d74496d66958873e";

// A file body made to trip a parser: CRLFs and dashes, the boundary text
// without its leading CRLF--, a delimiter missing only its last character,
// binary zeros and high bytes, and a trailing CR right before the delimiter.
std::string TrickyFileBody() {
  std::string b = "first line\r\nsecond line\r\n--not a boundary\r\n";
  b += std::string("\0\0\0\x01\xff\xfe\x80", 7);
  b += kBoundary;
  b += "\n--" + kBoundary + "\r--" + kBoundary;
  b += "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1) + "Z";
  b += "\r\n-\r\n--\r\n---";
  b += std::string(300, '\0');
  b += "--" + kBoundary + "--";
  b += "\r\n\r";
  return b;
}

// As `curl -F title='Hello, world' -F file=@photo.bin` sends it.
std::string CurlBody(const std::string& file_body) {
  std::string body;
  body += "--" + kBoundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"title\"\r\n\r\n";
  body += "Hello, world\r\n";
  body += "--" + kBoundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"file\"; filename=\"photo.bin\"\r\n";
  body += "Content-Type: application/octet-stream\r\n\r\n";
  body += file_body;
  body += "\r\n--" + kBoundary + "--\r\n";
  return body;
}

void ExpectCurlParts(const Recorded& r, const std::string& file_body) {
  EXPECT_EQ(r.order.front(), 'B');
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].header.name, "title");
  EXPECT_EQ(r.parts[0].header.filename, std::nullopt);
  EXPECT_EQ(r.parts[0].header.content_type, "");
  EXPECT_EQ(r.parts[0].body, "Hello, world");
  EXPECT_TRUE(r.parts[0].ended);
  EXPECT_EQ(r.parts[1].header.name, "file");
  EXPECT_EQ(r.parts[1].header.filename, "photo.bin");
  EXPECT_EQ(r.parts[1].header.content_type, "application/octet-stream");
  EXPECT_EQ(r.parts[1].body.size(), file_body.size());
  EXPECT_TRUE(r.parts[1].body == file_body);  // binary: no gtest diff of 400 bytes
  EXPECT_TRUE(r.parts[1].ended);
  EXPECT_EQ(std::count(r.order.begin(), r.order.end(), 'B'), 2);
  EXPECT_EQ(std::count(r.order.begin(), r.order.end(), 'E'), 2);
  EXPECT_EQ(r.order.back(), 'E');
}

// Feeds `body` in pieces of the given sizes (the rest in one final piece).
base::Status FeedChunks(MultipartParser& parser, std::string_view body,
                        const std::vector<std::size_t>& sizes) {
  std::size_t at = 0;
  for (std::size_t n : sizes) {
    if (at >= body.size()) break;
    n = std::min(n, body.size() - at);
    TENANTD_RETURN_IF_ERROR(parser.Feed(body.substr(at, n)));
    at += n;
  }
  if (at < body.size()) TENANTD_RETURN_IF_ERROR(parser.Feed(body.substr(at)));
  return {};
}

TEST(MultipartParser, CurlBodyInOnePiece) {
  const std::string file = TrickyFileBody();
  const std::string body = CurlBody(file);
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  const auto fed = parser.Feed(body);
  ASSERT_TRUE(fed) << fed.error().public_message;
  const auto done = parser.Finish();
  EXPECT_TRUE(done) << done.error().public_message;
  ExpectCurlParts(r, file);
}

TEST(MultipartParser, CurlBodyOneByteAtATime) {
  const std::string file = TrickyFileBody();
  const std::string body = CurlBody(file);
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto fed = parser.Feed(body.substr(i, 1));
    ASSERT_TRUE(fed) << "at byte " << i << ": " << fed.error().public_message;
    // Finished exactly once the closing "--" is complete (the CRLF after it
    // is epilogue).
    EXPECT_EQ(static_cast<bool>(parser.Finish()), i + 3 >= body.size()) << "at byte " << i;
  }
  EXPECT_TRUE(parser.Finish());
  ExpectCurlParts(r, file);
}

TEST(MultipartParser, CurlBodyInRandomChunks) {
  const std::string file = TrickyFileBody();
  const std::string body = CurlBody(file);
  for (unsigned seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> size(0, seed % 2 ? 7 : 90);
    std::vector<std::size_t> sizes;
    for (std::size_t total = 0; total < body.size(); total += sizes.back()) {
      sizes.push_back(size(rng));
    }
    Recorded r;
    MultipartParser parser(kBoundary, Record(r));
    const auto fed = FeedChunks(parser, body, sizes);
    ASSERT_TRUE(fed) << fed.error().public_message;
    EXPECT_TRUE(parser.Finish());
    ExpectCurlParts(r, file);
  }
}

TEST(MultipartParser, CurlBodySplitAtEveryPosition) {
  const std::string file = TrickyFileBody();
  const std::string body = CurlBody(file);
  for (std::size_t split = 0; split <= body.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    Recorded r;
    MultipartParser parser(kBoundary, Record(r));
    ASSERT_TRUE(parser.Feed(std::string_view(body).substr(0, split)));
    ASSERT_TRUE(parser.Feed(std::string_view(body).substr(split)));
    EXPECT_TRUE(parser.Finish());
    ExpectCurlParts(r, file);
  }
}

TEST(MultipartParser, EmptyFeedsAreHarmless) {
  const std::string body = CurlBody("abc");
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(""));
  ASSERT_TRUE(parser.Feed(std::string_view(body).substr(0, 50)));
  ASSERT_TRUE(parser.Feed(""));
  ASSERT_TRUE(parser.Feed(std::string_view(body).substr(50)));
  ASSERT_TRUE(parser.Feed(""));
  EXPECT_TRUE(parser.Finish());
  ExpectCurlParts(r, "abc");
}

TEST(MultipartParser, BodyBytesAreStreamedNotHeldToTheEnd) {
  // A large part body must reach on_part_data before its part ends.
  const std::string big(64 * 1024, 'x');
  std::string body = "--" + kBoundary + "\r\n" +
                     "Content-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n" + big;
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(body));
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_FALSE(r.parts[0].ended);
  // Only a possible delimiter prefix may be held back.
  EXPECT_GE(r.parts[0].body.size(), big.size() - (kBoundary.size() + 4));
  ASSERT_TRUE(parser.Feed("\r\n--" + kBoundary + "--"));
  EXPECT_TRUE(parser.Finish());
  EXPECT_TRUE(r.parts[0].ended);
  EXPECT_TRUE(r.parts[0].body == big);
}

TEST(MultipartParser, PreambleAndEpilogueAreIgnored) {
  std::string body = "This is the preamble.\r\nIt has --dashes-- too.\r\n";
  body += "--" + kBoundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"a\"\r\n\r\n";
  body += "A";
  body += "\r\n--" + kBoundary + "--\r\n";
  body += "epilogue\r\n--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nX";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(body));
  EXPECT_TRUE(parser.Finish());
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].header.name, "a");
  EXPECT_EQ(r.parts[0].body, "A");
  EXPECT_EQ(r.order, "BDE");
}

TEST(MultipartParser, TransportPaddingAfterBoundary) {
  std::string body = "--" + kBoundary + " \t \r\n";
  body += "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n--" + kBoundary + "--";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(body));
  EXPECT_TRUE(parser.Finish());
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].body, "A");
}

TEST(MultipartParser, EmptyPartBody) {
  std::string body = "--" + kBoundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\r\n";
  body += "\r\n--" + kBoundary + "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(body));
  EXPECT_TRUE(parser.Finish());
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].header.name, "empty");
  EXPECT_EQ(r.parts[0].header.filename, "");  // present, but empty
  EXPECT_EQ(r.parts[0].body, "");
  EXPECT_TRUE(r.parts[0].ended);
}

TEST(MultipartParser, HeaderParameters) {
  std::string body = "--" + kBoundary + "\r\n";
  body +=
      "content-disposition:   FORM-DATA;NAME=plain ;  Filename=\"a \\\"quoted\\\" \\\\ name; "
      "x=y.txt\"\r\n";
  body += "CONTENT-TYPE:  text/plain; charset=utf-8  \r\n";
  body += "X-Other: ignored\r\n\r\n";
  body += "data\r\n--" + kBoundary + "--";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  const auto fed = parser.Feed(body);
  ASSERT_TRUE(fed) << fed.error().public_message;
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].header.name, "plain");
  EXPECT_EQ(r.parts[0].header.filename, "a \"quoted\" \\ name; x=y.txt");
  EXPECT_EQ(r.parts[0].header.content_type, "text/plain; charset=utf-8");
}

TEST(MultipartParser, FilenameStarIsPreferredOverFilename) {
  for (const std::string disposition :
       {"form-data; name=\"f\"; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt",
        "form-data; name=\"f\"; filename*=UTF-8''caf%C3%A9.txt; filename=\"cafe.txt\""}) {
    SCOPED_TRACE(disposition);
    std::string body = "--" + kBoundary + "\r\nContent-Disposition: " + disposition + "\r\n\r\n";
    body += "x\r\n--" + kBoundary + "--";
    Recorded r;
    MultipartParser parser(kBoundary, Record(r));
    ASSERT_TRUE(parser.Feed(body));
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].header.filename, "UTF-8''caf%C3%A9.txt");  // raw, not decoded
  }
}

void ExpectBadRequest(const base::Status& s) {
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().problem_code, "bad_request");
}

TEST(MultipartParser, MissingClosingDelimiterFailsFinish) {
  const std::string full = CurlBody("file bytes");
  const std::string closing = "--\r\n";
  ASSERT_TRUE(full.ends_with(kBoundary + closing));
  const std::string cuts[] = {
      "",                                                  // nothing at all
      full.substr(0, full.find("Hello")),                  // inside the first part
      full.substr(0, full.size() - kBoundary.size() - 6),  // file body, no delimiter
      full.substr(0, full.size() - closing.size()),        // "--boundary" without "--"
      full.substr(0, full.size() - closing.size() + 1),    // "--boundary-"
  };
  for (const std::string& cut : cuts) {
    SCOPED_TRACE(cut.size());
    Recorded r;
    MultipartParser parser(kBoundary, Record(r));
    ASSERT_TRUE(parser.Feed(cut));
    ExpectBadRequest(parser.Finish());
  }
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(full.substr(0, full.size() - 2)));  // no CRLF after the "--"
  EXPECT_TRUE(parser.Finish());
}

TEST(MultipartParser, BodyWithoutAnyBoundaryFailsFinish) {
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed("just some text, not multipart at all\r\n--other\r\n"));
  ExpectBadRequest(parser.Finish());
  EXPECT_TRUE(r.parts.empty());
}

TEST(MultipartParser, PartWithoutContentDispositionFails) {
  std::string body =
      "--" + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + kBoundary + "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
  EXPECT_TRUE(r.parts.empty());
}

TEST(MultipartParser, PartWithNoHeadersAtAllFails) {
  std::string body = "--" + kBoundary + "\r\n\r\nx\r\n--" + kBoundary + "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
  EXPECT_TRUE(r.parts.empty());
}

TEST(MultipartParser, NonFormDataDispositionFails) {
  std::string body = "--" + kBoundary +
                     "\r\nContent-Disposition: attachment; filename=\"a\"\r\n\r\nx\r\n--" +
                     kBoundary + "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
}

TEST(MultipartParser, HeaderLineWithoutColonFails) {
  std::string body =
      "--" + kBoundary +
      "\r\nContent-Disposition: form-data; name=\"a\"\r\nnot a header\r\n\r\nx\r\n--" + kBoundary +
      "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
}

TEST(MultipartParser, JunkAfterBoundaryFails) {
  std::string body =
      "--" + kBoundary + "junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
}

TEST(MultipartParser, EndlessJunkAfterBoundaryFailsWithoutCrlf) {
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed("--" + kBoundary));
  ExpectBadRequest(parser.Feed(std::string(1000, ' ')));
}

std::string HeaderPrefix() { return "--" + kBoundary + "\r\n"; }

TEST(MultipartParser, OversizedPartHeadersFailInOnePiece) {
  std::string body = HeaderPrefix();
  body += "Content-Disposition: form-data; name=\"a\"\r\n";
  body += "X-Padding: " + std::string(17 * 1024, 'p') + "\r\n\r\n";
  body += "x\r\n--" + kBoundary + "--\r\n";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ExpectBadRequest(parser.Feed(body));
  EXPECT_TRUE(r.parts.empty());
}

TEST(MultipartParser, OversizedPartHeadersFailWhileStreaming) {
  // The end of the header block never comes: the parser must give up
  // instead of buffering without bound.
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(HeaderPrefix() + "Content-Disposition: form-data; name=\"a\"\r\n"));
  base::Status last;
  std::size_t fed = 0;
  const std::string chunk = "X-Padding: " + std::string(500, 'p') + "\r\n";
  while (last && fed < 64 * 1024) {
    last = parser.Feed(chunk);
    fed += chunk.size();
  }
  ExpectBadRequest(last);
  EXPECT_LE(fed, 17u * 1024);
  EXPECT_TRUE(r.parts.empty());
}

// A header block of exactly `size` bytes (without its terminating CRLFCRLF).
std::string HeaderBlockOf(std::size_t size) {
  std::string block = "Content-Disposition: form-data; name=\"a\"\r\nX-Padding: ";
  block += std::string(size - block.size(), 'p');
  return block;
}

TEST(MultipartParser, PartHeadersAtTheLimitAreAcceptedInOnePiece) {
  const std::string body =
      HeaderPrefix() + HeaderBlockOf(16 * 1024) + "\r\n\r\nx\r\n--" + kBoundary + "--";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  ASSERT_TRUE(parser.Feed(body));
  EXPECT_TRUE(parser.Finish());
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].body, "x");
}

// The same body must parse the same however it is chunked. A header block
// of 16382..16384 bytes is accepted in one piece but rejected when its
// terminating CRLFCRLF arrives in a later chunk: while waiting for it, the
// parser compares the *buffered* bytes (block plus up to 3 bytes of the
// terminator) against the 16 KiB limit.
TEST(MultipartParser, PartHeadersAtTheLimitAreAcceptedWhenChunked) {
  const std::string body =
      HeaderPrefix() + HeaderBlockOf(16 * 1024) + "\r\n\r\nx\r\n--" + kBoundary + "--";
  Recorded r;
  MultipartParser parser(kBoundary, Record(r));
  const std::size_t head = HeaderPrefix().size() + 16 * 1024;
  ASSERT_TRUE(parser.Feed(std::string_view(body).substr(0, head)));
  for (std::size_t i = head; i < body.size(); ++i) {
    const auto fed = parser.Feed(std::string_view(body).substr(i, 1));
    ASSERT_TRUE(fed) << "at byte " << i - head
                     << " after the header block: " << fed.error().public_message;
  }
  EXPECT_TRUE(parser.Finish());
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].body, "x");
}

TEST(MultipartParser, ErrorFromOnPartDataStopsFeed) {
  const std::string file(10000, 'f');
  const std::string body = CurlBody(file);
  Recorded r;
  MultipartParser::Events events = Record(r);
  std::size_t seen = 0;
  int calls_after_error = 0;
  auto record_data = events.on_part_data;
  events.on_part_data = [&, record_data](std::string_view data) -> base::Status {
    if (seen >= 100) ++calls_after_error;
    TENANTD_RETURN_IF_ERROR(record_data(data));
    if (r.parts.size() == 2) {
      seen += data.size();
      if (seen >= 100) {
        return base::MakeError(base::ErrorCode::kResourceExhausted, "file_too_large", "too big");
      }
    }
    return {};
  };
  MultipartParser parser(kBoundary, std::move(events));
  const auto fed = parser.Feed(body);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, base::ErrorCode::kResourceExhausted);
  EXPECT_EQ(fed.error().problem_code, "file_too_large");
  EXPECT_EQ(calls_after_error, 0);
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_FALSE(r.parts[1].ended);  // no on_part_end after the error
  EXPECT_EQ(r.order.back(), 'D');
}

TEST(MultipartParser, ErrorFromOnPartDataStopsFeedWhileStreaming) {
  const std::string body = CurlBody(std::string(10000, 'f'));
  int data_calls = 0;
  MultipartParser::Events events;
  events.on_part_begin = [](const MultipartPart&) -> base::Status { return {}; };
  events.on_part_data = [&](std::string_view) -> base::Status {
    ++data_calls;
    return base::MakeError(base::ErrorCode::kResourceExhausted, "file_too_large", "too big");
  };
  bool ended = false;
  events.on_part_end = [&]() -> base::Status {
    ended = true;
    return {};
  };
  MultipartParser parser(kBoundary, std::move(events));
  base::Status last;
  std::size_t at = 0;
  for (; at < body.size() && last; at += 64) last = parser.Feed(body.substr(at, 64));
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().problem_code, "file_too_large");
  EXPECT_EQ(data_calls, 1);
  EXPECT_FALSE(ended);
  EXPECT_FALSE(parser.Finish());
}

TEST(MultipartParser, ErrorFromOnPartBeginIsReturned) {
  const std::string body = CurlBody("abc");
  int begins = 0;
  int data_calls = 0;
  MultipartParser::Events events;
  events.on_part_begin = [&](const MultipartPart& p) -> base::Status {
    ++begins;
    if (p.filename) return base::InvalidArgument("unexpected_file", "no files here");
    return {};
  };
  events.on_part_data = [&](std::string_view data) -> base::Status {
    if (data.find("abc") != std::string_view::npos) ++data_calls;
    return {};
  };
  events.on_part_end = []() -> base::Status { return {}; };
  MultipartParser parser(kBoundary, std::move(events));
  const auto fed = parser.Feed(body);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().problem_code, "unexpected_file");
  EXPECT_EQ(begins, 2);
  EXPECT_EQ(data_calls, 0);  // the file part's body never reached on_part_data
}

TEST(MultipartParser, ErrorFromOnPartEndIsReturned) {
  const std::string body = CurlBody("abc");
  int ends = 0;
  MultipartParser::Events events;
  events.on_part_begin = [](const MultipartPart&) -> base::Status { return {}; };
  events.on_part_data = [](std::string_view) -> base::Status { return {}; };
  events.on_part_end = [&]() -> base::Status {
    ++ends;
    return base::Internal("disk full");
  };
  MultipartParser parser(kBoundary, std::move(events));
  const auto fed = parser.Feed(body);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, base::ErrorCode::kInternal);
  EXPECT_EQ(ends, 1);
}

TEST(MultipartParser, ShortBoundary) {
  // A one-character boundary: delimiters are short and easy to half-match.
  const std::string b = "x";
  std::string body = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n";
  body += "--x\r--x\n-x\r\n-";
  body += "\r\n--x--";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, body.size()}) {
    SCOPED_TRACE(chunk);
    Recorded r;
    MultipartParser parser(b, Record(r));
    for (std::size_t at = 0; at < body.size(); at += chunk) {
      ASSERT_TRUE(parser.Feed(std::string_view(body).substr(at, chunk)));
    }
    EXPECT_TRUE(parser.Finish());
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].body, "--x\r--x\n-x\r\n-");
  }
}

}  // namespace
}  // namespace tenantd::files
