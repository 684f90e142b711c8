// Wire codec tests for well-formed UPDATE messages: round trips of every attribute, IPv4
// and IPv6 (16- and 32-byte next hops), Extended Length, unknown transitive attributes,
// 2-octet AS peers (RFC 6793 AS_TRANS/AS4_PATH both ways), End-of-RIB, hand-built golden
// vectors and the encoded_update_size() contract.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/wire/codec.h"
#include "tests/unit/bgp/wire_test_util.h"

namespace calico::bgp {
namespace {

using testing::Bytes;
using testing::hex;
using testing::two_octet;
using testing::update_msg;

Prefix pfx(const char* s) {
  auto p = Prefix::parse(s, true);
  EXPECT_TRUE(p.has_value()) << s;
  return p.value_or(Prefix{});
}

net::IpAddr ip(const char* s) {
  auto a = net::IpAddr::parse(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(net::IpAddr{});
}

Decoded decode_ok(const Bytes& b, const CodecOptions& opts = {}) {
  auto d = decode_message(b, opts);
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().to_string());
  if (!d) {
    return Decoded{Keepalive{}, std::nullopt, {}};
  }
  return std::move(*d);
}

Bytes encode_ok(const Message& m, const CodecOptions& opts = {}) {
  auto b = encode_message(m, opts);
  EXPECT_TRUE(b.has_value()) << (b ? "" : b.error());
  return b.value_or(Bytes{});
}

Update round_trip(const Update& u, const CodecOptions& opts = {}) {
  const Decoded d = decode_ok(encode_ok(u, opts), opts);
  EXPECT_FALSE(d.action.has_value());
  EXPECT_TRUE(d.soft_errors.empty());
  if (!std::holds_alternative<Update>(d.message)) {
    ADD_FAILURE() << "not an UPDATE";
    return {};
  }
  return std::get<Update>(d.message);
}

PathAttributes basic_attrs() {
  PathAttributes a;
  a.origin = Origin::Igp;
  a.as_path.segments = {{AsSegmentType::Sequence, {65001, 65002}}};
  a.next_hop = ip("192.0.2.1");
  return a;
}

PathAttributes every_attr() {
  PathAttributes a = basic_attrs();
  a.origin = Origin::Incomplete;
  a.as_path.segments = {{AsSegmentType::Sequence, {65001, 4200000001u}},
                        {AsSegmentType::Set, {65010, 65011, 65012}}};
  a.med = 50;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = Aggregator{4200000002u, ip("198.51.100.7")};
  a.communities = {0xFDE90001, kNoExport, kNoAdvertise};
  a.large_communities = {{4200000001u, 1, 2}, {65001, 0, 0}};
  a.originator_id = 0x0A000009;
  a.cluster_list = {0x0A000001, 0x0A000002};
  a.unknown = {{0xE0, 30, {1, 2, 3}}, {0xE0, 240, {}}};
  return a;
}

// ---- golden vectors ------------------------------------------------------------------

// RFC 4271 §4.3 by hand: ORIGIN IGP, AS_PATH AS_SEQUENCE(65001 65002) in 4-octet form,
// NEXT_HOP 192.0.2.1, MED 100, COMMUNITIES 65001:1; NLRI 10.1.2.0/24 and 192.168.0.0/16.
constexpr const char* kGoldenUpdate =
    "ffffffffffffffffffffffffffffffff 0044 02"
    "0000 0026"
    "40 01 01 00"
    "40 02 0a 02 02 0000fde9 0000fdea"
    "40 03 04 c0000201"
    "80 04 04 00000064"
    "c0 08 04 fde90001"
    "18 0a0102"
    "10 c0a8";

Update golden_update() {
  Update u;
  u.attrs = basic_attrs();
  u.attrs->med = 100;
  u.attrs->communities = {0xFDE90001};
  u.nlri = {pfx("10.1.2.0/24"), pfx("192.168.0.0/16")};
  return u;
}

TEST(WireUpdate, GoldenIpv4Encodes) {
  EXPECT_EQ(encode_ok(golden_update()), hex(kGoldenUpdate));
}

TEST(WireUpdate, GoldenIpv4Decodes) {
  const Decoded d = decode_ok(hex(kGoldenUpdate));
  EXPECT_FALSE(d.action.has_value());
  EXPECT_EQ(std::get<Update>(d.message), golden_update());
}

// RFC 4760 §3 by hand: MP_REACH_NLRI first with Extended Length (flags 0x90), IPv6 unicast,
// 16-byte next hop 2001:db8::1, reserved, NLRI 2001:db8:1::/48; then ORIGIN and an empty
// AS_PATH (an iBGP-originated route).
constexpr const char* kGoldenIpv6Update =
    "ffffffffffffffffffffffffffffffff 003e 02"
    "0000 0027"
    "90 0e 001c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001"
    "40 01 01 00"
    "40 02 00";

TEST(WireUpdate, GoldenIpv6Vector) {
  Update u;
  u.attrs = PathAttributes{};
  u.attrs->next_hop = ip("2001:db8::1");
  u.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8:1::/48")}};
  EXPECT_EQ(encode_ok(u), hex(kGoldenIpv6Update));
  EXPECT_EQ(std::get<Update>(decode_ok(hex(kGoldenIpv6Update)).message), u);
}

TEST(WireUpdate, GoldenTwoOctetPeerVector) {
  // Toward a 2-octet peer (RFC 6793 §4.2.2): AS_PATH (65001 AS_TRANS), AS4_PATH with the
  // real path, AGGREGATOR with AS_TRANS and AS4_AGGREGATOR with the real AS.
  Update u;
  u.attrs = basic_attrs();
  u.attrs->as_path.segments = {{AsSegmentType::Sequence, {65001, 4200000001u}}};
  u.attrs->aggregator = Aggregator{4200000002u, ip("198.51.100.7")};
  u.nlri = {pfx("10.0.0.0/8")};
  const Bytes want = update_msg({},
                                hex("40 01 01 00"
                                    "40 02 06 02 02 fde9 5ba0"
                                    "40 03 04 c0000201"
                                    "c0 07 06 5ba0 c6336407"
                                    "c0 11 0a 02 02 0000fde9 fa56ea01"
                                    "c0 12 08 fa56ea02 c6336407"),
                                hex("08 0a"));
  EXPECT_EQ(encode_ok(u, two_octet()), want);
  EXPECT_EQ(round_trip(u, two_octet()), u);
}

// ---- round trips ---------------------------------------------------------------------

TEST(WireUpdate, RoundTripEveryAttributeIpv4) {
  Update u;
  u.attrs = every_attr();
  u.nlri = {pfx("10.0.0.0/8"), pfx("10.1.0.0/16"), pfx("0.0.0.0/0"), pfx("192.0.2.255/32")};
  u.withdrawn = {pfx("172.16.0.0/12")};
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, RoundTripEveryAttributeTwoOctetPeer) {
  Update u;
  u.attrs = every_attr();
  u.nlri = {pfx("10.0.0.0/8")};
  EXPECT_EQ(round_trip(u, two_octet()), u);
}

TEST(WireUpdate, RoundTripEachAttributeAlone) {
  std::vector<PathAttributes> variants;
  for (int i = 0; i < 11; ++i) {
    PathAttributes a = basic_attrs();
    switch (i) {
      case 0:
        a.origin = Origin::Egp;
        break;
      case 1:
        a.as_path = {};
        break;
      case 2:
        a.med = 0;
        break;
      case 3:
        a.local_pref = 0xFFFFFFFF;
        break;
      case 4:
        a.atomic_aggregate = true;
        break;
      case 5:
        a.aggregator = Aggregator{65001, ip("192.0.2.9")};
        break;
      case 6:
        a.communities = {kNoExportSubconfed};
        break;
      case 7:
        a.large_communities = {{1, 2, 3}};
        break;
      case 8:
        a.originator_id = 1;
        break;
      case 9:
        a.cluster_list = {7};
        break;
      case 10:
        a.as_path.segments = {{AsSegmentType::ConfedSequence, {65100}},
                              {AsSegmentType::ConfedSet, {65101, 65102}},
                              {AsSegmentType::Sequence, {65001}},
                              {AsSegmentType::Set, {1, 2}}};
        break;
    }
    variants.push_back(a);
  }
  for (const auto& a : variants) {
    Update u;
    u.attrs = a;
    u.nlri = {pfx("203.0.113.0/24")};
    EXPECT_EQ(round_trip(u), u);
    EXPECT_EQ(round_trip(u, two_octet()), u);
  }
}

TEST(WireUpdate, RoundTripIpv6SixteenByteNextHop) {
  Update u;
  u.attrs = every_attr();
  u.attrs->next_hop = ip("2001:db8::1");
  u.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8:1::/48"), pfx("::/0"), pfx("fd00::1/128")}};
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, RoundTripIpv6ThirtyTwoByteNextHop) {
  Update u;
  u.attrs = basic_attrs();
  u.attrs->next_hop = ip("2001:db8::1");
  u.attrs->link_local_next_hop = ip("fe80::1");
  u.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8:2::/64")}};
  const Bytes b = encode_ok(u);
  // MP_REACH_NLRI is the first attribute: flags, type, 2-byte length, AFI, SAFI, NH length.
  EXPECT_EQ(b[23], 0x90);
  EXPECT_EQ(b[24], 14);
  EXPECT_EQ(b[30], 32);
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, RoundTripIpv4InMpReach) {
  Update u;
  u.attrs = basic_attrs();
  u.mp_reach = MpReach{kIpv4Unicast, {pfx("10.9.0.0/16")}};
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, RoundTripWithdrawals) {
  Update u;
  u.withdrawn = {pfx("10.0.0.0/8"), pfx("10.2.3.4/32")};
  u.mp_unreach = MpUnreach{kIpv6Unicast, {pfx("2001:db8::/32")}};
  EXPECT_EQ(round_trip(u), u);
  EXPECT_FALSE(u.end_of_rib().has_value());
}

TEST(WireUpdate, EndOfRib) {
  const Update v4 = Update::make_end_of_rib(kIpv4Unicast);
  EXPECT_EQ(v4.end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(encode_ok(v4), hex("ffffffffffffffffffffffffffffffff 0017 02 0000 0000"));
  EXPECT_EQ(round_trip(v4).end_of_rib(), kIpv4Unicast);

  const Update v6 = Update::make_end_of_rib(kIpv6Unicast);
  EXPECT_EQ(v6.end_of_rib(), kIpv6Unicast);
  EXPECT_EQ(encode_ok(v6),
            hex("ffffffffffffffffffffffffffffffff 001e 02 0000 0007 90 0f 0003 0002 01"));
  EXPECT_EQ(round_trip(v6).end_of_rib(), kIpv6Unicast);

  Update not_eor = v4;
  not_eor.attrs = basic_attrs();
  EXPECT_FALSE(not_eor.end_of_rib().has_value());
}

TEST(WireUpdate, ExtendedLengthWhenValueExceeds255Bytes) {
  Update u;
  u.attrs = basic_attrs();
  for (std::uint32_t i = 0; i < 64; ++i) {  // 256 bytes of communities
    u.attrs->communities.push_back(0xFDE90000 + i);
  }
  u.nlri = {pfx("10.0.0.0/8")};
  const Bytes b = encode_ok(u);
  const Bytes comm_header = hex("d0 08 0100");  // optional transitive + Extended Length
  EXPECT_NE(std::search(b.begin(), b.end(), comm_header.begin(), comm_header.end()), b.end());
  EXPECT_EQ(round_trip(u), u);

  u.attrs->communities.pop_back();  // 252 bytes: one-octet length
  const Bytes b2 = encode_ok(u);
  const Bytes short_header = hex("c0 08 fc");
  EXPECT_NE(std::search(b2.begin(), b2.end(), short_header.begin(), short_header.end()), b2.end());
}

TEST(WireUpdate, DecodesExtendedLengthOnShortAttributes) {
  // A sender may set Extended Length on any attribute.
  const Bytes b = update_msg(
      {}, hex("50 01 0001 00  50 02 0006 02 01 0000fde9  50 03 0004 c0000201"), hex("08 0a"));
  const Decoded d = decode_ok(b);
  EXPECT_FALSE(d.action.has_value());
  const auto& u = std::get<Update>(d.message);
  ASSERT_TRUE(u.attrs.has_value());
  EXPECT_EQ(u.attrs->as_path.to_string(), "65001");
  EXPECT_EQ(u.nlri, std::vector<Prefix>{pfx("10.0.0.0/8")});
}

TEST(WireUpdate, UnknownOptionalTransitiveGetsPartialBit) {
  const Bytes b = update_msg({},
                             hex("40 01 01 00  40 02 00  40 03 04 c0000201"
                                 "c0 63 02 abcd"    // optional transitive type 99
                                 "80 64 01 ff"      // optional non-transitive: dropped
                                 "d0 62 0001 ee"),  // ext length, type 98
                             hex("08 0a"));
  const Decoded d = decode_ok(b);
  EXPECT_FALSE(d.action.has_value());
  const auto& u = std::get<Update>(d.message);
  ASSERT_TRUE(u.attrs.has_value());
  ASSERT_EQ(u.attrs->unknown.size(), 2u);
  EXPECT_EQ(u.attrs->unknown[0], (UnknownAttribute{0xE0, 98, {0xEE}}));
  EXPECT_EQ(u.attrs->unknown[1], (UnknownAttribute{0xE0, 99, {0xAB, 0xCD}}));
  // Passed on with the Partial bit and in type order.
  const Bytes out = encode_ok(u);
  const Bytes want = hex("e0 62 01 ee e0 63 02 abcd");
  EXPECT_NE(std::search(out.begin(), out.end(), want.begin(), want.end()), out.end());
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, AttributesInTypeOrderAfterMpAttributes) {
  Update u;
  u.attrs = every_attr();
  u.attrs->next_hop = ip("2001:db8::1");
  u.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8::/32")}};
  u.mp_unreach = MpUnreach{kIpv6Unicast, {pfx("2001:db9::/32")}};
  const Bytes b = encode_ok(u);
  std::vector<int> types;
  std::size_t pos = 23;  // header + withdrawn length + attribute length
  while (pos < b.size()) {
    const std::uint8_t flags = b[pos];
    types.push_back(b[pos + 1]);
    const std::size_t len =
        (flags & 0x10) ? (std::size_t{b[pos + 2]} << 8 | b[pos + 3]) : std::size_t{b[pos + 2]};
    pos += ((flags & 0x10) ? 4 : 3) + len;
  }
  EXPECT_EQ(types, (std::vector<int>{14, 15, 1, 2, 4, 5, 6, 7, 8, 9, 10, 30, 32, 240}));
  EXPECT_EQ(round_trip(u), u);
}

TEST(WireUpdate, TrailingPrefixBitsAreMasked) {
  // RFC 4271 §4.3: trailing bits are irrelevant -> 10.1.2.255/24 is 10.1.2.0/24.
  const Bytes b = update_msg(hex("18 0a01ff"), hex("40 01 01 00  40 02 00  40 03 04 c0000201"),
                             hex("17 0a0103"));
  const Decoded d = decode_ok(b);
  EXPECT_FALSE(d.action.has_value());
  const auto& u = std::get<Update>(d.message);
  EXPECT_EQ(u.withdrawn, std::vector<Prefix>{pfx("10.1.255.0/24")});
  EXPECT_EQ(u.nlri, std::vector<Prefix>{pfx("10.1.2.0/23")});
}

TEST(WireUpdate, UnsupportedMpFamilyIsSkipped) {
  // MP_REACH_NLRI for L2VPN EVPN (AFI 25, SAFI 70) is ignored; the rest is used.
  const Bytes b = update_msg({},
                             hex("90 0e 000b 0019 46 04 c0000201 00 0102"
                                 "40 01 01 00  40 02 00  40 03 04 c0000201"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b);
  EXPECT_FALSE(d.action.has_value());
  const auto& u = std::get<Update>(d.message);
  EXPECT_FALSE(u.mp_reach.has_value());
  EXPECT_EQ(u.nlri.size(), 1u);

  // An unsupported family's End-of-RIB is not an IPv4 End-of-RIB.
  const Decoded eor = decode_ok(update_msg({}, hex("90 0f 0003 0019 46"), {}));
  EXPECT_FALSE(std::get<Update>(eor.message).end_of_rib().has_value());
}

TEST(WireUpdate, UnknownOptionalNonTransitiveIsDroppedSilently) {
  const Bytes b =
      update_msg({}, hex("40 01 01 00  40 02 00  40 03 04 c0000201  80 c8 02 0102"), hex("08 0a"));
  const Decoded d = decode_ok(b);
  EXPECT_FALSE(d.action.has_value());
  EXPECT_TRUE(std::get<Update>(d.message).attrs->unknown.empty());
}

TEST(WireUpdate, NextHopOfMpReachWinsWithoutClassicNlri) {
  // NEXT_HOP with only MP_REACH NLRI is ignored (RFC 4760 §3).
  const Bytes b =
      update_msg({},
                 hex("90 0e 001a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8"
                     "40 01 01 00  40 02 00  40 03 04 c0000201"),
                 {});
  const Decoded d = decode_ok(b);
  const auto& u = std::get<Update>(d.message);
  EXPECT_EQ(u.attrs->next_hop, ip("2001:db8::1"));
  EXPECT_EQ(u.mp_reach->nlri, std::vector<Prefix>{pfx("2001:db8::/32")});
}

// ---- RFC 6793: 2-octet AS peers --------------------------------------------------------

TEST(WireAs4, NoAs4PathWhenAllAsesFitTwoOctets) {
  Update u;
  u.attrs = basic_attrs();
  u.attrs->aggregator = Aggregator{65001, ip("192.0.2.9")};
  u.nlri = {pfx("10.0.0.0/8")};
  const Bytes b = encode_ok(u, two_octet());
  EXPECT_EQ(b, update_msg({},
                          hex("40 01 01 00  40 02 06 02 02 fde9 fdea  40 03 04 c0000201"
                              "c0 07 06 fde9 c0000209"),
                          hex("08 0a")));
}

TEST(WireAs4, DecoderMergesAs4Path) {
  // AS_PATH (65001 AS_TRANS AS_TRANS 65003) + AS4_PATH (4200000001 4200000002 65003):
  // RFC 6793 §4.2.3 keeps the leading 65001 from AS_PATH.
  const Bytes b = update_msg({},
                             hex("40 01 01 00"
                                 "40 02 0a 02 04 fde9 5ba0 5ba0 fdeb"
                                 "40 03 04 c0000201"
                                 "c0 11 0e 02 03 fa56ea01 fa56ea02 0000fdeb"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b, two_octet());
  EXPECT_FALSE(d.action.has_value());
  const auto& u = std::get<Update>(d.message);
  EXPECT_EQ(u.attrs->as_path.to_string(), "65001 4200000001 4200000002 65003");
  ASSERT_EQ(u.attrs->as_path.segments.size(), 1u);
}

TEST(WireAs4, DecoderKeepsAsSetAndConfedWhenMerging) {
  const Bytes b = update_msg({},
                             hex("40 01 01 00"
                                 "40 02 10 03 01 fdf0 02 02 fde9 5ba0 01 02 0001 0002"
                                 "40 03 04 c0000201"
                                 "c0 11 0c 02 01 fa56ea01 01 01 00000009"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b, two_octet());
  EXPECT_FALSE(d.action.has_value());
  EXPECT_EQ(std::get<Update>(d.message).attrs->as_path.to_string(), "(65008) 65001 4200000001 {9}");
}

TEST(WireAs4, As4PathLongerThanAsPathIsIgnored) {
  const Bytes b = update_msg({},
                             hex("40 01 01 00  40 02 04 02 01 5ba0  40 03 04 c0000201"
                                 "c0 11 0a 02 02 fa56ea01 fa56ea02"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b, two_octet());
  EXPECT_FALSE(d.action.has_value());
  EXPECT_EQ(std::get<Update>(d.message).attrs->as_path.to_string(), "23456");
}

TEST(WireAs4, AggregatorNotAsTransMeansAs4AttributesIgnored) {
  const Bytes b = update_msg({},
                             hex("40 01 01 00  40 02 04 02 01 5ba0  40 03 04 c0000201"
                                 "c0 07 06 fde9 c0000209"
                                 "c0 11 06 02 01 fa56ea01"
                                 "c0 12 08 fa56ea02 c000020a"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b, two_octet());
  const auto& a = *std::get<Update>(d.message).attrs;
  EXPECT_EQ(a.as_path.to_string(), "23456");
  EXPECT_EQ(a.aggregator, (Aggregator{65001, ip("192.0.2.9")}));
}

TEST(WireAs4, AggregatorAsTransTakesAs4Aggregator) {
  const Bytes b = update_msg({},
                             hex("40 01 01 00  40 02 04 02 01 5ba0  40 03 04 c0000201"
                                 "c0 07 06 5ba0 c0000209"
                                 "c0 11 06 02 01 fa56ea01"
                                 "c0 12 08 fa56ea02 c000020a"),
                             hex("08 0a"));
  const Decoded d = decode_ok(b, two_octet());
  EXPECT_FALSE(d.action.has_value());
  const auto& a = *std::get<Update>(d.message).attrs;
  EXPECT_EQ(a.as_path.to_string(), "4200000001");
  EXPECT_EQ(a.aggregator, (Aggregator{4200000002u, ip("192.0.2.10")}));
}

TEST(WireAs4, EncoderLeavesConfedOutOfAs4Path) {
  Update u;
  u.attrs = basic_attrs();
  u.attrs->as_path.segments = {{AsSegmentType::ConfedSequence, {65100}},
                               {AsSegmentType::Sequence, {4200000001u}}};
  u.nlri = {pfx("10.0.0.0/8")};
  const Bytes b = encode_ok(u, two_octet());
  const Bytes as4 = hex("c0 11 06 02 01 fa56ea01");
  EXPECT_NE(std::search(b.begin(), b.end(), as4.begin(), as4.end()), b.end());
  EXPECT_EQ(round_trip(u, two_octet()), u);
}

TEST(WireAs4, LongSegmentsAreSplit) {
  Update u;
  u.attrs = basic_attrs();
  u.attrs->as_path.segments = {{AsSegmentType::Sequence, {}}};
  for (std::uint32_t i = 0; i < 300; ++i) {
    u.attrs->as_path.segments[0].asns.push_back(4200000000u + i);
  }
  u.nlri = {pfx("10.0.0.0/8")};
  for (const auto& opts : {CodecOptions{}, two_octet()}) {
    const Update back = round_trip(u, opts);
    ASSERT_EQ(back.attrs->as_path.segments.size(), 2u);
    EXPECT_EQ(back.attrs->as_path.segments[0].asns.size(), 255u);
    EXPECT_EQ(back.attrs->as_path.path_length(), 300u);
  }
}

// ---- encoded_update_size and encoder limits -------------------------------------------

TEST(WireUpdateSize, MatchesEncodingExactly) {
  std::vector<std::pair<PathAttributes, std::optional<AfiSafi>>> cases;
  cases.emplace_back(basic_attrs(), std::nullopt);
  cases.emplace_back(every_attr(), std::nullopt);
  PathAttributes v6 = every_attr();
  v6.next_hop = ip("2001:db8::1");
  cases.emplace_back(v6, kIpv6Unicast);
  v6.link_local_next_hop = ip("fe80::1");
  cases.emplace_back(v6, kIpv6Unicast);
  cases.emplace_back(basic_attrs(), kIpv4Unicast);
  PathAttributes big = every_attr();
  for (std::uint32_t i = 0; i < 100; ++i) {
    big.communities.push_back(i);
    big.as_path.segments[0].asns.push_back(4200000000u + i);
  }
  cases.emplace_back(big, std::nullopt);
  for (const auto& opts : {CodecOptions{}, two_octet()}) {
    for (const auto& [attrs, family] : cases) {
      Update u;
      u.attrs = attrs;
      if (family) {
        u.mp_reach = MpReach{*family, {}};
      }
      const Bytes b = encode_ok(u, opts);
      EXPECT_EQ(encoded_update_size(attrs, family, opts), b.size());

      // Each NLRI then adds exactly prefix_wire_size().
      std::size_t want = b.size();
      const bool v6_family = family && family->afi == Afi::Ipv6;
      for (const char* p : {"10.0.0.0/8", "10.1.2.0/24", "10.1.2.3/32", "0.0.0.0/0"}) {
        Prefix px = pfx(p);
        if (v6_family) {
          px = pfx("2001:db8::/33");
        }
        want += prefix_wire_size(px);
        if (family) {
          u.mp_reach->nlri.push_back(px);
        } else {
          u.nlri.push_back(px);
        }
      }
      EXPECT_EQ(encode_ok(u, opts).size(), want);
    }
  }
}

TEST(WireUpdateSize, EncodeFailsAboveMaximumSize) {
  Update u;
  u.attrs = basic_attrs();
  for (std::uint32_t i = 0; i < 1100; ++i) {
    u.attrs->communities.push_back(i);
  }
  u.nlri = {pfx("10.0.0.0/8")};
  auto r = encode_message(u, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("exceeds the maximum message size 4096"), std::string::npos);
  EXPECT_GT(encoded_update_size(*u.attrs, std::nullopt, {}), 4096u);

  CodecOptions ext;
  ext.extended_message = true;
  EXPECT_EQ(round_trip(u, ext), u);
}

TEST(WireUpdateSize, EncodeRejectsUnrepresentableUpdates) {
  Update no_nh;
  no_nh.attrs = basic_attrs();
  no_nh.attrs->next_hop.reset();
  no_nh.nlri = {pfx("10.0.0.0/8")};
  EXPECT_FALSE(encode_message(no_nh, {}).has_value());

  Update no_attrs;
  no_attrs.nlri = {pfx("10.0.0.0/8")};
  EXPECT_FALSE(encode_message(no_attrs, {}).has_value());

  Update v6_with_v4_nh;
  v6_with_v4_nh.attrs = basic_attrs();
  v6_with_v4_nh.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8::/32")}};
  EXPECT_FALSE(encode_message(v6_with_v4_nh, {}).has_value());

  Update mixed;
  mixed.attrs = basic_attrs();
  mixed.nlri = {pfx("10.0.0.0/8")};
  mixed.mp_reach = MpReach{kIpv6Unicast, {pfx("2001:db8::/32")}};
  EXPECT_FALSE(encode_message(mixed, {}).has_value());

  Update wrong_family;
  wrong_family.attrs = basic_attrs();
  wrong_family.nlri = {pfx("2001:db8::/32")};
  EXPECT_FALSE(encode_message(wrong_family, {}).has_value());
}

}  // namespace
}  // namespace calico::bgp
