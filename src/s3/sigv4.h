// AWS Signature Version 4 for S3 requests (docs.aws.amazon.com, "Signing
// AWS API requests"): canonical request, string to sign, signing key, the
// Authorization header, and presigned URLs (query-string authentication).
// Pure functions of their inputs (the time included), so AWS's published
// examples are unit tests.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/secret.h"
#include "base/time.h"

namespace tenantd::s3 {

// sha256("") in hex: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// The payload hash of a body that is not hashed (presigned URLs).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key_id;
  base::Secret secret_access_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

// Name/value pairs, not encoded (query parameters, headers).
using Params = std::vector<std::pair<std::string, std::string>>;

// SigV4's URI encoding: A-Z a-z 0-9 - . _ ~ as they are, every other byte
// %XX with upper-case hex (so a space is %20 and '+' is %2B); '/' is kept
// unless `encode_slash` (query names and values encode it, object keys in
// a path do not).
std::string UriEncode(std::string_view s, bool encode_slash = true);

// "20150830T123600Z"
std::string AmzDate(base::TimePoint t);

// Each name and value encoded, sorted by name then value, joined by '&'.
std::string CanonicalQuery(const Params& query);

// What is signed: the method, `path` (already URI-encoded, as sent), the
// canonical query, the headers (names lower-cased and sorted, values
// trimmed with inner runs of blanks collapsed), the signed header names
// and the payload hash. `signed_headers` receives "host;x-amz-date".
std::string CanonicalRequest(std::string_view method, std::string_view path, const Params& query,
                             const Params& headers, std::string_view payload_hash,
                             std::string* signed_headers);

// HMAC chain AWS4<secret> → date → region → service → aws4_request (raw).
std::string SigningKey(const base::Secret& secret, std::string_view date8, std::string_view region,
                       std::string_view service);

// The hex signature of `canonical_request` made at `amz_date`.
std::string Signature(const Credentials& creds, std::string_view amz_date,
                      std::string_view canonical_request);

// The Authorization header value for a request whose `headers` already
// hold everything signed (host and x-amz-date at least).
std::string Authorization(const Credentials& creds, std::string_view amz_date,
                          std::string_view method, std::string_view path, const Params& query,
                          const Params& headers, std::string_view payload_hash);

// Signs a request: adds x-amz-date, x-amz-content-sha256 and Authorization
// to `headers`, which must already hold Host.
void SignRequest(const Credentials& creds, base::TimePoint now, std::string_view method,
                 std::string_view path, const Params& query, std::string_view payload_hash,
                 Params& headers);

// The query string of a presigned URL valid for `expires_seconds` from
// `now` (1 s to 7 days): `query` plus the X-Amz-* parameters, the
// signature last. Only the headers in `headers` (Host at least) are signed;
// the payload is UNSIGNED-PAYLOAD.
std::string PresignQuery(const Credentials& creds, base::TimePoint now, int64_t expires_seconds,
                         std::string_view method, std::string_view path, const Params& query,
                         const Params& headers);

}  // namespace tenantd::s3
