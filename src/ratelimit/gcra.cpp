#include "ratelimit/gcra.h"

#include <algorithm>

namespace tenantd::ratelimit {

GcraResult Gcra(const Policy& policy, int64_t tat, int64_t now, bool consume) {
  const int64_t interval = policy.Interval().count();
  const int64_t tolerance = policy.Tolerance().count();
  // A key unused for a while is as good as fresh: its budget does not grow
  // beyond `limit` by waiting.
  const int64_t base = std::max(tat, now);
  GcraResult out;
  out.tat = tat;
  Decision& d = out.decision;
  d.limit = policy.limit;
  if (base - now > tolerance) {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after = Nanos(base - now - tolerance);
    d.reset = Nanos(base - now);
    return out;
  }
  const int64_t after = consume ? base + interval : base;
  if (consume) out.tat = after;
  // Each further conforming request moves TAT one interval on; it conforms
  // while TAT - now stays within the tolerance.
  const int64_t slack = tolerance - (after - now);
  d.remaining = slack < 0 ? 0 : static_cast<uint64_t>(slack / interval) + 1;
  d.remaining = std::min(d.remaining, policy.limit);
  d.reset = Nanos(std::max<int64_t>(after - now, 0));
  return out;
}

const Decision& MostRestrictive(const Decision& a, const Decision& b) {
  if (a.allowed != b.allowed) return a.allowed ? b : a;
  if (!a.allowed) return a.retry_after >= b.retry_after ? a : b;
  if (a.remaining != b.remaining) return a.remaining < b.remaining ? a : b;
  return a.reset >= b.reset ? a : b;
}

}  // namespace tenantd::ratelimit
