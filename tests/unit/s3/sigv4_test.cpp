// SigV4 against the examples AWS publishes: the aws-sig-v4-test-suite
// (service "service", 2015-08-30) and the worked S3 examples of "Signature
// Calculations for the Authorization Header" and "Authenticating Requests:
// Using Query Parameters" (2013-05-24).
#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace tenantd::s3 {
namespace {

const base::TimePoint kSuiteTime = *base::ParseRfc3339("2015-08-30T12:36:00Z");
const base::TimePoint kS3Time = *base::ParseRfc3339("2013-05-24T00:00:00Z");

Credentials SuiteCredentials() {
  return {"AKIDEXAMPLE", base::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "us-east-1",
          "service"};
}

Credentials S3Credentials() {
  return {"AKIAIOSFODNN7EXAMPLE", base::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
          "us-east-1", "s3"};
}

std::string SuiteSignature(std::string_view method, std::string_view path, const Params& query) {
  const Params headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  const std::string auth = Authorization(SuiteCredentials(), "20150830T123600Z", method, path,
                                         query, headers, kEmptyPayloadHash);
  return auth.substr(auth.rfind('=') + 1);
}

TEST(SigV4, UriEncodeFollowsTheSigV4Rules) {
  EXPECT_EQ(UriEncode("AZaz09-._~"), "AZaz09-._~");  // unreserved, '~' included
  EXPECT_EQ(UriEncode("a b"), "a%20b");              // space is %20, never '+'
  EXPECT_EQ(UriEncode("a+b"), "a%2Bb");              // '+' is encoded
  EXPECT_EQ(UriEncode("a/b"), "a%2Fb");
  EXPECT_EQ(UriEncode("a/b", false), "a/b");  // object keys keep their slashes
  EXPECT_EQ(UriEncode("$=&*"), "%24%3D%26%2A");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");  // UTF-8 bytes, upper-case hex
}

TEST(SigV4, AmzDate) { EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z"); }

TEST(SigV4, SigningKeyOfTheSuite) {
  EXPECT_EQ(crypto::HexEncode(SigningKey(SuiteCredentials().secret_access_key, "20150830",
                                         "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
}

TEST(SigV4, GetVanilla) {
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(
      "GET", "/", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
      kEmptyPayloadHash, &signed_headers);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptyPayloadHash));
  EXPECT_EQ(signed_headers, "host;x-amz-date");
  EXPECT_EQ(Authorization(SuiteCredentials(), "20150830T123600Z", "GET", "/", {},
                          {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                          kEmptyPayloadHash),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, SuiteQueryOrderUtf8AndPost) {
  // get-vanilla-query-order-key-case: parameters are sorted.
  EXPECT_EQ(SuiteSignature("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  // get-utf8: the path as sent, already encoded.
  EXPECT_EQ(SuiteSignature("GET", "/%E1%88%B4", {}),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  // post-vanilla
  EXPECT_EQ(SuiteSignature("POST", "/", {}),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, S3GetObjectWithRange) {
  const Params headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"Range", "bytes=0-9"},
                          {"x-amz-content-sha256", std::string(kEmptyPayloadHash)},
                          {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(Authorization(S3Credentials(), "20130524T000000Z", "GET", "/test.txt", {}, headers,
                          kEmptyPayloadHash),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObjectSignsThePayloadHash) {
  const std::string payload_hash = crypto::Sha256Hex("Welcome to Amazon S3.");
  ASSERT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const Params headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                          {"Host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-content-sha256", payload_hash},
                          {"x-amz-date", "20130524T000000Z"},
                          {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  // The key "test$file.text" with '$' encoded.
  const std::string path = "/" + UriEncode("test$file.text", false);
  EXPECT_EQ(path, "/test%24file.text");
  const std::string auth =
      Authorization(S3Credentials(), "20130524T000000Z", "PUT", path, {}, headers, payload_hash);
  EXPECT_TRUE(
      auth.ends_with("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
      << auth;
}

TEST(SigV4, S3QueryParametersAreSignedAndEmptyValuesKept) {
  const Params headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-content-sha256", std::string(kEmptyPayloadHash)},
                          {"x-amz-date", "20130524T000000Z"}};
  // "GET Bucket Lifecycle": a parameter without a value signs as "lifecycle=".
  std::string auth = Authorization(S3Credentials(), "20130524T000000Z", "GET", "/",
                                   {{"lifecycle", ""}}, headers, kEmptyPayloadHash);
  EXPECT_TRUE(
      auth.ends_with("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
      << auth;
  // "GET Bucket (List Objects)": two parameters, given out of order.
  auth = Authorization(S3Credentials(), "20130524T000000Z", "GET", "/",
                       {{"prefix", "J"}, {"max-keys", "2"}}, headers, kEmptyPayloadHash);
  EXPECT_TRUE(
      auth.ends_with("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
      << auth;
}

TEST(SigV4, SignRequestAddsDateHashAndAuthorization) {
  Params headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  SignRequest(S3Credentials(), kS3Time, "GET", "/test.txt", {}, kEmptyPayloadHash, headers);
  ASSERT_EQ(headers.size(), 5u);
  EXPECT_EQ(headers[2], (std::pair<std::string, std::string>("x-amz-date", "20130524T000000Z")));
  EXPECT_EQ(headers[3].first, "x-amz-content-sha256");
  EXPECT_EQ(headers[4].first, "Authorization");
  EXPECT_TRUE(headers[4].second.ends_with(
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

TEST(SigV4, PresignedGetMatchesTheAwsExample) {
  EXPECT_EQ(PresignQuery(S3Credentials(), kS3Time, 86400, "GET", "/test.txt", {},
                         {{"host", "examplebucket.s3.amazonaws.com"}}),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%"
            "2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-"
            "Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, HeaderValuesAreTrimmedAndRepeatedNamesJoined) {
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(
      "GET", "/", {}, {{"My-Header1", "  a   b   c  "}, {"host", "h"}, {"My-Header1", "d"}},
      kEmptyPayloadHash, &signed_headers);
  EXPECT_NE(canonical.find("\nhost:h\nmy-header1:a b c,d\n\n"), std::string::npos) << canonical;
  EXPECT_EQ(signed_headers, "host;my-header1");
}

}  // namespace
}  // namespace tenantd::s3
