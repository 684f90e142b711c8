// Pool selection, per-host block walks, reservations and the block cap (ipam/pools.h).
#include "ipam/pools.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace calico::ipam {
namespace {

api::IPPool pool(const std::string& name, const std::string& cidr, int block = 0) {
  api::IPPool p;
  p.metadata.name = name;
  p.spec.cidr = cidr;
  p.spec.block_size = block;
  return p;
}

std::vector<std::string> names(const std::vector<const api::IPPool*>& ps) {
  std::vector<std::string> out;
  for (const auto* p : ps) {
    out.push_back(p->metadata.name);
  }
  return out;
}

TEST(IpamPools, SelectionByFamilyEnabledSelectorsAndUse) {
  std::vector<api::IPPool> pools = {pool("b-v4", "10.1.0.0/16"),  pool("a-v4", "10.0.0.0/16"),
                                    pool("v6", "fd00::/48"),      pool("off", "10.2.0.0/16"),
                                    pool("rack2", "10.3.0.0/16"), pool("manual", "10.4.0.0/16"),
                                    pool("lb", "10.5.0.0/16")};
  pools[3].spec.disabled = true;
  pools[4].spec.node_selector = "rack == '2'";
  pools[5].spec.assignment_mode = "Manual";
  pools[6].spec.allowed_uses = {"LoadBalancer"};
  PoolRequest req;
  req.node_labels = {{"rack", "1"}};
  auto got = select_pools(pools, req);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(names(*got), (std::vector<std::string>{"a-v4", "b-v4"}));  // sorted by name
  req.node_labels = {{"rack", "2"}};
  EXPECT_EQ(names(*select_pools(pools, req)), (std::vector<std::string>{"a-v4", "b-v4", "rack2"}));
  req.use = IntendedUse::LoadBalancer;
  EXPECT_EQ(names(*select_pools(pools, req)), (std::vector<std::string>{"lb"}));
  req.use = IntendedUse::Workload;
  req.family = net::Family::V6;
  EXPECT_EQ(names(*select_pools(pools, req)), (std::vector<std::string>{"v6"}));
}

TEST(IpamPools, RequestedPoolsAreUsedAsGivenOrFailClearly) {
  std::vector<api::IPPool> pools = {pool("rack2", "10.3.0.0/16"), pool("manual", "10.4.0.0/16"),
                                    pool("off", "10.2.0.0/16")};
  pools[0].spec.node_selector = "rack == '2'";
  pools[1].spec.assignment_mode = "Manual";
  pools[2].spec.disabled = true;
  PoolRequest req;
  req.requested = {"10.3.0.0/16", "manual"};  // by CIDR and by name; selector ignored
  auto got = select_pools(pools, req);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(names(*got), (std::vector<std::string>{"rack2", "manual"}));
  req.requested = {"10.9.0.0/16"};
  auto missing = select_pools(pools, req);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "the requested IPv4 pool 10.9.0.0/16 does not exist");
  req.requested = {"off"};
  EXPECT_EQ(select_pools(pools, req).error(), "the requested pool off is disabled");
  req.requested = {};
  EXPECT_EQ(select_pools(pools, req).error(),
            "no IPv4 pools usable by this node for Workload addresses");
}

TEST(IpamPools, BlockWalkCoversThePoolOnceFromAPerHostStart) {
  const api::IPPool p = pool("p", "10.244.0.0/22");  // 16 blocks of /26
  BlockWalk a(p, "worker-1");
  BlockWalk b(p, "worker-2");
  ASSERT_EQ(a.count(), 16U);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < a.count(); ++i) {
    const net::Cidr c = a.at(i);
    EXPECT_EQ(c.prefix_len(), 26);
    EXPECT_TRUE(c.is_masked());
    EXPECT_TRUE(net::Cidr::parse("10.244.0.0/22")->contains(c));
    seen.insert(c.to_string());
  }
  EXPECT_EQ(seen.size(), 16U);
  EXPECT_EQ(a.at(0), BlockWalk(p, "worker-1").at(0));  // stable per host
  EXPECT_NE(a.at(0), b.at(0));                         // different hosts, different starts
  EXPECT_EQ(fnv1_32(""), 2166136261U);
  const BlockWalk v6(pool("v6", "fd00:10:244::/120"), "n");  // /122 default: 4 blocks
  EXPECT_EQ(v6.count(), 4U);
  EXPECT_EQ(v6.at(0).prefix_len(), 122);
}

// Host names that differ only in their last character must not start side by side (raw
// FNV-1 differs only in the low byte for them): otherwise each claim runs into the
// neighbours' blocks.
TEST(BlockWalkTest, SimilarHostNamesStartFarApart) {
  const api::IPPool p = pool("p", "10.0.0.0/14");  // 4096 blocks of /26
  std::vector<std::size_t> starts;
  for (int i = 0; i < 10; ++i) {
    const BlockWalk w(p, "node-" + std::to_string(i));
    // The start's block index inside the pool.
    starts.push_back((w.at(0).addr().v4_host_order() - 0x0a000000U) >> 6U);
  }
  const auto [lo, hi] = std::minmax_element(starts.begin(), starts.end());
  EXPECT_GT(*hi - *lo, 1024U);
  // And 100 such hosts mostly find their first 3 CIDRs free of each other's.
  std::map<std::string, int> owners;
  for (int i = 0; i < 100; ++i) {
    const BlockWalk w(p, "node-" + std::to_string(i));
    for (std::size_t k = 0; k < 3; ++k) {
      owners[w.at(k).to_string()]++;
    }
  }
  int shared = 0;
  for (const auto& [cidr, n] : owners) {
    shared += n > 1 ? n : 0;
  }
  EXPECT_LT(shared, 30) << "of 300 walk positions";
}

TEST(IpamPools, ReservationsAndBlockCap) {
  api::IPReservation r;
  r.metadata.name = "infra";
  r.spec.reserved_cidrs = {"10.244.0.0/30", "10.244.1.7"};
  auto res = Reservations::from({r});
  ASSERT_TRUE(res) << res.error();
  EXPECT_TRUE(res->reserved(*net::IpAddr::parse("10.244.0.3")));
  EXPECT_TRUE(res->reserved(*net::IpAddr::parse("10.244.1.7")));
  EXPECT_FALSE(res->reserved(*net::IpAddr::parse("10.244.0.4")));
  EXPECT_TRUE(res->covers(*net::Cidr::parse("10.244.0.0/31")));
  EXPECT_FALSE(res->covers(*net::Cidr::parse("10.244.0.0/26")));
  r.spec.reserved_cidrs = {"10.244.0.0/33"};
  auto bad = Reservations::from({r});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("IPReservation infra: '10.244.0.0/33'"), std::string::npos);

  EXPECT_EQ(block_cap(std::nullopt, std::nullopt), 20U);
  EXPECT_EQ(block_cap(0, 0), 20U);
  EXPECT_EQ(block_cap(5, std::nullopt), 5U);
  EXPECT_EQ(block_cap(std::nullopt, 7), 7U);
  EXPECT_EQ(block_cap(9, 7), 7U);
}

}  // namespace
}  // namespace calico::ipam
