// derive_bgp_config: mesh, BGPPeers, reflectors, AS/port/router id sources.
#include "felix/bgp_config.h"

#include <gtest/gtest.h>

#include "tests/unit/felix/felix_test_util.h"

namespace calico::felix {
namespace {

using test::from_yaml;
using test::node;

const bgp::PeerConfig* find_peer(const BgpDerived& d, const std::string& ip) {
  for (const auto& p : d.config.peers) {
    if (p.address.to_string() == ip) {
      return &p;
    }
  }
  return nullptr;
}

BgpInputs three_nodes() {
  BgpInputs in;
  in.node_name = "node-b";
  in.nodes["node-a"] = node("node-a", "10.0.0.1/24");
  in.nodes["node-b"] = node("node-b", "10.0.0.2/24");
  in.nodes["node-c"] = node("node-c", "10.0.0.3/24");
  return in;
}

TEST(BgpConfig, FullMeshWithOnePassiveSidePerPair) {
  const BgpDerived d = derive_bgp_config(three_nodes(), {});
  ASSERT_TRUE(d.enabled) << d.reason;
  EXPECT_EQ(d.config.asn, 64512U);
  EXPECT_EQ(bgp::format_router_id(d.config.router_id), "10.0.0.2");
  ASSERT_EQ(d.config.peers.size(), 2U);
  const auto* a = find_peer(d, "10.0.0.1");
  const auto* c = find_peer(d, "10.0.0.3");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(a->name, "Mesh_10_0_0_1");
  EXPECT_FALSE(a->passive);  // lower address: we dial
  EXPECT_TRUE(c->passive);   // higher address: it dials
  EXPECT_EQ(a->asn, 64512U);
  ASSERT_TRUE(a->source_address.has_value());
  EXPECT_EQ(a->source_address->to_string(), "10.0.0.2");
  EXPECT_EQ(a->families, std::vector<bgp::AfiSafi>{bgp::kIpv4Unicast});
  EXPECT_EQ(a->multihop_ttl, 64);
  EXPECT_TRUE(d.warnings.empty());

  // The other end of each pair makes the opposite choice.
  BgpInputs in = three_nodes();
  in.node_name = "node-c";
  const BgpDerived dc = derive_bgp_config(in, {});
  ASSERT_NE(find_peer(dc, "10.0.0.2"), nullptr);
  EXPECT_FALSE(find_peer(dc, "10.0.0.2")->passive);
}

TEST(BgpConfig, AsAndPortFromConfigurationsAndNode) {
  BgpInputs in = three_nodes();
  in.global_config = from_yaml<api::BGPConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
      "spec: {asNumber: 65001, listenPort: 1790}\n");
  in.node_config = from_yaml<api::BGPConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.node-b}\n"
      "spec: {listenPort: 1791}\n");
  in.nodes["node-c"] = node("node-c", "10.0.0.3/24", "    asNumber: 65003\n");
  const BgpDerived d = derive_bgp_config(in, {});
  ASSERT_TRUE(d.enabled);
  EXPECT_EQ(d.config.asn, 65001U);
  EXPECT_EQ(d.config.listen_port, 1791);
  EXPECT_EQ(find_peer(d, "10.0.0.1")->asn, 65001U);
  EXPECT_EQ(find_peer(d, "10.0.0.3")->asn, 65003U);
}

TEST(BgpConfig, MeshDisabledLeavesOnlyExplicitPeers) {
  BgpInputs in = three_nodes();
  in.global_config = from_yaml<api::BGPConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
      "spec: {nodeToNodeMeshEnabled: false}\n");
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: tor}\n"
      "spec: {peerIP: '10.0.0.254:1790', asNumber: 65100}\n"));
  const BgpDerived d = derive_bgp_config(in, {});
  ASSERT_EQ(d.config.peers.size(), 1U);
  const auto& p = d.config.peers[0];
  EXPECT_EQ(p.name, "Global_10_0_0_254_port_1790");
  EXPECT_EQ(p.port, 1790);
  EXPECT_EQ(p.asn, 65100U);
  EXPECT_FALSE(p.passive);
  EXPECT_EQ(p.source_address->to_string(), "10.0.0.2");
}

TEST(BgpConfig, NodeSpecificAndSelectedPeers) {
  BgpInputs in = three_nodes();
  in.nodes["node-b"] = node("node-b", "10.0.0.2/24", "", "rack: r1");
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: only-a}\n"
      "spec: {node: node-a, peerIP: 10.0.0.250, asNumber: 65100}\n"));
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: only-b}\n"
      "spec: {node: node-b, peerIP: 10.0.0.251, asNumber: 65100, sourceAddress: None}\n"));
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rack1}\n"
      "spec: {nodeSelector: rack == 'r1', peerIP: 10.0.0.252, asNumber: 65101, ttlSecurity: 1}\n"));
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rack2}\n"
      "spec: {nodeSelector: rack == 'r2', peerIP: 10.0.0.253, asNumber: 65102}\n"));
  const BgpDerived d = derive_bgp_config(in, {});
  EXPECT_EQ(find_peer(d, "10.0.0.250"), nullptr);
  ASSERT_NE(find_peer(d, "10.0.0.251"), nullptr);
  EXPECT_EQ(find_peer(d, "10.0.0.251")->name, "Node_10_0_0_251");
  EXPECT_FALSE(find_peer(d, "10.0.0.251")->source_address.has_value());
  ASSERT_NE(find_peer(d, "10.0.0.252"), nullptr);
  EXPECT_EQ(find_peer(d, "10.0.0.252")->ttl_security_hops, 1);
  EXPECT_EQ(find_peer(d, "10.0.0.253"), nullptr);
  EXPECT_EQ(d.config.peers.size(), 4U);  // two mesh + two explicit
}

TEST(BgpConfig, RouteReflectorTopology) {
  BgpInputs in = three_nodes();
  in.nodes["node-a"] =
      node("node-a", "10.0.0.1/24", "    routeReflectorClusterID: 224.0.0.1\n", "rr: 'true'");
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: to-rr}\n"
      "spec: {nodeSelector: \"!has(rr)\", peerSelector: has(rr)}\n"));
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rr-clients}\n"
      "spec: {nodeSelector: has(rr), peerSelector: \"!has(rr)\"}\n"));
  // A client: mesh to the other client, plus the reflector (not through the mesh).
  const BgpDerived b = derive_bgp_config(in, {});
  ASSERT_EQ(b.config.peers.size(), 2U) << b.warnings.size();
  EXPECT_EQ(find_peer(b, "10.0.0.3")->name, "Mesh_10_0_0_3");
  ASSERT_NE(find_peer(b, "10.0.0.1"), nullptr);
  EXPECT_EQ(find_peer(b, "10.0.0.1")->name, "Global_10_0_0_1");
  EXPECT_FALSE(find_peer(b, "10.0.0.1")->rr_client);
  EXPECT_FALSE(b.config.cluster_id.has_value());

  // The reflector: no mesh, both clients as route-reflector clients.
  in.node_name = "node-a";
  const BgpDerived a = derive_bgp_config(in, {});
  ASSERT_TRUE(a.config.cluster_id.has_value());
  EXPECT_EQ(bgp::format_router_id(*a.config.cluster_id), "224.0.0.1");
  ASSERT_EQ(a.config.peers.size(), 2U);
  EXPECT_TRUE(find_peer(a, "10.0.0.2")->rr_client);
  EXPECT_TRUE(find_peer(a, "10.0.0.3")->rr_client);
}

// Calico's documented in-cluster reflector: ONE BGPPeer (every node peers with the
// reflectors).  The reflector gets its clients from confd's automatic reverse peering.
TEST(BgpConfig, ReversePeeringGivesTheReflectorItsClients) {
  BgpInputs in = three_nodes();
  in.global_config = from_yaml<api::BGPConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
      "spec: {nodeToNodeMeshEnabled: false}\n");
  in.nodes["node-a"] = node("node-a", "10.0.0.1/24", "    routeReflectorClusterID: 244.0.0.1\n",
                            "route-reflector: 'true'");
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: peer-with-rr}\n"
      "spec: {nodeSelector: all(), peerSelector: route-reflector == 'true'}\n"));
  const BgpDerived b = derive_bgp_config(in, {});  // a client: the reflector only
  ASSERT_EQ(b.config.peers.size(), 1U);
  EXPECT_EQ(find_peer(b, "10.0.0.1")->name, "Global_10_0_0_1");

  in.node_name = "node-a";
  const BgpDerived a = derive_bgp_config(in, {});
  ASSERT_EQ(a.config.peers.size(), 2U);
  for (const char* client : {"10.0.0.2", "10.0.0.3"}) {
    const auto* p = find_peer(a, client);
    ASSERT_NE(p, nullptr) << client;
    EXPECT_TRUE(p->rr_client) << client;
    EXPECT_EQ(p->name.rfind("Node_", 0), 0U) << p->name;
  }
  EXPECT_TRUE(a.warnings.empty());

  // reversePeering: Manual leaves the reflector alone.
  in.peers[0].spec.reverse_peering = "Manual";
  EXPECT_TRUE(derive_bgp_config(in, {}).config.peers.empty());
}

// A BGPPeer naming another Calico node by address and AS: that node peers back.
TEST(BgpConfig, ReversePeeringByPeerIpMatchesAddressAndAs) {
  BgpInputs in = three_nodes();
  in.global_config = from_yaml<api::BGPConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
      "spec: {nodeToNodeMeshEnabled: false}\n");
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: a-to-b}\n"
      "spec: {node: node-a, peerIP: 10.0.0.2, asNumber: 64512}\n"));
  const BgpDerived b = derive_bgp_config(in, {});
  ASSERT_EQ(b.config.peers.size(), 1U);
  EXPECT_EQ(find_peer(b, "10.0.0.1")->name, "Node_10_0_0_1");
  in.node_name = "node-c";  // not the address in peerIP: nothing
  EXPECT_TRUE(derive_bgp_config(in, {}).config.peers.empty());
  in.node_name = "node-b";  // another AS in the resource: not a reverse match
  in.peers[0].spec.as_number = api::ASNumber(65001);
  EXPECT_TRUE(derive_bgp_config(in, {}).config.peers.empty());
}

TEST(BgpConfig, PasswordsComeFromTheSecretLookup) {
  BgpInputs in = three_nodes();
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: tor}\n"
      "spec: {peerIP: 10.0.0.254, asNumber: 65100,\n"
      "       password: {secretKeyRef: {name: bgp-secrets, key: tor}}}\n"));
  const BgpDerived without = derive_bgp_config(in, {});
  EXPECT_EQ(find_peer(without, "10.0.0.254"), nullptr);
  ASSERT_EQ(without.warnings.size(), 1U);
  EXPECT_NE(without.warnings[0].find("bgp-secrets/tor"), std::string::npos) << without.warnings[0];

  BgpOptions opt;
  opt.secret = [](const std::string& name, const std::string& key) -> std::optional<std::string> {
    if (name == "bgp-secrets" && key == "tor") {
      return "s3cret";
    }
    return std::nullopt;
  };
  const BgpDerived with = derive_bgp_config(in, opt);
  ASSERT_NE(find_peer(with, "10.0.0.254"), nullptr);
  EXPECT_EQ(find_peer(with, "10.0.0.254")->password, "s3cret");
}

TEST(BgpConfig, SelfDuplicatesAndBadAddresses) {
  BgpInputs in = three_nodes();
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: a-self}\n"
      "spec: {peerIP: 10.0.0.2, asNumber: 65100}\n"));
  in.peers.push_back(from_yaml<api::BGPPeer>(
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: b-dup}\n"
      "spec: {peerIP: 10.0.0.3, asNumber: 64512}\n"));
  const BgpDerived d = derive_bgp_config(in, {});
  EXPECT_EQ(d.config.peers.size(), 2U);  // the mesh only
  ASSERT_EQ(d.warnings.size(), 1U);
  EXPECT_NE(d.warnings[0].find("already configured"), std::string::npos) << d.warnings[0];
}

TEST(BgpConfig, DualStackMeshHasOneSessionPerFamily) {
  BgpInputs in;
  in.node_name = "n1";
  in.nodes["n1"] = node("n1", "10.0.0.1/24", "    ipv6Address: fd00::1/64\n");
  in.nodes["n2"] = node("n2", "10.0.0.2/24", "    ipv6Address: fd00::2/64\n");
  in.nodes["n3"] = node("n3", "", "    ipv6Address: fd00::3/64\n");
  const BgpDerived d = derive_bgp_config(in, {});
  ASSERT_EQ(d.config.peers.size(), 3U);
  EXPECT_EQ(find_peer(d, "fd00::2")->families, std::vector<bgp::AfiSafi>{bgp::kIpv6Unicast});
  EXPECT_EQ(find_peer(d, "fd00::2")->source_address->to_string(), "fd00::1");
  EXPECT_EQ(find_peer(d, "fd00::3")->name, "Mesh_fd00__3");
  EXPECT_NE(find_peer(d, "10.0.0.2"), nullptr);
}

TEST(BgpConfig, DisabledWithoutANodeOrAnAddress) {
  BgpInputs in;
  in.node_name = "ghost";
  BgpDerived d = derive_bgp_config(in, {});
  EXPECT_FALSE(d.enabled);
  EXPECT_NE(d.reason.find("ghost"), std::string::npos);
  in.nodes["ghost"] = node("ghost", "");
  d = derive_bgp_config(in, {});
  EXPECT_FALSE(d.enabled);
  EXPECT_NE(d.reason.find("ipv4Address"), std::string::npos) << d.reason;
}

TEST(BgpConfig, RouterIdOverrides) {
  BgpOptions opt;
  opt.router_id_override = "192.0.2.7";
  EXPECT_EQ(bgp::format_router_id(derive_bgp_config(three_nodes(), opt).config.router_id),
            "192.0.2.7");
  opt.router_id_override = "hash";
  EXPECT_EQ(derive_bgp_config(three_nodes(), opt).config.router_id, router_id_from_name("node-b"));
  EXPECT_NE(router_id_from_name("node-b"), router_id_from_name("node-c"));
  opt.router_id_override = "bogus";
  const BgpDerived bad = derive_bgp_config(three_nodes(), opt);
  EXPECT_FALSE(bad.enabled);
  EXPECT_NE(bad.reason.find("CALICO_ROUTER_ID"), std::string::npos);
}

}  // namespace
}  // namespace calico::felix
