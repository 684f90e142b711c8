// Export policy: the route-reflection matrix, eBGP and iBGP rewrites, well-known
// communities, and next-hop availability per family.
#include <gtest/gtest.h>

#include "bgp/rib/export.h"
#include "rib_test_util.h"

namespace calico::bgp {
namespace {

using namespace testing;  // rib_test_util.h

constexpr auto kV4 = net::Family::V4;
constexpr auto kV6 = net::Family::V6;

class RibExport : public ::testing::Test {
 protected:
  PeerInfo client1 = make_peer(1, kLocalAs, "10.0.0.11", {.rr_client = true});
  PeerInfo client2 = make_peer(2, kLocalAs, "10.0.0.12", {.rr_client = true});
  PeerInfo nonclient1 = make_peer(3, kLocalAs, "10.0.0.13");
  PeerInfo nonclient2 = make_peer(4, kLocalAs, "10.0.0.14");
  PeerInfo ebgp1 = make_peer(5, 65001, "172.16.0.1");
  PeerInfo ebgp2 = make_peer(6, 65002, "172.16.0.2");
  AttrStore store;
};

// Sources (client / non-client / eBGP / local) x targets (client / non-client / eBGP).
TEST_F(RibExport, ReflectionMatrix) {
  struct Row {
    const PeerInfo* source;
    const PeerInfo* target;
    ExportFilter expected;
  };
  const PeerInfo* local = nullptr;
  const Row rows[] = {
      {&client1, &client2, ExportFilter::None},
      {&client1, &nonclient1, ExportFilter::None},
      {&client1, &ebgp1, ExportFilter::None},
      {&nonclient1, &client1, ExportFilter::None},
      {&nonclient1, &nonclient2, ExportFilter::IbgpNotReflected},
      {&nonclient1, &ebgp1, ExportFilter::None},
      {&ebgp1, &client1, ExportFilter::None},
      {&ebgp1, &nonclient1, ExportFilter::None},
      {&ebgp1, &ebgp2, ExportFilter::None},
      {local, &client1, ExportFilter::None},
      {local, &nonclient1, ExportFilter::None},
      {local, &ebgp1, ExportFilter::None},
      {&client1, &client1, ExportFilter::SourcePeer},
      {&nonclient1, &nonclient1, ExportFilter::SourcePeer},
      {&ebgp1, &ebgp1, ExportFilter::SourcePeer},
  };
  for (const Row& r : rows) {
    const PathAttributes a =
        path(r.source && r.source->is_ebgp() ? std::vector<std::uint32_t>{r.source->peer_as}
                                             : std::vector<std::uint32_t>{},
             "10.0.0.99");
    const ExportResult res = export_route(kV4, a, r.source, *r.target, store);
    EXPECT_EQ(res.filtered, r.expected)
        << (r.source ? r.source->address.to_string() : "local") << " -> "
        << r.target->address.to_string() << ": " << to_string(res.filtered);
    EXPECT_EQ(static_cast<bool>(res), r.expected == ExportFilter::None);
    // Only iBGP -> iBGP exports are reflections that carry RFC 4456 attributes.
    if (res) {
      const bool reflected = r.source && r.source->is_ibgp() && r.target->is_ibgp();
      EXPECT_EQ(res.attrs->originator_id.has_value(), reflected);
      EXPECT_EQ(res.attrs->cluster_list.size(), reflected ? 1u : 0u);
    }
  }
}

TEST_F(RibExport, ReflectionSetsOriginatorAndPrependsClusterId) {
  PathAttributes a = path({}, "10.0.0.11");
  const PathAttributes out = export_attributes(kV4, a, &client1, client2);
  EXPECT_EQ(out.originator_id, client1.router_id);
  EXPECT_EQ(out.cluster_list, std::vector<std::uint32_t>{rid("10.0.0.1")});  // default = router id
  EXPECT_EQ(out.next_hop, ip("10.0.0.11"));  // RR keeps the next hop
  EXPECT_EQ(out.local_pref, kDefaultLocalPref);

  // An existing ORIGINATOR_ID is kept; a configured cluster id is prepended.
  a.originator_id = rid("7.7.7.7");
  a.cluster_list = {rid("8.8.8.8")};
  PeerInfo target = nonclient1;
  target.cluster_id = rid("1.1.1.1");
  const PathAttributes again = export_attributes(kV4, a, &client1, target);
  EXPECT_EQ(again.originator_id, rid("7.7.7.7"));
  EXPECT_EQ(again.cluster_list, (std::vector<std::uint32_t>{rid("1.1.1.1"), rid("8.8.8.8")}));
}

TEST_F(RibExport, EbgpRewrites) {
  PathAttributes a = path({65002, 65100}, "172.16.0.2");
  a.local_pref = 300;
  a.med = 50;
  a.originator_id = rid("7.7.7.7");
  a.cluster_list = {rid("8.8.8.8")};
  a.communities = {0x00010002};
  const PathAttributes out = export_attributes(kV4, a, &ebgp2, ebgp1);
  EXPECT_EQ(out.as_path.to_string(), "64512 65002 65100");
  EXPECT_EQ(out.next_hop, ip("10.0.0.1"));
  EXPECT_FALSE(out.local_pref);
  EXPECT_FALSE(out.med);  // received from a neighbouring AS: never passed on
  EXPECT_FALSE(out.originator_id);
  EXPECT_TRUE(out.cluster_list.empty());
  EXPECT_EQ(out.communities, a.communities);
  EXPECT_EQ(out.origin, a.origin);
}

TEST_F(RibExport, LocallyOriginatedMedIsKeptTowardEbgp) {
  PathAttributes own;
  own.med = 10;
  const PathAttributes out = export_attributes(kV4, own, nullptr, ebgp1);
  EXPECT_EQ(out.med, 10u);
  EXPECT_EQ(out.as_path.to_string(), "64512");
  EXPECT_EQ(out.next_hop, ip("10.0.0.1"));
}

TEST_F(RibExport, IbgpNextHopAndLocalPref) {
  const PathAttributes from_ebgp = path({65001}, "172.16.0.1");
  // eBGP-learned to iBGP: next hop kept, LOCAL_PREF defaulted, path unchanged.
  PathAttributes out = export_attributes(kV4, from_ebgp, &ebgp1, nonclient1);
  EXPECT_EQ(out.next_hop, ip("172.16.0.1"));
  EXPECT_EQ(out.local_pref, 100u);
  EXPECT_EQ(out.as_path.to_string(), "65001");
  // next_hop_self rewrites it.
  PeerInfo nhs = nonclient1;
  nhs.next_hop_self = true;
  EXPECT_EQ(export_attributes(kV4, from_ebgp, &ebgp1, nhs).next_hop, ip("10.0.0.1"));
  // Locally originated routes always carry our address.
  PathAttributes own;
  own.local_pref = 250;
  out = export_attributes(kV4, own, nullptr, nonclient1);
  EXPECT_EQ(out.next_hop, ip("10.0.0.1"));
  EXPECT_EQ(out.local_pref, 250u);
  EXPECT_TRUE(out.as_path.segments.empty());
}

TEST_F(RibExport, WellKnownCommunities) {
  PathAttributes no_adv = path({65001}, "172.16.0.1");
  no_adv.communities = {kNoAdvertise};
  PathAttributes no_exp = path({65001}, "172.16.0.1");
  no_exp.communities = {0x00010001, kNoExport};
  PathAttributes no_sub = path({65001}, "172.16.0.1");
  no_sub.communities = {kNoExportSubconfed};
  for (const PeerInfo* t : {&client1, &nonclient1, &ebgp2}) {
    EXPECT_EQ(export_filter(kV4, no_adv, &ebgp1, *t), ExportFilter::NoAdvertise);
  }
  EXPECT_EQ(export_filter(kV4, no_exp, &ebgp1, nonclient1), ExportFilter::None);
  EXPECT_EQ(export_filter(kV4, no_exp, &ebgp1, ebgp2), ExportFilter::NoExport);
  EXPECT_EQ(export_filter(kV4, no_exp, nullptr, ebgp2), ExportFilter::NoExport);
  EXPECT_EQ(export_filter(kV4, no_sub, &ebgp1, ebgp2), ExportFilter::NoExport);
  EXPECT_EQ(export_filter(kV4, no_sub, &ebgp1, client1), ExportFilter::None);
  EXPECT_EQ(to_string(ExportFilter::NoExport), "NO_EXPORT");
}

TEST_F(RibExport, Ipv6NeedsALocalV6AddressWhenTheNextHopIsOurs) {
  PathAttributes a = path({65001}, "fd00::5");
  a.link_local_next_hop = ip("fe80::5");
  // ebgp2 is an IPv4 session without a local IPv6 address.
  EXPECT_EQ(export_filter(kV6, a, &ebgp1, ebgp2), ExportFilter::NoLocalAddress);
  PeerInfo dual = ebgp2;
  dual.local_v6 = ip("fd00::1");
  const ExportResult r = export_route(kV6, a, &ebgp1, dual, store);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.attrs->next_hop, ip("fd00::1"));
  EXPECT_FALSE(r.attrs->link_local_next_hop);
  // iBGP keeps a learned next hop, so no local IPv6 address is needed.
  const ExportResult kept = export_route(kV6, a, &ebgp1, nonclient1, store);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept.attrs->next_hop, ip("fd00::5"));
  EXPECT_FALSE(kept.attrs->link_local_next_hop);
  // ...but a locally originated IPv6 route does.
  EXPECT_EQ(export_filter(kV6, PathAttributes{}, nullptr, nonclient1),
            ExportFilter::NoLocalAddress);
}

TEST_F(RibExport, ResultsAreInterned) {
  const PathAttributes a = path({65001}, "172.16.0.1");
  const PathAttributes b = path({65001}, "172.16.0.1");
  const ExportResult ra = export_route(kV4, a, &ebgp1, ebgp2, store);
  const ExportResult rb = export_route(kV4, b, &ebgp1, ebgp2, store);
  EXPECT_TRUE(ra.attrs == rb.attrs);
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace calico::bgp
