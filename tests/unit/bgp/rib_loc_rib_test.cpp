// Loc-RIB: best-path changes, ECMP next-hop sets, local origination, session down, and
// that interned attributes are freed once no route uses them.
#include <gtest/gtest.h>

#include "bgp/rib/adj_rib_in.h"
#include "bgp/rib/loc_rib.h"
#include "rib_test_util.h"

namespace calico::bgp {
namespace {

using namespace testing;  // rib_test_util.h

class RibLocRib : public LocRibTest {
 protected:
  RibLocRib() {
    peers.upsert(e1);
    peers.upsert(e2);
    peers.upsert(e3);
    peers.upsert(i1);
  }

  PeerInfo e1 = make_peer(1, 65001, "172.16.0.1");
  PeerInfo e2 = make_peer(2, 65001, "172.16.0.2");
  PeerInfo e3 = make_peer(3, 65002, "172.16.0.3");
  PeerInfo i1 = make_peer(4, kLocalAs, "10.0.0.4");
};

TEST_F(RibLocRib, FirstRouteBecomesBest) {
  const auto ch = add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1"));
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].prefix, pfx("10.1.0.0/16"));
  EXPECT_FALSE(ch[0].old_best);
  EXPECT_EQ(ch[0].new_best.peer, e1.id);
  EXPECT_EQ(ch[0].next_hops, std::vector<net::IpAddr>{ip("172.16.0.1")});
  EXPECT_TRUE(ch[0].best_changed());
  EXPECT_EQ(rib.prefix_count(), 1u);
  EXPECT_EQ(rib.path_count(), 1u);
  EXPECT_EQ(rib.decided_by(pfx("10.1.0.0/16")), DecisionStep::OnlyPath);
}

TEST_F(RibLocRib, BetterRouteReplacesBestAndWorseOneChangesNothing) {
  add(e1, "10.1.0.0/16", path({65001, 65100}, "172.16.0.1"));
  const auto better = add(e3, "10.1.0.0/16", path({65002}, "172.16.0.3"));
  ASSERT_EQ(better.size(), 1u);
  EXPECT_EQ(better[0].old_best.peer, e1.id);
  EXPECT_EQ(better[0].new_best.peer, e3.id);
  EXPECT_EQ(rib.decided_by(pfx("10.1.0.0/16")), DecisionStep::AsPathLength);

  EXPECT_TRUE(add(i1, "10.1.0.0/16", path({65005, 65006, 65007}, "10.0.0.4")).empty());
  EXPECT_EQ(rib.path_count(), 3u);

  const auto back = del(e3, "10.1.0.0/16");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].new_best.peer, e1.id);
}

TEST_F(RibLocRib, EcmpNextHopsChangeWithoutBestChange) {
  add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1"));
  const auto second = add(e2, "10.1.0.0/16", path({65001}, "172.16.0.2"));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(second[0].best_changed());  // e1 still best (lower router id)
  EXPECT_EQ(second[0].next_hops, (std::vector<net::IpAddr>{ip("172.16.0.1"), ip("172.16.0.2")}));
  EXPECT_EQ(rib.next_hops(pfx("10.1.0.0/16")), second[0].next_hops);
  // Another neighbour AS is not merged (multipath relax off).
  EXPECT_TRUE(add(e3, "10.1.0.0/16", path({65002}, "172.16.0.3")).empty());

  const auto routes = rib.routes(pfx("10.1.0.0/16"));
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_TRUE(routes[0].best && routes[0].multipath);
  EXPECT_EQ(routes[0].peer, e1.id);
  EXPECT_TRUE(!routes[1].best && routes[1].multipath);
  EXPECT_FALSE(routes[2].multipath);

  const auto gone = del(e2, "10.1.0.0/16");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].next_hops, std::vector<net::IpAddr>{ip("172.16.0.1")});
}

TEST_F(RibLocRib, MaxPathsOneDisablesEcmp) {
  LocRib single(peers, store, LocRib::Options{1});
  const PathChange a{pfx("10.1.0.0/16"), store.intern(path({65001}, "172.16.0.1"))};
  const PathChange b{pfx("10.1.0.0/16"), store.intern(path({65001}, "172.16.0.2"))};
  single.apply(e1.id, std::span<const PathChange>(&a, 1));
  EXPECT_TRUE(single.apply(e2.id, std::span<const PathChange>(&b, 1)).empty());
  EXPECT_EQ(single.next_hops(pfx("10.1.0.0/16")), std::vector<net::IpAddr>{ip("172.16.0.1")});
}

TEST_F(RibLocRib, LocallyOriginatedRouteWinsAndHasNoNextHops) {
  add(e1, "10.65.0.0/26", path({65001}, "172.16.0.1"));
  PathAttributes own;
  auto r = rib.originate(pfx("10.65.0.0/26"), own);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].new_best.peer, kLocalPeerId);
  EXPECT_TRUE((*r)[0].next_hops.empty());
  EXPECT_EQ(rib.decided_by(pfx("10.65.0.0/26")), DecisionStep::LocallyOriginated);

  const auto w = rib.withdraw_local(pfx("10.65.0.0/26"));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].old_best.peer, kLocalPeerId);
  EXPECT_EQ(w[0].new_best.peer, e1.id);
  EXPECT_TRUE(rib.withdraw_local(pfx("10.65.0.0/26")).empty());
}

TEST_F(RibLocRib, OriginateRejectsUnmaskedPrefixes) {
  const auto r = rib.originate(Prefix(ip("10.65.0.1"), 26), PathAttributes{});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("host bits"), std::string::npos);
}

TEST_F(RibLocRib, BatchesAreGroupedPerPrefixAndSorted) {
  const auto a1 = store.intern(path({65001}, "172.16.0.1"));
  const auto a2 = store.intern(path({65001, 65009}, "172.16.0.1"));
  const std::vector<PathChange> batch = {{pfx("10.3.0.0/16"), a1},
                                         {pfx("10.1.0.0/16"), a1},
                                         {pfx("10.3.0.0/16"), a2},
                                         {pfx("10.2.0.0/16"), AttrRef{}}};
  const auto ch = rib.apply(e1.id, batch);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0].prefix, pfx("10.1.0.0/16"));
  EXPECT_EQ(ch[1].prefix, pfx("10.3.0.0/16"));
  EXPECT_TRUE(ch[1].new_best.attrs == a2);  // the last change for a prefix wins
  EXPECT_EQ(rib.prefix_count(), 2u);
}

TEST_F(RibLocRib, SessionDownPipelineAndAttributesAreFreed) {
  AdjRibIn in(store);
  Update u;
  u.attrs = path({65001}, "172.16.0.1");
  for (int i = 0; i < 100; ++i) {
    u.nlri.push_back(
        Prefix(net::IpAddr::v4(0x0A000000u + (static_cast<std::uint32_t>(i) << 8)), 24));
  }
  EXPECT_EQ(rib.apply(e1.id, in.apply(e1, u).changes).size(), 100u);
  Update u2 = u;
  u2.attrs = path({65001}, "172.16.0.2");
  rib.apply(e2.id, in.apply(e2, u2).changes);
  EXPECT_EQ(rib.path_count(), 200u);
  EXPECT_EQ(store.size(), 2u);

  {
    // e1 goes down: every prefix moves to e2 (best and ECMP set change).
    const auto down = rib.apply(e1.id, in.withdraw_all(e1.id));
    ASSERT_EQ(down.size(), 100u);
    for (const auto& c : down) {
      EXPECT_EQ(c.old_best.peer, e1.id);
      EXPECT_EQ(c.new_best.peer, e2.id);
      EXPECT_EQ(c.next_hops, std::vector<net::IpAddr>{ip("172.16.0.2")});
    }
  }
  EXPECT_EQ(store.size(), 1u);  // e1's attributes went with its last route
  {
    const auto gone = rib.apply(e2.id, in.withdraw_all(e2.id));
    EXPECT_EQ(gone.size(), 100u);
    EXPECT_FALSE(gone[0].new_best);
  }
  EXPECT_EQ(rib.prefix_count(), 0u);
  EXPECT_EQ(rib.path_count(), 0u);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(rib.memory_bytes(), 0u);
}

TEST_F(RibLocRib, ManyCandidatesSpillToTheHeapAndBack) {
  PeerTable many;
  std::vector<PeerInfo> infos;
  for (PeerId id = 1; id <= 20; ++id) {
    const std::string a = "172.16.1." + std::to_string(id);
    infos.push_back(make_peer(id, 65000 + id, a.c_str()));
    many.upsert(infos.back());
  }
  LocRib big(many, store);
  for (const auto& p : infos) {
    const PathChange c{pfx("10.1.0.0/16"),
                       store.intern(path({p.peer_as}, p.address.to_string().c_str()))};
    big.apply(p.id, std::span<const PathChange>(&c, 1));
  }
  EXPECT_EQ(big.path_count(), 20u);
  EXPECT_EQ(big.best(pfx("10.1.0.0/16")).peer, 1u);  // lowest router id
  for (const auto& p : infos) {
    const PathChange c{pfx("10.1.0.0/16"), AttrRef{}};
    big.apply(p.id, std::span<const PathChange>(&c, 1));
    if (p.id < 20) {
      EXPECT_EQ(big.best(pfx("10.1.0.0/16")).peer, p.id + 1);
    }
  }
  EXPECT_EQ(big.prefix_count(), 0u);
}

TEST_F(RibLocRib, EntryIsCompact) {
  EXPECT_EQ(sizeof(RibPath), 16u);
  EXPECT_EQ(sizeof(RibEntry), 24u);
}

}  // namespace
}  // namespace calico::bgp
