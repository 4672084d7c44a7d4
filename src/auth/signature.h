// Mode B (api.md §4 "Mode B signature"), the part that needs no secret: the
// X-Date, X-Content-Sha256, X-Nonce and X-App-Signature headers checked for
// shape and freshness, and the canonical string the client signed. Kept
// apart from the stage so it can be tested and fuzzed without a store.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/time.h"
#include "http/message.h"

namespace tenantd::auth {

inline constexpr std::size_t kMaxNonceChars = 64;

struct SignedRequest {
  std::string canonical;       // METHOD \n target \n X-Date \n X-Content-Sha256 [\n X-Nonce]
  std::string presented;       // the signature's 32 raw bytes
  std::string content_sha256;  // lowercase hex, as sent
};

// Why a signed request is refused before any secret is looked at: a §4
// problem code ("invalid_signature", "request_expired") and a detail that
// says what to fix.
struct SignatureProblem {
  std::string_view code;
  std::string detail;
};

// `signature` is the X-App-Signature value.
std::variant<SignedRequest, SignatureProblem> ReadSignedRequest(const http::Request& req,
                                                                std::string_view signature,
                                                                base::TimePoint now,
                                                                std::chrono::seconds skew);

}  // namespace tenantd::auth
