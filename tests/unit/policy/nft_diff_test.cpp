// diff(): minimal transactions in felix's order (policy/nft_model.h).  Batches are compared
// as nft command text, which is exactly what would be sent.
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "policy/nft_model.h"
#include "tests/unit/policy/nft_test_util.h"

namespace calico::policy {
namespace {

using namespace nft_test;

// The batch as text with rule comments elided, to keep expectations readable.
std::string ops(const NftBatch& b) {
  std::string out;
  for (const auto& op : b.ops) {
    std::string line = format_op(b.table, op);
    if (auto pos = line.find(" comment \"cal:"); pos != std::string::npos) {
      line.erase(pos);
    }
    out += line + "\n";
  }
  return out;
}

// What the kernel would report after programming `p`: rules become (handle, fingerprint)
// and interval sets come back canonical.
NftPlan as_read_back(const NftPlan& p) {
  NftPlan k = p;
  std::uint64_t handle = 1;
  for (auto& [name, chain] : k.chains) {
    for (auto& r : chain.rules) {
      NftRule opaque;
      opaque.handle = handle++;
      opaque.kernel_fingerprint = rule_fingerprint(r);
      r = opaque;
    }
  }
  for (auto& [name, set] : k.sets) {
    set.elements = canonical_elements(set);
  }
  return k;
}

TEST(NftDiffTest, SamePlanGivesAnEmptyBatch) {
  EXPECT_TRUE(diff(small_plan(), small_plan()).empty());
  EXPECT_TRUE(diff(as_read_back(small_plan()), small_plan()).empty());
}

TEST(NftDiffTest, MembershipChangeIsElementUpdatesOnly) {
  NftPlan want = small_plan();
  want.sets.at("pods-v4").elements.erase({cidr("10.65.0.1")});
  want.sets.at("pods-v4").elements.insert({cidr("10.65.0.2")});
  want.sets.at("np-web").elements.insert(
      {cidr("10.65.0.2"), NftValue::proto(6), NftValue::port(80)});
  want.maps.at("to-wl").elements[{NftValue::ifname("cali2")}] = NftVerdict::go_to("tw-cali1");
  want.maps.at("to-wl").elements.erase({NftValue::ifname("cali1")});
  EXPECT_EQ(ops(diff(as_read_back(small_plan()), want)),
            "delete element inet calico pods-v4 { 10.65.0.1 }\n"
            "delete element inet calico to-wl { \"cali1\", \"cali2\" }\n"
            "add element inet calico np-web { 10.65.0.2 . tcp . 80 }\n"
            "add element inet calico pods-v4 { 10.65.0.2 }\n"
            "add element inet calico to-wl { \"cali2\" : goto tw-cali1 }\n");
}

TEST(NftDiffTest, MembershipAbsorbedByACidrChangesNothing) {
  NftPlan want = small_plan();
  want.sets.at("pods-v4").elements.insert({cidr("10.66.3.4")});  // inside 10.66.0.0/16
  EXPECT_TRUE(diff(as_read_back(small_plan()), want).empty());
}

TEST(NftDiffTest, ChangedChainIsFlushedAndRewrittenOthersUntouched) {
  NftPlan want = small_plan();
  want.chains.at("tw-cali2")
      .rules.insert(want.chains.at("tw-cali2").rules.begin(), rule({tcp()}, NftVerdict::accept()));
  EXPECT_EQ(ops(diff(as_read_back(small_plan()), want)),
            "flush chain inet calico tw-cali2\n"
            "add rule inet calico tw-cali2 meta l4proto tcp accept\n"
            "add rule inet calico tw-cali2 drop\n");
}

TEST(NftDiffTest, NewEndpointCreatesChainsBeforeRulesAndElementsLast) {
  NftPlan want = small_plan();
  want.add_chain("tw-cali3").rules = {rule({}, NftVerdict::jump("pi-web"))};
  want.maps.at("to-wl").elements[{NftValue::ifname("cali3")}] = NftVerdict::go_to("tw-cali3");
  EXPECT_EQ(ops(diff(as_read_back(small_plan()), want)),
            "add chain inet calico tw-cali3\n"
            "add rule inet calico tw-cali3 jump pi-web\n"
            "add element inet calico to-wl { \"cali3\" : goto tw-cali3 }\n");
}

TEST(NftDiffTest, RemovedObjectsGoInDependencyOrder) {
  NftPlan have = small_plan();
  have.add_chain("tw-old").rules = {rule({}, NftVerdict::jump("pi-old"))};
  have.add_chain("pi-old").rules = {
      rule({NftMatch::in_set({NftField::IpSaddr}, "old-set")}, NftVerdict::accept())};
  have.add_set("old-set", {NftType::Ipv4Addr});
  auto& old_map = have.add_map("old-map", {NftType::Ifname});
  old_map.elements[{NftValue::ifname("x")}] = NftVerdict::go_to("tw-old");
  have.maps.at("to-wl").elements[{NftValue::ifname("cali9")}] = NftVerdict::go_to("tw-old");
  EXPECT_EQ(ops(diff(as_read_back(have), small_plan())),
            // Elements pointing at doomed chains go first, then every doomed chain is
            // emptied, maps whose elements pin them are deleted, chains, and sets last.
            "delete element inet calico to-wl { \"cali9\" }\n"
            "flush chain inet calico pi-old\n"
            "flush chain inet calico tw-old\n"
            "delete map inet calico old-map\n"
            "delete chain inet calico pi-old\n"
            "delete chain inet calico tw-old\n"
            "delete set inet calico old-set\n");
}

TEST(NftDiffTest, NewSetsComeFirstTheirElementsLast) {
  NftPlan want = small_plan();
  auto& s = want.add_set("pods-v6", {NftType::Ipv6Addr}, true);
  s.elements = {{cidr("fd00::/64")}};
  want.chains.at("pi-web").rules.push_back(
      rule({NftMatch::in_set({NftField::Ip6Saddr}, "pods-v6")}, NftVerdict::accept()));
  EXPECT_EQ(ops(diff(as_read_back(small_plan()), want)),
            "add set inet calico pods-v6 { type ipv6_addr; flags interval; }\n"
            "flush chain inet calico pi-web\n"
            "add rule inet calico pi-web meta l4proto tcp th dport { 80, 443 } ip saddr "
            "@pods-v4 accept\n"
            "add rule inet calico pi-web ip daddr . meta l4proto . th dport @np-web accept\n"
            "add rule inet calico pi-web ip6 saddr @pods-v6 accept\n"
            "add element inet calico pods-v6 { fd00::/64 }\n");
}

TEST(NftDiffTest, BaseChainPolicyChangeUpdatesInPlace) {
  NftPlan want = small_plan();
  want.chains.at("filter-FORWARD").base->policy_drop = true;
  EXPECT_EQ(ops(diff(as_read_back(small_plan()), want)),
            "add chain inet calico filter-FORWARD { type filter hook forward priority 0; "
            "policy drop; }\n");
}

TEST(NftDiffTest, IncompatibleChangesRebuildTheTableInOneBatch) {
  NftPlan set_type = small_plan();
  set_type.sets.at("pods-v4").interval = false;
  set_type.sets.at("pods-v4").elements = {{cidr("10.65.0.1")}};
  NftPlan hook = small_plan();
  hook.chains.at("filter-FORWARD").base->priority = 10;
  NftPlan kind = small_plan();
  kind.maps.erase("to-wl");
  kind.add_set("to-wl", {NftType::Ifname});
  kind.chains.at("filter-FORWARD").rules.erase(kind.chains.at("filter-FORWARD").rules.begin());
  for (const NftPlan* want : {&set_type, &hook, &kind}) {
    const NftBatch b = diff(as_read_back(small_plan()), *want);
    ASSERT_GE(b.ops.size(), 3U);
    EXPECT_TRUE(std::holds_alternative<NftAddTable>(b.ops[0]));
    EXPECT_TRUE(std::holds_alternative<NftDeleteTable>(b.ops[1]));
    EXPECT_TRUE(std::holds_alternative<NftAddTable>(b.ops[2]));
    EXPECT_EQ(ops(b), ops(rebuild(*want)));
  }
}

TEST(NftDiffTest, ForeignRuleInOurChainGetsTheChainRewritten) {
  NftPlan have = as_read_back(small_plan());
  NftRule foreign;
  foreign.handle = 99;
  foreign.kernel_fingerprint = "kernel:99";
  have.chains.at("tw-cali2").rules.push_back(foreign);
  EXPECT_EQ(ops(diff(have, small_plan())),
            "flush chain inet calico tw-cali2\n"
            "add rule inet calico tw-cali2 drop\n");
}

TEST(NftDiffTest, AbsentTableIsCreatedWithoutDelete) {
  NftPlan absent;
  absent.table_exists = false;
  const NftBatch b = diff(absent, small_plan());
  ASSERT_FALSE(b.ops.empty());
  EXPECT_TRUE(std::holds_alternative<NftAddTable>(b.ops[0]));
  for (const auto& op : b.ops) {
    EXPECT_FALSE(std::holds_alternative<NftDeleteTable>(op));
  }
  NftPlan other = small_plan();
  other.table = "calico2";
  EXPECT_EQ(diff(absent, other).table, "calico2");
}

}  // namespace
}  // namespace calico::policy
