// Cookie parsing and the signed session cookie (src/session/session_cookie.h):
// any Cookie header. A found value lies inside the header; a forged sid never
// verifies; a minted one placed in the header as `sid=` always does.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "check.h"
#include "session/session_cookie.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tenantd::session::FindCookie;
  static const tenantd::session::SessionCookies cookies(tenantd::base::Secret("fuzz-signing"),
                                                        tenantd::base::Secret("fuzz-pepper"));
  static const auto minted = cookies.Mint();
  FuzzedDataProvider in(data, size);
  const std::string before = in.ConsumeRandomLengthString(256);
  const std::string name = in.ConsumeRandomLengthString(8);
  const std::string after = in.ConsumeRemainingBytesAsString();

  const std::string header = before + after;
  if (auto v = FindCookie(header, name)) {
    FUZZ_CHECK(v->data() >= header.data() &&
               v->data() + v->size() <= header.data() + header.size());
  }
  if (header.find(minted.cookie_value) == std::string::npos) {
    FUZZ_CHECK(!cookies.VerifiedIdHash(header));  // no forgery
  }
  // A well-formed header carrying the minted cookie first verifies.
  const std::string with_sid = "sid=" + minted.cookie_value + "; " + after;
  const auto id = cookies.VerifiedIdHash(with_sid);
  FUZZ_CHECK(id && *id == minted.id_hash);
  return 0;
}
