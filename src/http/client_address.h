// Who the client is behind reverse proxies (docs/operations.md "Running
// behind a proxy"). A request's peer is its client unless the peer is a
// trusted proxy (TENANTD_TRUSTED_PROXIES); only then does the forwarding
// header name the client, read right to left: each proxy appends the
// address it received the request from, so the right-most hop that is not
// a trusted proxy is the first address no client could have forged.
// Failed-authentication throttling, the access log's ip= and sessions'
// client IP all use the result.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tenantd::http {

class Headers;

// The one header a deployment's proxies write; the other is ignored, so a
// client cannot slip in hops through a header the proxy leaves alone.
enum class ForwardedHeader {
  kXForwardedFor,  // X-Forwarded-For: 203.0.113.7, 10.0.0.2
  kForwarded,      // RFC 7239: Forwarded: for=203.0.113.7;proto=https, for="[2001:db8::1]:443"
};

// A list of networks whose peers are trusted to name their client.
class TrustedProxies {
 public:
  // "10.0.0.0/8, 192.168.1.10 ::1": CIDRs or single addresses separated by
  // commas and/or blanks; "" = none. kInvalidArgument naming the bad entry.
  static base::Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return networks_.empty(); }
  // False for anything that is not an IP address.
  bool Contains(std::string_view address) const;

 private:
  struct Network {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix_bits = 0;
  };
  std::vector<Network> networks_;
};

// The client address of a request received from `peer` (IPv4-mapped IPv6
// addresses are given as IPv4). `peer` itself when it is not a trusted
// proxy or the header names no hop; else the right-most hop of `header` that
// is not a trusted proxy, the left-most when all are. A hop that is not an
// IP address (`unknown`, an obfuscated name, garbage) ends the walk: the
// last trusted address seen is then the answer.
std::string ClientAddress(std::string_view peer, const Headers& headers,
                          const TrustedProxies& proxies, ForwardedHeader header);

}  // namespace tenantd::http
