#include "http/client_address.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/message.h"

namespace tenantd::http {
namespace {

// An IP address in binary form.
struct Address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
};

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address a;
  if (::inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
  if (::inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);  // ::ffff:1.2.3.4 is 1.2.3.4
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
  }
  a.v6 = true;
  return a;
}

std::string Format(const Address& a) {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The address of one hop as a proxy writes it: X-Forwarded-For's bare
// address, or Forwarded's for= value ("[v6]:port", "v4:port", quoted or not).
std::optional<Address> ParseHop(std::string_view hop) {
  hop = Trim(hop);
  if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"')
    hop = hop.substr(1, hop.size() - 2);
  if (hop.starts_with('[')) {
    const std::size_t close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::optional<Address> a = ParseAddress(hop.substr(1, close - 1));
    return a && a->v6 ? a : std::nullopt;
  }
  // "1.2.3.4:port" (an IPv6 address outside brackets has several colons).
  if (const std::size_t colon = hop.find(':');
      colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    hop = hop.substr(0, colon);
  }
  return ParseAddress(hop);
}

// The hops of the header, left to right, as written (unparsed).
std::vector<std::string_view> Hops(const Headers& headers, ForwardedHeader header) {
  const std::string_view name =
      header == ForwardedHeader::kForwarded ? "Forwarded" : "X-Forwarded-For";
  std::vector<std::string_view> hops;
  for (const Header& h : headers.items()) {
    if (h.name.size() != name.size() || strncasecmp(h.name.data(), name.data(), name.size()) != 0) {
      continue;
    }
    std::string_view value = h.value;
    while (true) {
      const std::size_t comma = value.find(',');
      std::string_view element = value.substr(0, comma);
      if (header == ForwardedHeader::kForwarded) {
        // for=...;proto=...: the for= pair; an element without one is no hop.
        std::string_view found;
        bool has_for = false;
        while (!element.empty()) {
          const std::size_t semi = element.find(';');
          const std::string_view pair = Trim(element.substr(0, semi));
          if (pair.size() > 4 && strncasecmp(pair.data(), "for=", 4) == 0) {
            found = pair.substr(4);
            has_for = true;
          }
          if (semi == std::string_view::npos) break;
          element.remove_prefix(semi + 1);
        }
        if (has_for) hops.push_back(found);
      } else {
        hops.push_back(element);
      }
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return hops;
}

bool InNetwork(const Address& a, bool v6, const std::array<uint8_t, 16>& net, int bits) {
  if (a.v6 != v6) return false;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

}  // namespace

base::Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const std::size_t end = list.find_first_of(", \t");
    const std::string_view entry = list.substr(0, end);
    list.remove_prefix(end == std::string_view::npos ? list.size() : end + 1);
    if (entry.empty()) continue;
    const auto bad = [&entry] {
      // Appended piece by piece: GCC 12 at -O3 flags `"\"" + std::string(...)`
      // with a false -Wrestrict (GCC bug 105329), which -Werror turns into a
      // failed Release build.
      std::string message = "\"";
      message.append(entry.substr(0, 60));
      message.append("\" is not an IP address or CIDR such as 10.0.0.0/8 or ::1/128");
      return base::InvalidArgument("invalid_config", message);
    };
    const std::size_t slash = entry.find('/');
    const std::optional<Address> a = ParseAddress(entry.substr(0, slash));
    if (!a) return bad();
    Network n{a->v6, a->bytes, a->v6 ? 128 : 32};
    if (slash != std::string_view::npos) {
      const std::string_view bits = entry.substr(slash + 1);
      int value = -1;
      const auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
      if (bits.empty() || ec != std::errc() || ptr != bits.data() + bits.size() || value < 0 ||
          value > n.prefix_bits) {
        return bad();
      }
      n.prefix_bits = value;
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
  const std::optional<Address> a = ParseAddress(address);
  if (!a) return false;
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Network& n) { return InNetwork(*a, n.v6, n.bytes, n.prefix_bits); });
}

std::string ClientAddress(std::string_view peer, const Headers& headers,
                          const TrustedProxies& proxies, ForwardedHeader header) {
  const std::optional<Address> from = ParseAddress(peer);
  if (!from) return std::string(peer);
  std::string client = Format(*from);
  if (proxies.empty() || !proxies.Contains(client)) return client;
  const std::vector<std::string_view> hops = Hops(headers, header);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const std::optional<Address> hop = ParseHop(*it);
    if (!hop) break;
    client = Format(*hop);
    if (!proxies.Contains(client)) break;
  }
  return client;
}

}  // namespace tenantd::http
