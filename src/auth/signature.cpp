#include "auth/signature.h"

#include "crypto/crypto.h"

namespace tenantd::auth {
namespace {

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

SignatureProblem Invalid(std::string detail) {
  return SignatureProblem{"invalid_signature", std::move(detail)};
}

}  // namespace

std::variant<SignedRequest, SignatureProblem> ReadSignedRequest(const http::Request& req,
                                                                std::string_view signature,
                                                                base::TimePoint now,
                                                                std::chrono::seconds skew) {
  const auto date = req.headers.Get("X-Date");
  const auto content_sha = req.headers.Get("X-Content-Sha256");
  const auto nonce = req.headers.Get("X-Nonce");
  if (!date || !content_sha) {
    return Invalid("A signed request needs X-Date and X-Content-Sha256 headers.");
  }
  const std::optional<base::TimePoint> sent = base::ParseImfFixdate(*date);
  if (!sent) return Invalid("X-Date must be an IMF-fixdate such as Sun, 22 Nov 2026 21:04:05 GMT.");
  const auto off = now > *sent ? now - *sent : *sent - now;
  if (off > skew) {
    return SignatureProblem{"request_expired",
                            "X-Date is more than " + std::to_string(skew.count()) +
                                " seconds from the server clock; sign each request afresh "
                                "and check the client's clock."};
  }
  if (content_sha->size() != 64 || !IsLowerHex(*content_sha)) {
    return Invalid("X-Content-Sha256 must be the lowercase hex SHA-256 of the body.");
  }
  if (nonce && (nonce->empty() || nonce->size() > kMaxNonceChars || !IsPrintableAscii(*nonce))) {
    return Invalid("X-Nonce must be 1-64 printable ASCII characters.");
  }
  std::optional<std::string> presented = crypto::HexDecode(signature);
  if (!presented || presented->size() != 32) {
    return Invalid("X-App-Signature must be the hex HMAC-SHA256 of the canonical request.");
  }
  SignedRequest out;
  out.canonical.reserve(req.method.size() + req.target.size() + date->size() + 80);
  out.canonical += req.method;
  out.canonical += '\n';
  out.canonical += req.target;
  out.canonical += '\n';
  out.canonical += *date;
  out.canonical += '\n';
  out.canonical += *content_sha;
  if (nonce) {
    out.canonical += '\n';
    out.canonical += *nonce;
  }
  out.presented = std::move(*presented);
  out.content_sha256 = std::string(*content_sha);
  return out;
}

}  // namespace tenantd::auth
