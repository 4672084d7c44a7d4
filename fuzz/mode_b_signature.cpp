// Mode B canonicalisation and verification (src/auth/signature.h): any
// headers, target and signature; when the request reads as signed, the
// canonical string must be the documented one, and a request re-signed with
// the MAC of that string must verify while the presented one must not,
// unless it is that MAC.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "auth/signature.h"
#include "check.h"
#include "crypto/crypto.h"

namespace {

const tenantd::base::TimePoint kNow{std::chrono::seconds(1795000000)};
constexpr std::chrono::seconds kSkew{300};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tenantd;
  FuzzedDataProvider in(data, size);
  http::Request req;
  req.method = in.ConsumeRandomLengthString(16);
  req.target = in.ConsumeRandomLengthString(256);
  // A date within the skew most of the time, so the fuzzer gets past it.
  if (in.ConsumeBool()) {
    req.headers.Add(
        "X-Date",
        base::FormatImfFixdate(kNow + std::chrono::seconds(in.ConsumeIntegralInRange(-400, 400))));
  } else if (in.ConsumeBool()) {
    req.headers.Add("X-Date", in.ConsumeRandomLengthString(64));
  }
  req.body = in.ConsumeRandomLengthString(256);
  if (in.ConsumeBool()) {
    req.headers.Add("X-Content-Sha256", crypto::Sha256Hex(req.body));
  } else if (in.ConsumeBool()) {
    req.headers.Add("X-Content-Sha256", in.ConsumeRandomLengthString(80));
  }
  if (in.ConsumeBool()) req.headers.Add("X-Nonce", in.ConsumeRandomLengthString(80));
  const std::string signature = in.ConsumeRandomLengthString(80);

  auto read = auth::ReadSignedRequest(req, signature, kNow, kSkew);
  const auto* sig = std::get_if<auth::SignedRequest>(&read);
  if (sig == nullptr) {
    const auto& problem = std::get<auth::SignatureProblem>(read);
    FUZZ_CHECK(problem.code == "invalid_signature" || problem.code == "request_expired");
    return 0;
  }
  FUZZ_CHECK(sig->presented.size() == 32 && sig->content_sha256.size() == 64);
  const std::string expected_prefix = req.method + "\n" + req.target + "\n" +
                                      std::string(*req.headers.Get("X-Date")) + "\n" +
                                      sig->content_sha256;
  FUZZ_CHECK(sig->canonical.rfind(expected_prefix, 0) == 0);

  static const crypto::HmacSha256Key key("fuzz-signing-secret");
  const std::string mac = key.Mac(sig->canonical);
  FUZZ_CHECK(crypto::ConstantTimeEqual(mac, sig->presented) == (mac == sig->presented));
  auto resigned = auth::ReadSignedRequest(req, crypto::HexEncode(mac), kNow, kSkew);
  const auto* again = std::get_if<auth::SignedRequest>(&resigned);
  FUZZ_CHECK(again != nullptr && again->canonical == sig->canonical &&
             crypto::ConstantTimeEqual(key.Mac(again->canonical), again->presented));
  return 0;
}
