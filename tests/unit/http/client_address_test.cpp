#include "http/client_address.h"

#include <gtest/gtest.h>

#include "http/message.h"

namespace tenantd::http {
namespace {

TrustedProxies Trust(std::string_view list) {
  auto parsed = TrustedProxies::Parse(list);
  EXPECT_TRUE(parsed) << list;
  return parsed ? *parsed : TrustedProxies{};
}

Headers With(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Headers h;
  for (const auto& [name, value] : fields) h.Add(name, value);
  return h;
}

constexpr ForwardedHeader kXff = ForwardedHeader::kXForwardedFor;
constexpr ForwardedHeader kRfc = ForwardedHeader::kForwarded;

TEST(TrustedProxies, ParsesAddressesAndCidrsOfBothFamilies) {
  const TrustedProxies p = Trust("10.0.0.0/8, 192.168.1.7 2001:db8::/32,::1");
  EXPECT_TRUE(p.Contains("10.255.0.1"));
  EXPECT_TRUE(p.Contains("192.168.1.7"));
  EXPECT_FALSE(p.Contains("192.168.1.8"));
  EXPECT_TRUE(p.Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(p.Contains("2001:db9::1"));
  EXPECT_TRUE(p.Contains("::1"));
  EXPECT_TRUE(p.Contains("::ffff:10.1.2.3")) << "IPv4-mapped is IPv4";
  EXPECT_FALSE(p.Contains("unknown"));
  EXPECT_TRUE(Trust("").empty());
  EXPECT_TRUE(Trust("0.0.0.0/0").Contains("8.8.8.8"));
  EXPECT_FALSE(Trust("0.0.0.0/0").Contains("::2"));
}

TEST(TrustedProxies, RefusesWhatIsNotAnAddressOrCidr) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host.example",
                          "10.0.0.1/8x", "1.2.3.4/-1"}) {
    EXPECT_FALSE(TrustedProxies::Parse(bad)) << bad;
  }
}

TEST(ClientAddress, IsThePeerWhenNothingIsTrusted) {
  const Headers h = With({{"X-Forwarded-For", "203.0.113.9"}, {"Forwarded", "for=203.0.113.9"}});
  EXPECT_EQ(ClientAddress("127.0.0.1", h, {}, kXff), "127.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.2", h, Trust("10.0.0.1"), kXff), "10.0.0.2");
  EXPECT_EQ(ClientAddress("::ffff:127.0.0.1", h, {}, kXff), "127.0.0.1");
}

TEST(ClientAddress, TakesTheRightMostUntrustedHop) {
  const TrustedProxies proxies = Trust("10.0.0.0/8");
  // The client wrote 1.1.1.1 itself; 203.0.113.7 reached the first proxy.
  EXPECT_EQ(ClientAddress("10.0.0.1", With({{"X-Forwarded-For", "1.1.1.1, 203.0.113.7, 10.0.0.5"}}),
                          proxies, kXff),
            "203.0.113.7");
  // Several header lines are one list, in order.
  EXPECT_EQ(
      ClientAddress("10.0.0.1",
                    With({{"X-Forwarded-For", "1.1.1.1"}, {"x-forwarded-for", "203.0.113.8"}}),
                    proxies, kXff),
      "203.0.113.8");
  // Every hop trusted: the left-most.
  EXPECT_EQ(
      ClientAddress("10.0.0.1", With({{"X-Forwarded-For", "10.9.9.9, 10.0.0.5"}}), proxies, kXff),
      "10.9.9.9");
  // No header: the proxy itself.
  EXPECT_EQ(ClientAddress("10.0.0.1", {}, proxies, kXff), "10.0.0.1");
}

TEST(ClientAddress, AHopThatIsNoAddressEndsTheWalkAtTheLastTrustedOne) {
  const TrustedProxies proxies = Trust("10.0.0.0/8");
  EXPECT_EQ(ClientAddress("10.0.0.1", With({{"X-Forwarded-For", "203.0.113.7, garbage, 10.0.0.5"}}),
                          proxies, kXff),
            "10.0.0.5");
  EXPECT_EQ(ClientAddress("10.0.0.1", With({{"X-Forwarded-For", "not-an-ip"}}), proxies, kXff),
            "10.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", With({{"Forwarded", "for=unknown"}}), proxies, kRfc),
            "10.0.0.1");
}

TEST(ClientAddress, ReadsOnlyTheConfiguredHeader) {
  const TrustedProxies proxies = Trust("10.0.0.0/8");
  const Headers both =
      With({{"X-Forwarded-For", "203.0.113.1"}, {"Forwarded", "for=198.51.100.1"}});
  EXPECT_EQ(ClientAddress("10.0.0.1", both, proxies, kXff), "203.0.113.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", both, proxies, kRfc), "198.51.100.1");
}

TEST(ClientAddress, ParsesRfc7239ForValues) {
  const TrustedProxies proxies = Trust("10.0.0.0/8");
  EXPECT_EQ(ClientAddress(
                "10.0.0.1",
                With({{"Forwarded", "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https"}}),
                proxies, kRfc),
            "2001:db8:cafe::17");
  EXPECT_EQ(ClientAddress("10.0.0.1",
                          With({{"Forwarded", "proto=https;For=\"192.0.2.43:47011\";by=10.0.0.1"}}),
                          proxies, kRfc),
            "192.0.2.43");
  // An element without for= names no hop.
  EXPECT_EQ(
      ClientAddress("10.0.0.1", With({{"Forwarded", "for=192.0.2.60, proto=http"}}), proxies, kRfc),
      "192.0.2.60");
}

}  // namespace
}  // namespace tenantd::http
