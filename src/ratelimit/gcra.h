// The Generic Cell Rate Algorithm (GCRA) behind every rate limit (api.md §7,
// docs/api.md "Rate limits" says why this algorithm).
//
// A policy of `limit` requests per `window` spaces requests `interval` =
// ceil(window / limit) apart and tolerates a burst of `limit`. The whole
// state of a key is one number, its theoretical arrival time (TAT): the
// moment the key will be back to a full budget. A request conforms when
// TAT - now <= (limit - 1) * interval, and then moves TAT one interval on.
// So a fresh key admits exactly `limit` requests at once, the next one
// interval later, and the full `limit` again one window after the last
// admission. The functions here are pure, so the in-process limiter and a
// shared store (one atomic script) compute the same answers.
#pragma once

#include <chrono>
#include <cstdint>

namespace tenantd::ratelimit {

using Nanos = std::chrono::nanoseconds;

struct Policy {
  uint64_t limit = 1;  // >= 1 requests a window
  Nanos window{std::chrono::seconds(60)};

  // Spacing of requests at the sustained rate, rounded up so the sustained
  // rate never exceeds limit / window.
  Nanos Interval() const { return Nanos((window.count() + limit - 1) / limit); }
  // How far ahead of now TAT may be for a request to conform.
  Nanos Tolerance() const { return Interval() * static_cast<int64_t>(limit - 1); }
};

// What one check decided, in the terms of the RateLimit-* headers.
struct Decision {
  bool allowed = true;
  uint64_t limit = 0;
  uint64_t remaining = 0;  // further requests that would conform right now
  Nanos reset{0};          // until the full limit is available again
  Nanos retry_after{0};    // when refused: until the next request conforms
};

// The state of one key: TAT as nanoseconds on the limiter's clock; 0 = fresh.
struct GcraResult {
  Decision decision;
  int64_t tat = 0;  // the key's new TAT (unchanged when refused or peeked)
};

// Checks one request at `now` (nanoseconds on the same clock as `tat`) and,
// when it conforms and `consume` is set, counts it. Never fails.
GcraResult Gcra(const Policy& policy, int64_t tat, int64_t now, bool consume);

// The decision to report when several policies were checked together: the
// refusal with the longest wait if any refused, else the one with the
// fewest remaining requests.
const Decision& MostRestrictive(const Decision& a, const Decision& b);

}  // namespace tenantd::ratelimit
