// calico-bgp configuration file: defaults, every field, and errors that name the field.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/speaker/config.h"

namespace calico::bgp {
namespace {

TEST(SpeakerConfig, MinimalFileGetsDefaults) {
  auto c = parse_speaker_config("asNumber: 64512\nrouterId: 10.0.0.1\n");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->asn, 64512u);
  EXPECT_EQ(c->router_id, 0x0A000001u);
  EXPECT_EQ(c->listen_address, "::");
  EXPECT_EQ(c->listen_port, 179);
  EXPECT_EQ(c->hold_time.count(), 90);
  EXPECT_TRUE(c->kernel.install);
  EXPECT_EQ(c->kernel.protocol, 201);
  EXPECT_FALSE(c->cluster_id);
  EXPECT_TRUE(c->peers.empty());
}

TEST(SpeakerConfig, FullFile) {
  auto c = parse_speaker_config(R"(
asNumber: "4200000001"
routerId: 10.0.0.1
listenAddress: 10.0.0.1
listenPort: 1179
holdTime: 30
connectRetryTime: 2
controlSocket: /tmp/x.sock
maxPaths: 4
kernel: {install: false, table: 100, protocol: 202, blackholeOwnBlocks: false}
originate: [10.65.1.0/26, "fd00:65:1::/122"]
peers:
  - peerIP: 10.0.0.2
    asNumber: 65002
    holdTime: 9
    sourceAddress: 10.0.0.1
    localAddressV6: fd00::1
    password: s3cret
    ttlSecurity: 1
    name: tor1
  - peerIP: "[fd00::3]:1790"
    asNumber: 4200000001
    passive: true
    routeReflectorClient: true
    families: [ipv6]
)");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->asn, 4200000001u);
  EXPECT_EQ(c->listen_port, 1179);
  EXPECT_EQ(c->max_paths, 4);
  EXPECT_FALSE(c->kernel.install);
  EXPECT_EQ(c->kernel.table, 100u);
  EXPECT_EQ(c->kernel.protocol, 202);
  ASSERT_EQ(c->originate.size(), 2u);
  EXPECT_EQ(c->originate[1].to_string(), "fd00:65:1::/122");
  ASSERT_EQ(c->peers.size(), 2u);
  const auto& p0 = c->peers[0];
  EXPECT_EQ(p0.name, "tor1");
  EXPECT_EQ(p0.asn, 65002u);
  EXPECT_EQ(p0.hold_time.count(), 9);
  EXPECT_EQ(p0.connect_retry.count(), 2);  // inherited
  EXPECT_EQ(p0.password, "s3cret");
  EXPECT_EQ(p0.ttl_security_hops, 1);
  EXPECT_EQ(p0.multihop_ttl, 64);
  // An IPv4 session with an IPv6 next hop carries both families by default.
  ASSERT_EQ(p0.families.size(), 2u);
  EXPECT_EQ(p0.families[1], kIpv6Unicast);
  const auto& p1 = c->peers[1];
  EXPECT_EQ(p1.port, 1790);
  EXPECT_EQ(p1.address.to_string(), "fd00::3");
  EXPECT_TRUE(p1.passive);
  EXPECT_TRUE(p1.rr_client);
  // A route-reflector client makes this node a reflector; cluster id = router id.
  ASSERT_TRUE(c->cluster_id);
  EXPECT_EQ(*c->cluster_id, c->router_id);
}

TEST(SpeakerConfig, AsdotAndPlainAsNumbers) {
  EXPECT_EQ(parse_asn("1.10"), 65546u);
  EXPECT_EQ(parse_asn("64512"), 64512u);
  EXPECT_EQ(parse_asn("4294967295"), 4294967295u);
  EXPECT_FALSE(parse_asn("4294967296"));
  EXPECT_FALSE(parse_asn("65536.1"));
  EXPECT_FALSE(parse_asn("-1"));
  EXPECT_FALSE(parse_asn(""));
}

struct BadCase {
  const char* yaml;
  const char* field;
  const char* message_part;
};

TEST(SpeakerConfig, ErrorsNameTheField) {
  const BadCase cases[] = {
      {"routerId: 10.0.0.1\n", "asNumber", "required"},
      {"asNumber: 0\nrouterId: 10.0.0.1\n", "asNumber", "AS number"},
      {"asNumber: 64512\n", "routerId", "required"},
      {"asNumber: 64512\nrouterId: fd00::1\n", "routerId", "dotted-quad"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nholdTime: 2\n", "holdTime", "at least 3"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nlistenPort: 70000\n", "listenPort", "larger"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nbogus: 1\n", "bogus", "unknown field"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\noriginate: [10.0.0.1/24]\n", "originate[0]",
       "host bits"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nkernel: {protocol: 2}\n", "kernel.protocol", "kernel"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{asNumber: 1}]\n", "peers[0].peerIP",
       "required"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.300, asNumber: 1}]\n",
       "peers[0].peerIP", "not an IP"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.2, asNumber: 1, "
       "sourceAddress: 'fd00::1'}]\n",
       "peers[0].sourceAddress", "same family"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.2, asNumber: 1, "
       "families: [ipv6]}]\n",
       "peers[0].families", "localAddressV6"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.2, asNumber: 1, "
       "routeReflectorClient: true}]\n",
       "peers[0].routeReflectorClient", "iBGP"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.2, asNumber: 1}, "
       "{peerIP: 10.0.0.2, asNumber: 2}]\n",
       "peers[1].peerIP", "twice"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers: [{peerIP: 10.0.0.2, asNumber: 1, "
       "passwd: x}]\n",
       "peers[0].passwd", "unknown field"},
      {"asNumber: [1\n", "", "invalid YAML"},
  };
  for (const auto& bc : cases) {
    auto c = parse_speaker_config(bc.yaml);
    ASSERT_FALSE(c) << bc.yaml;
    EXPECT_EQ(c.error().field, bc.field) << bc.yaml;
    EXPECT_NE(c.error().message.find(bc.message_part), std::string::npos)
        << bc.yaml << " -> " << c.error().to_string();
  }
}

TEST(SpeakerConfig, MissingFileIsAnError) {
  auto c = load_speaker_config("/nonexistent/calico-bgp.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/calico-bgp.yaml"), std::string::npos);
}

// Live reconfiguration helpers: what a running speaker can take, and what resets a peer.
TEST(SpeakerConfigReload, RestartReasonNamesSettingsARunningSpeakerCannotChange) {
  const std::string base =
      "asNumber: 64512\nrouterId: 10.0.0.1\nholdTime: 90\noriginate: [10.65.1.0/26]\n"
      "peers:\n  - {peerIP: 10.0.0.2, asNumber: 64512}\n";
  auto a = parse_speaker_config(base);
  ASSERT_TRUE(a) << a.error().to_string();
  struct Case {
    std::string yaml;
    std::optional<std::string> reason;
  };
  const std::vector<Case> cases = {
      {base, std::nullopt},
      // Peers, blocks and the per-peer defaults are applied live.
      {"asNumber: 64512\nrouterId: 10.0.0.1\nholdTime: 30\nconnectRetryTime: 1\n"
       "originate: [10.65.2.0/26]\npeers:\n  - {peerIP: 10.0.0.3, asNumber: 65003}\n",
       std::nullopt},
      {"asNumber: 64513\nrouterId: 10.0.0.1\n", "asNumber"},
      {"asNumber: 64512\nrouterId: 10.0.0.9\n", "routerId"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nlistenPort: 1179\n", "listenPort"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nlistenAddress: 10.0.0.1\n", "listenAddress"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nrouteReflectorClusterID: 1.1.1.1\n",
       "routeReflectorClusterID"},
      // A first route-reflector client makes this node a reflector (implied cluster id).
      {"asNumber: 64512\nrouterId: 10.0.0.1\npeers:\n"
       "  - {peerIP: 10.0.0.2, asNumber: 64512, routeReflectorClient: true}\n",
       "routeReflectorClusterID"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nmaxPaths: 2\n", "maxPaths"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\nkernel: {table: 100}\n", "kernel"},
      {"asNumber: 64512\nrouterId: 10.0.0.1\ncontrolSocket: /tmp/other.sock\n", "controlSocket"},
  };
  for (const auto& c : cases) {
    auto b = parse_speaker_config(c.yaml);
    ASSERT_TRUE(b) << c.yaml << b.error().to_string();
    EXPECT_EQ(restart_reason(*a, *b), c.reason) << c.yaml;
    EXPECT_EQ(needs_restart(*a, *b), c.reason.has_value()) << c.yaml;
  }
}

TEST(SpeakerConfigReload, PeerIdentityIsAddressAndPortAndOnlyNameAndRetryApplyInPlace) {
  PeerConfig p;
  p.name = "tor1";
  p.address = *net::IpAddr::parse("10.0.0.2");
  p.asn = 65002;
  p.families = {kIpv4Unicast};
  auto q = p;
  q.port = 1790;
  EXPECT_FALSE(same_peer(p, q));
  q = p;
  q.asn = 65009;
  q.source_address = net::IpAddr::parse("10.0.0.1");
  EXPECT_TRUE(same_peer(p, q));  // settings, not identity

  EXPECT_FALSE(peer_needs_reset(p, p));
  q = p;
  q.name = "tor1-renamed";
  q.connect_retry = std::chrono::seconds(1);
  EXPECT_FALSE(peer_needs_reset(p, q));
  const std::vector<std::pair<const char*, void (*)(PeerConfig&)>> resets = {
      {"asn", [](PeerConfig& c) { c.asn = 65009; }},
      {"password", [](PeerConfig& c) { c.password = "x"; }},
      {"hold time", [](PeerConfig& c) { c.hold_time = std::chrono::seconds(30); }},
      {"passive", [](PeerConfig& c) { c.passive = true; }},
      {"families", [](PeerConfig& c) { c.families.push_back(kIpv6Unicast); }},
      {"rr client", [](PeerConfig& c) { c.rr_client = true; }},
      {"next hop self", [](PeerConfig& c) { c.next_hop_self = true; }},
      {"ttl security", [](PeerConfig& c) { c.ttl_security_hops = 1; }},
      {"multihop", [](PeerConfig& c) { c.multihop_ttl = 2; }},
      {"source address", [](PeerConfig& c) { c.source_address = net::IpAddr::parse("10.0.0.1"); }},
      {"local v6", [](PeerConfig& c) { c.local_address_v6 = net::IpAddr::parse("fd00::1"); }},
  };
  for (const auto& [what, change] : resets) {
    q = p;
    change(q);
    EXPECT_TRUE(peer_needs_reset(p, q)) << what;
  }
}

}  // namespace
}  // namespace calico::bgp
