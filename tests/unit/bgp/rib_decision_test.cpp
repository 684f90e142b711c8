// Decision process: every step alone (both argument orders, pairwise and set-wise), order
// independence over all permutations, the MED non-transitivity case, and ECMP membership.
#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/rib/decision.h"
#include "rib_test_util.h"

namespace calico::bgp {
namespace {

using namespace testing;  // rib_test_util.h

// The decision tests' peers have no local addresses; `router_id` is their BGP Identifier.
PeerInfo peer(PeerId id, std::uint32_t as, const char* addr, const char* router_id) {
  return make_peer(id, as, addr, {.router_id = router_id, .local_v4 = false});
}

// Both argument orders, pairwise and through select_best(): `a` wins at `step`.
void expect_wins(const Candidate& a, const Candidate& b, DecisionStep step) {
  const Comparison ab = compare(a, b);
  EXPECT_LT(ab.order, 0) << to_string(step);
  EXPECT_EQ(ab.step, step) << to_string(ab.step) << " vs " << to_string(step);
  const Comparison ba = compare(b, a);
  EXPECT_GT(ba.order, 0) << to_string(step);
  EXPECT_EQ(ba.step, step);

  const Candidate ab_set[] = {a, b};
  const Selection s1 = select_best(ab_set);
  EXPECT_EQ(s1.best, 0u);
  EXPECT_EQ(s1.step, step) << to_string(s1.step);
  const Candidate ba_set[] = {b, a};
  const Selection s2 = select_best(ba_set);
  EXPECT_EQ(s2.best, 1u);
  EXPECT_EQ(s2.step, step);
}

class RibDecision : public ::testing::Test {
 protected:
  // Two iBGP and three eBGP peers (two of them in AS 65001).
  PeerInfo ibgp1 = peer(1, kLocalAs, "10.0.0.11", "10.0.0.11");
  PeerInfo ibgp2 = peer(2, kLocalAs, "10.0.0.12", "10.0.0.12");
  PeerInfo ebgp1 = peer(3, 65001, "172.16.0.1", "172.16.0.1");
  PeerInfo ebgp2 = peer(4, 65001, "172.16.0.2", "172.16.0.2");
  PeerInfo ebgp3 = peer(5, 65002, "172.16.0.3", "172.16.0.3");
};

TEST_F(RibDecision, LocalPrefHigherWinsAndAbsentMeans100) {
  PathAttributes hi = path({65001});
  hi.local_pref = 200;
  PathAttributes lo = path({65001});
  lo.local_pref = 50;
  PathAttributes absent = path({65001});
  expect_wins({&hi, &ibgp2}, {&absent, &ibgp1}, DecisionStep::LocalPref);
  expect_wins({&absent, &ibgp2}, {&lo, &ibgp1}, DecisionStep::LocalPref);
  PathAttributes hundred = path({65001});
  hundred.local_pref = 100;
  EXPECT_EQ(compare_local_pref({&hundred, &ibgp1}, {&absent, &ibgp2}), 0);
  EXPECT_EQ(effective_local_pref({&absent, &ibgp1}), kDefaultLocalPref);
}

TEST_F(RibDecision, LocallyOriginatedBeatsLearned) {
  PathAttributes local = path({});
  PathAttributes learned = path({});
  expect_wins({&local, nullptr}, {&learned, &ibgp1}, DecisionStep::LocallyOriginated);
  // Even against a shorter-looking eBGP route: step 2 precedes AS_PATH length.
  PathAttributes local_long = path({65100, 65101});
  PathAttributes ebgp_short = path({65001});
  expect_wins({&local_long, nullptr}, {&ebgp_short, &ebgp1}, DecisionStep::LocallyOriginated);
}

TEST_F(RibDecision, ShorterAsPathWinsAndAsSetCountsOne) {
  PathAttributes shorter = path({65001});
  PathAttributes longer = path({65001, 65010});
  expect_wins({&shorter, &ebgp2}, {&longer, &ebgp1}, DecisionStep::AsPathLength);

  PathAttributes with_set = path({65001});
  with_set.as_path.segments.push_back(AsSegment{AsSegmentType::Set, {65020, 65021, 65022}});
  PathAttributes three = path({65001, 65030, 65031});
  EXPECT_EQ(with_set.as_path.path_length(), 2u);
  expect_wins({&with_set, &ebgp2}, {&three, &ebgp1}, DecisionStep::AsPathLength);
}

TEST_F(RibDecision, LowerOriginWins) {
  PathAttributes igp = path({65001});
  PathAttributes egp = path({65001});
  egp.origin = Origin::Egp;
  PathAttributes incomplete = path({65001});
  incomplete.origin = Origin::Incomplete;
  expect_wins({&igp, &ebgp2}, {&egp, &ebgp1}, DecisionStep::Origin);
  expect_wins({&egp, &ebgp2}, {&incomplete, &ebgp1}, DecisionStep::Origin);
}

TEST_F(RibDecision, LowerMedWinsWithinOneNeighbourAs) {
  PathAttributes low = path({65001});
  low.med = 10;
  PathAttributes high = path({65001});
  high.med = 20;
  expect_wins({&low, &ebgp2}, {&high, &ebgp1}, DecisionStep::Med);
  // Missing MED is 0 (RFC 4271 §9.1.2.2 c), the best possible value.
  PathAttributes missing = path({65001});
  expect_wins({&missing, &ebgp2}, {&low, &ebgp1}, DecisionStep::Med);
}

TEST_F(RibDecision, MedIgnoredAcrossNeighbourAses) {
  PathAttributes low = path({65002});
  low.med = 10;
  PathAttributes high = path({65001});
  high.med = 1000;
  const Candidate a{&high, &ebgp1};  // router id 172.16.0.1 < 172.16.0.3
  const Candidate b{&low, &ebgp3};
  EXPECT_EQ(compare_med(a, b), 0);
  expect_wins(a, b, DecisionStep::RouterId);
}

TEST_F(RibDecision, NeighbourAsOfInternalRoutes) {
  PathAttributes empty = path({});
  PathAttributes set_first = path({});
  set_first.as_path.segments.push_back(AsSegment{AsSegmentType::Set, {65001, 65002}});
  // Both "our own AS": their MEDs are comparable.
  EXPECT_EQ(neighbor_as({&empty, &ibgp1}), 0u);
  EXPECT_EQ(neighbor_as({&set_first, &ibgp2}), 0u);
  EXPECT_EQ(neighbor_as({&empty, nullptr}), 0u);
  // An eBGP route with an empty path (not expected on the wire) uses the peer's AS.
  EXPECT_EQ(neighbor_as({&empty, &ebgp3}), 65002u);
  empty.med = 5;
  EXPECT_GT(compare_med({&empty, &ibgp1}, {&set_first, &ibgp2}), 0);
}

TEST_F(RibDecision, EbgpBeatsIbgp) {
  PathAttributes a = path({65001});
  PathAttributes b = path({65001});
  // ibgp1's router id (10.0.0.11) is lower, so only step 6 can make eBGP win.
  expect_wins({&a, &ebgp1}, {&b, &ibgp1}, DecisionStep::EbgpOverIbgp);
}

TEST_F(RibDecision, IgpCostIsAlwaysEqual) {
  PathAttributes a = path({65001}, "192.0.2.1");
  PathAttributes b = path({65001}, "198.51.100.1");
  EXPECT_EQ(compare_igp_cost({&a, &ibgp1}, {&b, &ibgp2}), 0);
}

TEST_F(RibDecision, LowerRouterIdWinsAndOriginatorIdReplacesIt) {
  PathAttributes a = path({65001});
  PathAttributes b = path({65001});
  expect_wins({&a, &ibgp1}, {&b, &ibgp2}, DecisionStep::RouterId);

  // RFC 4456 §9: a reflected route competes with its ORIGINATOR_ID.
  PathAttributes reflected = path({65001});
  reflected.originator_id = rid("1.1.1.1");
  EXPECT_EQ(effective_router_id({&reflected, &ibgp2}), rid("1.1.1.1"));
  expect_wins({&reflected, &ibgp2}, {&b, &ibgp1}, DecisionStep::RouterId);
}

TEST_F(RibDecision, ShorterClusterListWins) {
  PathAttributes a = path({65001});
  a.originator_id = rid("1.1.1.1");
  a.cluster_list = {rid("2.2.2.2")};
  PathAttributes b = a;
  b.cluster_list = {rid("3.3.3.3"), rid("2.2.2.2")};
  expect_wins({&a, &ibgp2}, {&b, &ibgp1}, DecisionStep::ClusterListLength);
}

TEST_F(RibDecision, LowerPeerAddressWins) {
  PathAttributes a = path({65001});
  a.originator_id = rid("1.1.1.1");
  PathAttributes b = a;
  PeerInfo low = peer(7, kLocalAs, "10.0.0.5", "10.0.0.99");
  PeerInfo high = peer(6, kLocalAs, "10.0.0.6", "10.0.0.98");
  expect_wins({&a, &low}, {&b, &high}, DecisionStep::PeerAddress);
}

TEST_F(RibDecision, SingleCandidate) {
  PathAttributes a = path({65001});
  const Candidate one[] = {{&a, &ebgp1}};
  const Selection s = select_best(one);
  EXPECT_EQ(s.best, 0u);
  EXPECT_EQ(s.step, DecisionStep::OnlyPath);
  EXPECT_EQ(s.multipath, std::vector<std::size_t>{0});
}

TEST_F(RibDecision, PairwiseCompareAgreesWithSelectionForEveryPair) {
  std::vector<PathAttributes> attrs(6, path({65001}));
  attrs[1].med = 7;
  attrs[2] = path({65002});
  attrs[3].local_pref = 300;
  attrs[4].origin = Origin::Incomplete;
  attrs[5].originator_id = rid("9.9.9.9");
  const PeerInfo* peers[] = {&ibgp1, &ibgp2, &ebgp1, &ebgp2, &ebgp3};
  std::vector<Candidate> all;
  for (const auto& a : attrs) {
    for (const PeerInfo* p : peers) {
      all.push_back({&a, p});
    }
  }
  for (const Candidate& a : all) {
    for (const Candidate& b : all) {
      if (a.peer == b.peer) {
        continue;  // one route per peer and prefix
      }
      const Candidate pair[] = {a, b};
      const Selection s = select_best(pair);
      const Comparison c = compare(a, b);
      ASSERT_NE(c.order, 0);
      EXPECT_EQ(s.best, c.order < 0 ? 0u : 1u);
      EXPECT_EQ(s.step, c.step);
    }
  }
}

// The classic cycle: r1 beats r2 (router id), r2 beats r3 (router id), r3 beats r1
// (MED, same neighbour AS).  The RFC elimination removes r1 at the MED step first, so r2
// is the answer whatever the order; a sequential pairwise fold depends on the order.
TEST_F(RibDecision, MedNonTransitivityUsesGroupElimination) {
  PeerInfo as100_a = peer(1, 100, "172.16.1.1", "0.0.0.1");
  PeerInfo as200 = peer(2, 200, "172.16.1.2", "0.0.0.2");
  PeerInfo as100_b = peer(3, 100, "172.16.1.3", "0.0.0.3");
  PathAttributes a1 = path({100});
  a1.med = 20;
  PathAttributes a2 = path({200});
  a2.med = 0;
  PathAttributes a3 = path({100});
  a3.med = 10;
  const Candidate r1{&a1, &as100_a}, r2{&a2, &as200}, r3{&a3, &as100_b};
  ASSERT_LT(compare(r1, r2).order, 0);
  ASSERT_LT(compare(r2, r3).order, 0);
  ASSERT_LT(compare(r3, r1).order, 0);  // the cycle

  std::vector<Candidate> cands = {r1, r2, r3};
  std::vector<int> idx = {0, 1, 2};
  std::vector<const PeerInfo*> fold_results;
  do {
    std::vector<Candidate> ordered;
    for (int i : idx) {
      ordered.push_back(cands[static_cast<std::size_t>(i)]);
    }
    const Selection s = select_best(ordered);
    EXPECT_EQ(ordered[s.best].peer, &as200);
    EXPECT_EQ(s.step, DecisionStep::RouterId);
    // What a naive "keep the pairwise winner" loop would pick.
    Candidate best = ordered[0];
    for (std::size_t i = 1; i < ordered.size(); ++i) {
      if (compare(ordered[i], best).order < 0) {
        best = ordered[i];
      }
    }
    fold_results.push_back(best.peer);
  } while (std::next_permutation(idx.begin(), idx.end()));
  EXPECT_NE(std::count(fold_results.begin(), fold_results.end(), &as200),
            static_cast<std::ptrdiff_t>(fold_results.size()));
}

TEST_F(RibDecision, AllInsertionOrdersGiveTheSameBestAndEcmpSet) {
  PeerInfo p6 = peer(6, 65003, "172.16.0.6", "172.16.0.6");
  std::vector<PathAttributes> attrs = {
      path({65001, 65100}, "192.0.2.1"),  // ebgp1
      path({65001, 65100}, "192.0.2.2"),  // ebgp2, same AS: ECMP with ebgp1
      path({65002, 65100}, "192.0.2.3"),  // ebgp3, other AS: not ECMP (relax off)
      path({65100}, "10.0.0.11"),         // ibgp1: shorter path but...
      path({65003, 65100, 65101}, "192.0.2.6"),
  };
  attrs[0].med = 5;
  attrs[1].med = 5;
  attrs[2].med = 1;
  attrs[3].local_pref = 90;  // ...lower LOCAL_PREF
  const PeerInfo* peers[] = {&ebgp1, &ebgp2, &ebgp3, &ibgp1, &p6};
  std::vector<std::size_t> perm(attrs.size());
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  int orders = 0;
  do {
    std::vector<Candidate> c;
    for (std::size_t i : perm) {
      c.push_back({&attrs[i], peers[i]});
    }
    const Selection s = select_best(c);
    EXPECT_EQ(c[s.best].peer, &ebgp1);
    EXPECT_EQ(s.step, DecisionStep::RouterId);
    ASSERT_EQ(s.multipath.size(), 2u);
    EXPECT_EQ(c[s.multipath[0]].peer, &ebgp1);
    EXPECT_EQ(c[s.multipath[1]].peer, &ebgp2);
    ++orders;
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(orders, 120);
}

TEST_F(RibDecision, EcmpRequiresEqualityThroughIgpCost) {
  PathAttributes base = path({65001, 65100}, "192.0.2.1");
  PathAttributes same = path({65001, 65100}, "192.0.2.2");
  PathAttributes longer = path({65001, 65200, 65100}, "192.0.2.3");
  PathAttributes worse_origin = base;
  worse_origin.origin = Origin::Egp;
  worse_origin.next_hop = ip("192.0.2.4");
  PathAttributes worse_med = base;
  worse_med.med = 9;
  worse_med.next_hop = ip("192.0.2.5");
  PeerInfo e6 = peer(6, 65001, "172.16.0.6", "172.16.0.6");
  PeerInfo e7 = peer(7, 65001, "172.16.0.7", "172.16.0.7");
  PeerInfo e8 = peer(8, 65001, "172.16.0.8", "172.16.0.8");
  const Candidate c[] = {
      {&base, &ebgp1}, {&same, &ebgp2}, {&longer, &e6}, {&worse_origin, &e7}, {&worse_med, &e8}};
  const Selection s = select_best(c);
  EXPECT_EQ(s.best, 0u);
  EXPECT_EQ(s.multipath, (std::vector<std::size_t>{0, 1}));
}

TEST_F(RibDecision, EcmpExcludesIbgpWhenEbgpExistsAndOtherNeighbourAs) {
  PathAttributes a = path({65001}, "192.0.2.1");
  PathAttributes b = path({65002}, "192.0.2.2");  // same length, other AS
  PathAttributes c = path({65001}, "10.0.0.50");  // iBGP copy
  const Candidate cands[] = {{&a, &ebgp1}, {&b, &ebgp3}, {&c, &ibgp1}};
  const Selection s = select_best(cands);
  EXPECT_EQ(s.best, 0u);
  EXPECT_EQ(s.multipath, std::vector<std::size_t>{0});
}

TEST_F(RibDecision, IbgpEcmpAcrossNeighbourAsesWithIncomparableMeds) {
  PathAttributes a = path({65001}, "10.0.0.11");
  a.med = 50;
  PathAttributes b = path({65002}, "10.0.0.12");
  b.med = 10;
  const Candidate cands[] = {{&b, &ibgp2}, {&a, &ibgp1}};
  const Selection s = select_best(cands);
  EXPECT_EQ(s.best, 1u);  // router id
  EXPECT_EQ(s.multipath, (std::vector<std::size_t>{1, 0}));
}

TEST_F(RibDecision, EcmpMemberThatLosesMedInItsGroupIsExcluded) {
  // iBGP: best from AS 65001; AS 65002 has two routes, only the lower-MED one survives.
  PathAttributes a = path({65001}, "10.0.0.11");
  PathAttributes b_hi = path({65002}, "10.0.0.12");
  b_hi.med = 50;
  PathAttributes b_lo = path({65002}, "10.0.0.13");
  b_lo.med = 20;
  PeerInfo ibgp3 = peer(9, kLocalAs, "10.0.0.13", "10.0.0.13");
  const Candidate cands[] = {{&a, &ibgp1}, {&b_hi, &ibgp2}, {&b_lo, &ibgp3}};
  const Selection s = select_best(cands);
  EXPECT_EQ(s.best, 0u);
  EXPECT_EQ(s.multipath, (std::vector<std::size_t>{0, 2}));
}

TEST_F(RibDecision, MaxPathsLimitsEcmpAndOneDisablesIt) {
  std::vector<PathAttributes> attrs;
  std::vector<PeerInfo> peers;
  for (int i = 0; i < 10; ++i) {
    const std::string a = "172.16.2." + std::to_string(i + 1);
    peers.push_back(peer(static_cast<PeerId>(i + 1), 65001, a.c_str(), a.c_str()));
    attrs.push_back(path({65001}, a.c_str()));
  }
  std::vector<Candidate> c;
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    c.push_back({&attrs[i], &peers[i]});
  }
  EXPECT_EQ(select_best(c).multipath.size(), kDefaultMaxPaths);
  EXPECT_EQ(select_best(c, 3).multipath, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(select_best(c, 1).multipath, std::vector<std::size_t>{0});
  EXPECT_EQ(select_best(c, 0).multipath, std::vector<std::size_t>{0});
}

TEST_F(RibDecision, LocalBestHasNoEcmpSet) {
  PathAttributes local = path({});
  PathAttributes learned = path({});
  const Candidate c[] = {{&learned, &ibgp1}, {&local, nullptr}};
  const Selection s = select_best(c);
  EXPECT_EQ(s.best, 1u);
  EXPECT_EQ(s.multipath, std::vector<std::size_t>{1});
}

TEST_F(RibDecision, StepNames) {
  EXPECT_EQ(to_string(DecisionStep::LocalPref), "local-pref");
  EXPECT_EQ(to_string(DecisionStep::Med), "med");
  EXPECT_EQ(to_string(DecisionStep::ClusterListLength), "cluster-list-length");
}

}  // namespace
}  // namespace calico::bgp
