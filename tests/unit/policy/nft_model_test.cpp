// The nftables value model: value bytes and text, interval canonicalization, fingerprints,
// validation (policy/nft_model.h).
#include "policy/nft_model.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/policy/nft_test_util.h"

namespace calico::policy {
namespace {

using namespace nft_test;

TEST(NftModelTest, ValueFactoriesPutBytesWhereTheKernelExpectsThem) {
  const NftValue a = cidr("10.1.2.3");
  EXPECT_TRUE(a.is_single());
  EXPECT_EQ(a.lo[0], 10);
  EXPECT_EQ(a.lo[3], 3);
  EXPECT_EQ(a.lo[4], 0);
  const NftValue net = cidr("10.1.2.3/16");  // host bits ignored
  EXPECT_EQ(format_value(NftType::Ipv4Addr, net), "10.1.0.0/16");
  EXPECT_EQ(net.hi[2], 0xff);
  EXPECT_EQ(net.hi[4], 0);
  const NftValue port = NftValue::port(8080);
  EXPECT_EQ(port.lo[0], 0x1f);  // network byte order
  EXPECT_EQ(port.lo[1], 0x90);
  const NftValue name = NftValue::ifname("cali1");
  EXPECT_EQ(name.lo[4], '1');
  EXPECT_EQ(name.lo[5], 0);
  const NftValue wild = NftValue::ifname("cali*");
  EXPECT_EQ(wild.lo[4], 0);
  EXPECT_EQ(wild.hi[4], 0xff);
  EXPECT_EQ(wild.hi[15], 0xff);
}

TEST(NftModelTest, FormatsValuesInNftSyntax) {
  EXPECT_EQ(format_value(NftType::Ipv4Addr, cidr("0.0.0.0/0")), "0.0.0.0/0");
  EXPECT_EQ(format_value(NftType::Ipv4Addr, NftValue::addr_range(ip("10.0.0.1"), ip("10.0.0.9"))),
            "10.0.0.1-10.0.0.9");
  EXPECT_EQ(format_value(NftType::Ipv6Addr, cidr("fd00::/8")), "fd00::/8");
  EXPECT_EQ(format_value(NftType::Ipv6Addr, cidr("fd00::1")), "fd00::1");
  EXPECT_EQ(format_value(NftType::InetService, NftValue::port_range(80, 90)), "80-90");
  EXPECT_EQ(format_value(NftType::InetProto, NftValue::proto(17)), "udp");
  EXPECT_EQ(format_value(NftType::InetProto, NftValue::proto(132)), "sctp");
  EXPECT_EQ(format_value(NftType::InetProto, NftValue::proto(58)), "58");
  EXPECT_EQ(format_value(NftType::Ifname, NftValue::ifname("cali*")), "\"cali*\"");
  EXPECT_EQ(format_key({NftType::Ipv4Addr, NftType::InetProto, NftType::InetService},
                       {cidr("10.0.0.1"), NftValue::proto(6), NftValue::port(80)}),
            "10.0.0.1 . tcp . 80");
}

TEST(NftModelTest, CanonicalElementsMergeOverlappingAndAdjacentRanges) {
  NftSet s{"s", {NftType::Ipv4Addr}, true, {}};
  s.elements = {{cidr("10.0.0.0/24")},      {cidr("10.0.0.5")},          // inside
                {cidr("10.0.1.0/24")},                                   // adjacent
                {cidr("10.0.3.0")},                                      // apart
                {cidr("255.255.255.0/24")}, {cidr("255.255.255.255")}};  // at the maximum
  const std::set<NftKey> want = {
      {cidr("10.0.0.0/23")}, {cidr("10.0.3.0")}, {cidr("255.255.255.0/24")}};
  EXPECT_EQ(canonical_elements(s), want);
  s.interval = false;  // exact sets are left alone
  EXPECT_EQ(canonical_elements(s).size(), 6U);
}

TEST(NftModelTest, AdjacentCidrsInALiteralListMergeIntoARange) {
  NftMatch m = NftMatch::in(NftField::IpSaddr, {cidr("10.2.0.0/16"), cidr("10.1.0.0/16")});
  const std::vector<NftKey> want = {{NftValue::addr_range(ip("10.1.0.0"), ip("10.2.255.255"))}};
  EXPECT_EQ(canonical_values(m), want);
}

TEST(NftModelTest, CanonicalValuesSortDeduplicateAndMerge) {
  NftMatch m = NftMatch::in(NftField::ThDport, {NftValue::port(81), NftValue::port(80),
                                                NftValue::port(80), NftValue::port_range(90, 95)});
  const std::vector<NftKey> want = {{NftValue::port_range(80, 81)}, {NftValue::port_range(90, 95)}};
  EXPECT_EQ(canonical_values(m), want);
}

TEST(NftModelTest, FingerprintIgnoresLiteralOrderButNotContent) {
  NftRule a =
      rule({tcp(), NftMatch::in(NftField::ThDport, {NftValue::port(80), NftValue::port(443)})},
           NftVerdict::accept());
  NftRule b =
      rule({tcp(), NftMatch::in(NftField::ThDport, {NftValue::port(443), NftValue::port(80)})},
           NftVerdict::accept());
  EXPECT_EQ(rule_fingerprint(a), rule_fingerprint(b));
  EXPECT_EQ(rule_fingerprint(a).size(), 16U);
  b.verdict = NftVerdict::drop();
  EXPECT_NE(rule_fingerprint(a), rule_fingerprint(b));
  NftRule c = a;
  c.comment = "note";
  EXPECT_NE(rule_fingerprint(a), rule_fingerprint(c));
  NftRule kernel;
  kernel.kernel_fingerprint = rule_fingerprint(a);
  EXPECT_EQ(rule_fingerprint(kernel), rule_fingerprint(a));
}

TEST(NftModelTest, FingerprintFromCommentAcceptsOnlyOurComments) {
  EXPECT_EQ(fingerprint_from_comment("cal:0123456789abcdef"), "0123456789abcdef");
  EXPECT_EQ(fingerprint_from_comment("cal:0123456789abcdef allow web"), "0123456789abcdef");
  EXPECT_EQ(fingerprint_from_comment("cal:0123456789abcdefx"), "");
  EXPECT_EQ(fingerprint_from_comment("cal:0123456789ABCDEF"), "");
  EXPECT_EQ(fingerprint_from_comment("cali:0123456789abcdef"), "");
  EXPECT_EQ(fingerprint_from_comment(""), "");
}

TEST(NftModelTest, ValidateAcceptsTheSamplePlan) {
  auto r = validate(small_plan());
  EXPECT_TRUE(r.has_value()) << r.error();
}

struct InvalidCase {
  const char* what;
  void (*mutate)(NftPlan&);
  const char* error;
};

class NftModelValidateTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(NftModelValidateTest, RejectsAndNamesTheObject) {
  NftPlan p = small_plan();
  GetParam().mutate(p);
  auto r = validate(p);
  ASSERT_FALSE(r.has_value()) << GetParam().what;
  EXPECT_NE(r.error().find(GetParam().error), std::string::npos) << r.error();
}

constexpr InvalidCase kInvalid[] = {
    {"jump to a missing chain",
     [](NftPlan& p) { p.chains.at("tw-cali2").rules[0].verdict = NftVerdict::jump("nope"); },
     "chain tw-cali2 rule 1: jump nope: unknown chain nope"},
    {"jump to a base chain",
     [](NftPlan& p) {
       p.chains.at("tw-cali2").rules[0].verdict = NftVerdict::jump("filter-FORWARD");
     },
     "filter-FORWARD is a base chain"},
    {"jump to itself",
     [](NftPlan& p) { p.chains.at("tw-cali2").rules[0].verdict = NftVerdict::jump("tw-cali2"); },
     "jumps to its own chain"},
    {"unknown set",
     [](NftPlan& p) {
       p.chains.at("tw-cali2").rules[0].matches = {NftMatch::in_set({NftField::IpSaddr}, "nope")};
     },
     "unknown set @nope"},
    {"set key mismatch",
     [](NftPlan& p) {
       p.chains.at("tw-cali2").rules[0].matches = {
           NftMatch::in_set({NftField::Ip6Saddr}, "pods-v4")};
     },
     "different key type"},
    {"range without interval",
     [](NftPlan& p) {
       p.sets.at("np-web").elements.insert(
           {cidr("10.0.0.0/8"), NftValue::proto(6), NftValue::port(1)});
     },
     "needs the interval flag"},
    {"port without protocol",
     [](NftPlan& p) {
       p.chains.at("tw-cali2").rules[0].matches = {
           NftMatch::eq(NftField::ThDport, NftValue::port(80))};
     },
     "th ports need"},
    {"port after icmp",
     [](NftPlan& p) {
       p.chains.at("tw-cali2").rules[0].matches = {
           NftMatch::eq(NftField::L4proto, NftValue::proto(1)),
           NftMatch::eq(NftField::ThDport, NftValue::port(80))};
     },
     "th ports need"},
    {"mixed families",
     [](NftPlan& p) {
       NftMatch m;
       m.fields = {NftField::IpSaddr, NftField::Ip6Daddr};
       m.values = {{cidr("10.0.0.1"), cidr("fd00::1")}};
       p.chains.at("tw-cali2").rules[0].matches = {m};
     },
     "mixes IPv4 and IPv6"},
    {"dispatch on a non-ifname map",
     [](NftPlan& p) {
       p.maps.at("to-wl").key = {NftType::Ipv4Addr};
       p.maps.at("to-wl").elements.clear();
     },
     "is not keyed by ifname"},
    {"dispatch with a verdict",
     [](NftPlan& p) { p.chains.at("filter-FORWARD").rules[0].verdict = NftVerdict::accept(); },
     "cannot have a verdict"},
    {"bad name", [](NftPlan& p) { p.add_chain("9lives"); }, "chain 9lives: not a valid identifier"},
    {"set and map share a name", [](NftPlan& p) { p.add_set("to-wl", {NftType::Ifname}); },
     "a map has the same name"},
    {"interface name too long",
     [](NftPlan& p) {
       p.maps.at("to-wl").elements[{NftValue::ifname("cali0123456789abcdef")}] = NftVerdict::drop();
     },
     "1 to 15 characters"},
    {"map element without verdict",
     [](NftPlan& p) { p.maps.at("to-wl").elements[{NftValue::ifname("cali9")}] = NftVerdict{}; },
     "needs a verdict"},
    {"comment with a quote",
     [](NftPlan& p) { p.chains.at("tw-cali2").rules[0].comment = "say \"hi\""; }, "comment"},
    {"route chain on input",
     [](NftPlan& p) {
       p.add_chain("route-in", NftBaseChain{NftHook::Input, NftChainType::Route});
     },
     "type route only exists on the output hook"},
    {"ct state without bits",
     [](NftPlan& p) { p.chains.at("tw-cali2").rules[0].matches = {NftCtStateMatch{0}}; },
     "ct state needs known state bits"},
    {"bad table name", [](NftPlan& p) { p.table = "a b"; }, "table name"},
};

INSTANTIATE_TEST_SUITE_P(NftInvalid, NftModelValidateTest, ::testing::ValuesIn(kInvalid));

}  // namespace
}  // namespace calico::policy
