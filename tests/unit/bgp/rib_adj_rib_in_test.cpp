// Adj-RIB-In: import checks (loops, next hops), eBGP normalisation, change lists,
// treat-as-withdraw, counters and session-down withdrawal.
#include <gtest/gtest.h>

#include "bgp/rib/adj_rib_in.h"
#include "rib_test_util.h"

namespace calico::bgp {
namespace {

using namespace testing;  // rib_test_util.h

Update announce(std::vector<Prefix> nlri, PathAttributes attrs) {
  Update u;
  u.attrs = std::move(attrs);
  u.nlri = std::move(nlri);
  return u;
}

Update announce_v6(std::vector<Prefix> nlri, PathAttributes attrs) {
  Update u;
  u.attrs = std::move(attrs);
  u.mp_reach = MpReach{kIpv6Unicast, std::move(nlri)};
  return u;
}

class RibAdjRibIn : public ::testing::Test {
 protected:
  AttrStore store;
  AdjRibIn rib{store};
  PeerInfo ebgp = make_peer(1, 65001, "172.16.0.1", {.local_v6 = true});
  PeerInfo ibgp = make_peer(2, kLocalAs, "10.0.0.2", {.local_v6 = true});
};

TEST_F(RibAdjRibIn, AcceptsAndReportsChangesSortedByPrefix) {
  const auto r = rib.apply(
      ebgp, announce({pfx("10.2.0.0/16"), pfx("10.1.0.0/16")}, path({65001}, "172.16.0.1")));
  EXPECT_TRUE(r.rejections.empty());
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].prefix, pfx("10.1.0.0/16"));
  EXPECT_EQ(r.changes[1].prefix, pfx("10.2.0.0/16"));
  EXPECT_TRUE(r.changes[0].attrs == r.changes[1].attrs);  // one interned copy
  EXPECT_EQ(rib.route_count(ebgp.id), 2u);
  EXPECT_TRUE(rib.lookup(ebgp.id, pfx("10.1.0.0/16")) == r.changes[0].attrs);
  EXPECT_EQ(store.size(), 1u);
}

TEST_F(RibAdjRibIn, IdenticalReannouncementChangesNothing) {
  EXPECT_EQ(
      rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, path({65001}, "172.16.0.1"))).changes.size(),
      1u);
  const auto again = rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, path({65001}, "172.16.0.1")));
  EXPECT_TRUE(again.changes.empty());
  const auto other = rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, path({65001}, "172.16.0.9")));
  ASSERT_EQ(other.changes.size(), 1u);
  EXPECT_EQ(other.changes[0].attrs->next_hop, ip("172.16.0.9"));
  EXPECT_EQ(store.size(), 1u);  // the replaced attributes were freed
}

TEST_F(RibAdjRibIn, EbgpAsLoopIsRejected) {
  rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, path({65001}, "172.16.0.1")));
  const auto r =
      rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, path({65001, kLocalAs, 65003}, "172.16.0.1")));
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0], (Rejection{RejectReason::AsLoop, kIpv4Unicast, 1}));
  EXPECT_EQ(to_string(r.rejections[0].reason), "rejected: AS loop");
  // The looped announcement replaces (withdraws) the previous route.
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_FALSE(r.changes[0].attrs);
  EXPECT_EQ(rib.route_count(ebgp.id), 0u);
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(RibAdjRibIn, IbgpPathsAreNotLoopChecked) {
  EXPECT_EQ(check_loops(ibgp, path({65001, kLocalAs}, "10.0.0.2")), std::nullopt);
  EXPECT_EQ(check_loops(ebgp, path({65001, kLocalAs}, "10.0.0.2")), RejectReason::AsLoop);
}

TEST_F(RibAdjRibIn, OriginatorIdLoopIsRejected) {
  PathAttributes a = path({}, "10.0.0.2");
  a.originator_id = ibgp.local_router_id;
  const auto r = rib.apply(ibgp, announce({pfx("10.9.0.0/16")}, a));
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::OriginatorId);
  EXPECT_TRUE(r.changes.empty());
}

TEST_F(RibAdjRibIn, ClusterListLoopIsRejected) {
  PathAttributes a = path({}, "10.0.0.2");
  a.originator_id = rid("10.0.0.7");
  a.cluster_list = {rid("9.9.9.9"), ibgp.local_router_id};  // default cluster id
  EXPECT_EQ(check_loops(ibgp, a), RejectReason::ClusterList);
  PeerInfo configured = ibgp;
  configured.cluster_id = rid("9.9.9.9");
  EXPECT_EQ(check_loops(configured, a), RejectReason::ClusterList);
  configured.cluster_id = rid("8.8.8.8");
  a.cluster_list = {rid("9.9.9.9")};
  EXPECT_EQ(check_loops(configured, a), std::nullopt);
}

TEST_F(RibAdjRibIn, EbgpRoutesLoseInternalAttributes) {
  PathAttributes a = path({65001}, "172.16.0.1");
  a.local_pref = 500;
  a.originator_id = rid("1.2.3.4");
  a.cluster_list = {rid("5.6.7.8")};
  a.med = 7;
  const auto r = rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, a));
  ASSERT_EQ(r.changes.size(), 1u);
  const PathAttributes& got = *r.changes[0].attrs;
  EXPECT_FALSE(got.local_pref);
  EXPECT_FALSE(got.originator_id);
  EXPECT_TRUE(got.cluster_list.empty());
  EXPECT_EQ(got.med, 7u);
}

TEST_F(RibAdjRibIn, IbgpRoutesKeepLocalPref) {
  PathAttributes a = path({}, "10.0.0.2");
  a.local_pref = 500;
  const auto r = rib.apply(ibgp, announce({pfx("10.1.0.0/16")}, a));
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].attrs->local_pref, 500u);
}

TEST_F(RibAdjRibIn, NextHopChecks) {
  const auto v4 = net::Family::V4;
  const auto v6 = net::Family::V6;
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "172.16.0.1"), v4), std::nullopt);
  PathAttributes none = path({65001}, "172.16.0.1");
  none.next_hop.reset();
  EXPECT_EQ(check_next_hop(ebgp, none, v4), RejectReason::MissingNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "fd00::5"), v4), RejectReason::MissingNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "0.0.0.0"), v4), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "224.0.0.5"), v4), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "10.0.0.1"), v4), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "fd00::5"), v6), std::nullopt);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "fe80::5"), v6), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "::"), v6), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "fd00::1"), v6), RejectReason::InvalidNextHop);
  EXPECT_EQ(check_next_hop(ebgp, path({65001}, "172.16.0.1"), v6), RejectReason::MissingNextHop);
}

TEST_F(RibAdjRibIn, Ipv6RoutesFromMpReach) {
  PathAttributes a = path({65001}, "fd00::2");
  a.link_local_next_hop = ip("fe80::2");
  const auto r = rib.apply(ebgp, announce_v6({pfx("fd10::/64"), pfx("fd11::/64")}, a));
  EXPECT_TRUE(r.rejections.empty());
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].attrs->next_hop, ip("fd00::2"));
  EXPECT_EQ(r.changes[0].attrs->link_local_next_hop, ip("fe80::2"));

  Update w;
  w.mp_unreach = MpUnreach{kIpv6Unicast, {pfx("fd10::/64")}};
  const auto wr = rib.apply(ebgp, w);
  ASSERT_EQ(wr.changes.size(), 1u);
  EXPECT_EQ(wr.changes[0], (PathChange{pfx("fd10::/64"), AttrRef{}}));
}

TEST_F(RibAdjRibIn, MixedFamiliesKeepOnlyTheFamilyOfTheNextHop) {
  Update u = announce({pfx("10.1.0.0/16")}, path({65001}, "fd00::2"));
  u.mp_reach = MpReach{kIpv6Unicast, {pfx("fd10::/64")}};
  const auto r = rib.apply(ebgp, u);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].prefix, pfx("fd10::/64"));
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0], (Rejection{RejectReason::MissingNextHop, kIpv4Unicast, 1}));
}

TEST_F(RibAdjRibIn, NlriWithoutAttributesIsRejected) {
  Update u;
  u.nlri = {pfx("10.1.0.0/16")};
  const auto r = rib.apply(ebgp, u);
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::MissingAttributes);
}

TEST_F(RibAdjRibIn, WithdrawThenAnnounceInOneUpdateIsNetted) {
  const auto a = path({65001}, "172.16.0.1");
  rib.apply(ebgp, announce({pfx("10.1.0.0/16")}, a));
  Update u = announce({pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}, a);
  u.withdrawn = {pfx("10.1.0.0/16"), pfx("10.3.0.0/16")};
  const auto r = rib.apply(ebgp, u);
  // 10.1 withdrawn and re-announced with the same attributes: no change; 10.3 unknown.
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].prefix, pfx("10.2.0.0/16"));
  EXPECT_EQ(rib.route_count(ebgp.id), 2u);
}

TEST_F(RibAdjRibIn, TreatAsWithdrawRemovesEveryPrefix) {
  const auto a = path({65001}, "172.16.0.1");
  rib.apply(ebgp, announce({pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}, a));
  Update bad = announce({pfx("10.1.0.0/16")}, path({65001, 65002}, "172.16.0.1"));
  bad.withdrawn = {pfx("10.2.0.0/16")};
  const auto r = rib.apply(ebgp, bad, /*treat_as_withdraw=*/true);
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_FALSE(r.changes[0].attrs);
  EXPECT_FALSE(r.changes[1].attrs);
  EXPECT_EQ(rib.route_count(ebgp.id), 0u);
  EXPECT_EQ(rib.stats(ebgp.id).withdrawn, 2u);
}

TEST_F(RibAdjRibIn, Counters) {
  rib.apply(ebgp, announce({pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}, path({65001}, "172.16.0.1")));
  rib.apply(ebgp, announce({pfx("10.3.0.0/16")}, path({65001, kLocalAs}, "172.16.0.1")));
  Update w;
  w.withdrawn = {pfx("10.1.0.0/16")};
  rib.apply(ebgp, w);
  EXPECT_EQ(rib.stats(ebgp.id), (AdjRibInStats{3, 2, 1, 1}));
  EXPECT_EQ(rib.route_count(ebgp.id), 1u);
}

TEST_F(RibAdjRibIn, WithdrawAllOnSessionDown) {
  rib.apply(ebgp, announce({pfx("10.2.0.0/16"), pfx("10.1.0.0/16")}, path({65001}, "172.16.0.1")));
  rib.apply(ebgp, announce_v6({pfx("fd10::/64")}, path({65001}, "fd00::2")));
  rib.apply(ibgp, announce({pfx("10.1.0.0/16")}, path({}, "10.0.0.2")));
  const auto w = rib.withdraw_all(ebgp.id);
  EXPECT_EQ(w, (std::vector<PathChange>{
                   {pfx("10.1.0.0/16"), {}}, {pfx("10.2.0.0/16"), {}}, {pfx("fd10::/64"), {}}}));
  EXPECT_EQ(rib.route_count(ebgp.id), 0u);
  EXPECT_EQ(rib.route_count(ibgp.id), 1u);
  EXPECT_EQ(store.size(), 1u);  // only the iBGP route's attributes remain
  EXPECT_TRUE(rib.withdraw_all(ebgp.id).empty());
  rib.forget_peer(ebgp.id);
  EXPECT_EQ(rib.stats(ebgp.id), AdjRibInStats{});
}

}  // namespace
}  // namespace calico::bgp
