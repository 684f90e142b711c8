// Golden text for plans and batches (policy/nft_model.h: to_nft_text).  The same texts load
// with `nft -f` (checked against the kernel in tests/integration/netlink/nft_*_test.cpp).
#include <gtest/gtest.h>

#include "policy/nft_model.h"
#include "tests/unit/policy/nft_test_util.h"

namespace calico::policy {
namespace {

using namespace nft_test;

NftPlan absent() {
  NftPlan p;
  p.table_exists = false;
  return p;
}

TEST(NftTextTest, PlanGolden) {
  EXPECT_EQ(to_nft_text(small_plan()), R"(table inet calico {
	set np-web {
		type ipv4_addr . inet_proto . inet_service
		elements = { 10.65.0.1 . tcp . 80 }
	}

	set pods-v4 {
		type ipv4_addr
		flags interval
		elements = { 10.65.0.1, 10.66.0.0/16 }
	}

	map to-wl {
		type ifname : verdict
		elements = { "cali1" : goto tw-cali1, "cali2" : goto tw-cali2 }
	}

	chain filter-FORWARD {
		type filter hook forward priority 0; policy accept;
		oifname vmap @to-wl comment "cal:79e0ca44217c21ab"
		oifname "cali*" drop comment "cal:9e311a7999228b18"
	}

	chain pi-web {
		meta l4proto tcp th dport { 80, 443 } ip saddr @pods-v4 accept comment "cal:8a998824e472da7b"
		ip daddr . meta l4proto . th dport @np-web accept comment "cal:e10c94f11b34907c"
	}

	chain tw-cali1 {
		ct state established,related accept comment "cal:f57482cc068b153a"
		jump pi-web comment "cal:87d48ad70f306e29"
		drop comment "cal:6cbe1fc93e8ac544"
	}

	chain tw-cali2 {
		drop comment "cal:6cbe1fc93e8ac544"
	}
}
)");
}

TEST(NftTextTest, BatchGolden) {
  EXPECT_EQ(to_nft_text(diff(absent(), small_plan())), R"(add table inet calico
add set inet calico np-web { type ipv4_addr . inet_proto . inet_service; }
add set inet calico pods-v4 { type ipv4_addr; flags interval; }
add map inet calico to-wl { type ifname : verdict; }
add chain inet calico filter-FORWARD { type filter hook forward priority 0; policy accept; }
add chain inet calico pi-web
add chain inet calico tw-cali1
add chain inet calico tw-cali2
add rule inet calico filter-FORWARD oifname vmap @to-wl comment "cal:79e0ca44217c21ab"
add rule inet calico filter-FORWARD oifname "cali*" drop comment "cal:9e311a7999228b18"
add rule inet calico pi-web meta l4proto tcp th dport { 80, 443 } ip saddr @pods-v4 accept comment "cal:8a998824e472da7b"
add rule inet calico pi-web ip daddr . meta l4proto . th dport @np-web accept comment "cal:e10c94f11b34907c"
add rule inet calico tw-cali1 ct state established,related accept comment "cal:f57482cc068b153a"
add rule inet calico tw-cali1 jump pi-web comment "cal:87d48ad70f306e29"
add rule inet calico tw-cali1 drop comment "cal:6cbe1fc93e8ac544"
add rule inet calico tw-cali2 drop comment "cal:6cbe1fc93e8ac544"
add element inet calico np-web { 10.65.0.1 . tcp . 80 }
add element inet calico pods-v4 { 10.65.0.1, 10.66.0.0/16 }
add element inet calico to-wl { "cali1" : goto tw-cali1, "cali2" : goto tw-cali2 }
)");
}

TEST(NftTextTest, RuleStatementsAndMatchesRenderInFixedOrder) {
  NftRule r =
      rule({NftMatch::in(NftField::IpSaddr, {cidr("10.3.0.0/16"), cidr("10.1.0.0/16")}).negated(),
            NftMarkMatch{0x10000, 0, true}, tcp(),
            NftMatch::eq(NftField::ThSport, NftValue::port_range(1024, 65535)),
            NftMatch::eq(NftField::Icmpv6Type, NftValue::proto(128))},
           NftVerdict::go_to("x-y"));
  r.counter = true;
  r.log_prefix = "deny ";
  r.mark_set = NftMarkSet{0x30000, 0x10000};
  r.comment = "why";
  EXPECT_EQ(format_rule_body(r),
            "ip saddr != { 10.1.0.0/16, 10.3.0.0/16 } meta mark & 0x00010000 != 0x00000000 "
            "meta l4proto tcp th sport 1024-65535 icmpv6 type 128 counter log prefix \"deny \" "
            "meta mark set meta mark & 0xfffcffff | 0x00010000 goto x-y");
  EXPECT_EQ(rule_kernel_comment(r), "cal:" + rule_fingerprint(r) + " why");
  EXPECT_EQ(format_rule(r), format_rule_body(r) + " comment \"" + rule_kernel_comment(r) + "\"");
  NftRule opaque;
  opaque.handle = 7;
  opaque.kernel_fingerprint = "0123456789abcdef";
  EXPECT_EQ(format_rule(opaque), "# kernel rule handle 7 fingerprint 0123456789abcdef");
}

TEST(NftTextTest, DeterministicWhateverTheInsertionOrder) {
  NftPlan a = small_plan();
  NftPlan b;
  // Same content, built in reverse order and with literal values shuffled.
  for (auto it = a.chains.rbegin(); it != a.chains.rend(); ++it) {
    b.chains.emplace(it->first, it->second);
  }
  for (auto it = a.maps.rbegin(); it != a.maps.rend(); ++it) {
    b.maps.emplace(it->first, it->second);
  }
  for (auto it = a.sets.rbegin(); it != a.sets.rend(); ++it) {
    b.sets.emplace(it->first, it->second);
  }
  auto& m = std::get<NftMatch>(b.chains.at("pi-web").rules[0].matches[1]);
  std::swap(m.values[0], m.values[1]);
  m.values.push_back(m.values[0]);
  EXPECT_EQ(to_nft_text(a), to_nft_text(b));
  EXPECT_TRUE(diff(a, b).empty());
}

TEST(NftTextTest, FormatsOpsForErrorMessages) {
  EXPECT_EQ(format_op("calico", NftFlushChain{"tw-x"}), "flush chain inet calico tw-x");
  EXPECT_EQ(format_op("calico", NftDeleteSet{"s"}), "delete set inet calico s");
  EXPECT_EQ(format_op("calico", NftDeleteMap{"m"}), "delete map inet calico m");
  EXPECT_EQ(format_op("calico", NftDeleteTable{}), "delete table inet calico");
  NftMapElements del{false, "to-wl", {NftType::Ifname}, {}};
  del.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("tw-cali1")}};
  EXPECT_EQ(format_op("calico", del), "delete element inet calico to-wl { \"cali1\" }");
  NftAddChain base{"filter-INPUT", NftBaseChain{NftHook::Input, NftChainType::Filter, -10, true}};
  EXPECT_EQ(format_op("calico", base),
            "add chain inet calico filter-INPUT { type filter hook input priority -10; policy "
            "drop; }");
}

}  // namespace
}  // namespace calico::policy
