// BGP peer fixture against the real daemons: pairs of BIRD, FRR, GoBGP and ExaBGP in two
// namespaces joined by a veth establish IPv4 and IPv6 sessions, exchange and parse routes
// (AS path, next hop, communities), program the kernel where the daemon can, propagate
// runtime announce/withdraw, lose the session when the other side is frozen past the hold
// time, recover after thaw and restart, and leave no process behind.  Also the output
// parsers on captured daemon output.
#include "tests/lib/bgp_peer.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/lib/bgp_peer_internal.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::testlib {
namespace {

using namespace std::chrono_literals;

// --- parsers on captured output ---------------------------------------------------------

TEST(BgpPeerParse, CanonicalPrefix) {
  EXPECT_EQ(canonical_prefix("10.1.2.3/24"), "10.1.2.0/24");
  EXPECT_EQ(canonical_prefix("FD00:0201:0::/122"), "fd00:201::/122");
  EXPECT_EQ(canonical_prefix("fd00::1/64"), "fd00::/64");
  EXPECT_EQ(canonical_prefix("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(canonical_prefix("10.0.0.0/33"), "");
  EXPECT_EQ(canonical_prefix("10.0.0.0"), "");
  EXPECT_EQ(canonical_prefix("bogus/8"), "");
}

TEST(BgpPeerParse, BirdRoutes) {
  const std::string text =
      "BIRD 2.0.12 ready.\n"
      "Table master4:\n"
      "10.202.0.0/26        unicast [peer0 09:17:37.031] * (100) [AS65002i]\n"
      "\tvia 10.99.0.2 on xa\n"
      "\tType: BGP univ\n"
      "\tBGP.origin: IGP\n"
      "\tBGP.as_path: 65002 4200000001\n"
      "\tBGP.next_hop: 10.99.0.2\n"
      "\tBGP.med: 7\n"
      "\tBGP.local_pref: 100\n"
      "\tBGP.community: (65000,9) (1,2)\n"
      "\tBGP.large_community: (4200000001, 1, 2)\n"
      "                     unicast [peer2 09:17:38.000] (100) [AS65003?]\n"
      "\tvia 10.99.0.6 on xc\n"
      "\tBGP.origin: Incomplete\n"
      "\tBGP.as_path: 65003\n"
      "\tBGP.next_hop: 10.99.0.6\n"
      "\n"
      "Table master6:\n"
      "fd00:202::/122       unicast [peer1 09:17:37.031] * (100) [AS65002i]\n"
      "\tvia fd99::2 on xa\n"
      "\tBGP.origin: IGP\n"
      "\tBGP.as_path: 65002\n"
      "\tBGP.next_hop: fd99::2 fe80::e423:52ff:fe79:b6a6\n";
  const auto routes = bgp_peer_detail::parse_bird_routes(
      text, {{"peer0", "10.99.0.2"}, {"peer1", "fd99::2"}, {"peer2", "10.99.0.6"}});
  ASSERT_EQ(routes.size(), 3U);
  EXPECT_EQ(routes[0].prefix, "10.202.0.0/26");
  EXPECT_EQ(routes[0].peer, "10.99.0.2");
  EXPECT_TRUE(routes[0].best);
  EXPECT_EQ(routes[0].origin, "igp");
  EXPECT_EQ(routes[0].as_path, (std::vector<std::uint32_t>{65002, 4200000001U}));
  EXPECT_EQ(routes[0].next_hops, (std::vector<std::string>{"10.99.0.2"}));
  EXPECT_EQ(routes[0].med, 7U);
  EXPECT_EQ(routes[0].local_pref, 100U);
  EXPECT_EQ(routes[0].communities, (std::vector<std::string>{"65000:9", "1:2"}));
  EXPECT_EQ(routes[0].large_communities, (std::vector<std::string>{"4200000001:1:2"}));
  EXPECT_EQ(routes[1].prefix, "10.202.0.0/26");  // second path, prefix column blank
  EXPECT_EQ(routes[1].peer, "10.99.0.6");
  EXPECT_FALSE(routes[1].best);
  EXPECT_EQ(routes[1].origin, "incomplete");
  EXPECT_EQ(routes[2].prefix, "fd00:202::/122");
  EXPECT_EQ(routes[2].next_hops,
            (std::vector<std::string>{"fd99::2", "fe80::e423:52ff:fe79:b6a6"}));
  EXPECT_EQ(bgp_peer_detail::parse_bird_bgp_state("peer0 BGP --- up\n  BGP state:          "
                                                  "Established\n    Neighbor address: x\n"),
            "Established");
}

TEST(BgpPeerParse, FrrRoutesJsonDetail) {
  const std::string text = R"({"vrfId": 0, "routerId": "10.99.0.2", "routes": {
    "10.201.0.0/26": [{"prefix":"10.201.0.0/26","version":3,"advertisedTo":{"10.99.0.1":{}}},
      {"aspath":{"string":"4200000001","segments":[{"type":"as-sequence","list":[4200000001]}],
       "length":1},"origin":"IGP","metric":50,"valid":true,"bestpath":{"overall":true},
       "community":{"string":"65000:100","list":["65000:100"]},
       "largeCommunity":{"string":"4200000001:1:2","list":["4200000001:1:2"]},
       "nexthops":[{"ip":"10.99.0.1","afi":"ipv4","used":true}],
       "peer":{"peerId":"10.99.0.1","routerId":"10.99.0.1","type":"external"}}],
    "10.202.0.0/26": [{"prefix":"10.202.0.0/26"},
      {"aspath":{"string":"Local","segments":[],"length":0},"origin":"IGP","sourced":true,
       "local":true,"nexthops":[{"ip":"0.0.0.0"}],"peer":{"peerId":"0.0.0.0"}}],
    "fd00:201::/122": [{"prefix":"fd00:201::/122"},
      {"aspath":{"segments":[{"type":"as-sequence","list":[65001,65003]}]},"origin":"incomplete",
       "locPrf":200,"bestpath":{"overall":true},
       "nexthops":[{"ip":"fd99::1","scope":"global"},{"ip":"fe80::1","scope":"link-local"}],
       "peer":{"peerId":"fd99::1"}}]}})";
  const auto routes = bgp_peer_detail::parse_frr_routes(text);
  ASSERT_TRUE(routes) << routes.error();
  ASSERT_EQ(routes->size(), 2U);  // the locally originated path is not "learned"
  const auto& r = (*routes)[0];
  EXPECT_EQ(r.prefix, "10.201.0.0/26");
  EXPECT_EQ(r.peer, "10.99.0.1");
  EXPECT_EQ(r.as_path, (std::vector<std::uint32_t>{4200000001U}));
  EXPECT_EQ(r.origin, "igp");
  EXPECT_EQ(r.med, 50U);
  EXPECT_FALSE(r.local_pref);
  EXPECT_TRUE(r.best);
  EXPECT_EQ(r.communities, (std::vector<std::string>{"65000:100"}));
  EXPECT_EQ(r.large_communities, (std::vector<std::string>{"4200000001:1:2"}));
  EXPECT_EQ(r.next_hops, (std::vector<std::string>{"10.99.0.1"}));
  const auto& r6 = (*routes)[1];
  EXPECT_EQ(r6.as_path, (std::vector<std::uint32_t>{65001, 65003}));
  EXPECT_EQ(r6.origin, "incomplete");
  EXPECT_EQ(r6.local_pref, 200U);
  EXPECT_EQ(r6.next_hops, (std::vector<std::string>{"fd99::1", "fe80::1"}));
  EXPECT_FALSE(bgp_peer_detail::parse_frr_routes("% Unknown command"));
  auto state = bgp_peer_detail::parse_frr_state(R"({"10.99.0.1":{"bgpState":"Active"}})");
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, "Active");
}

TEST(BgpPeerParse, GobgpRib) {
  const std::string text =
      R"({"10.201.0.0/26":[{"nlri":{"prefix":"10.201.0.0/26"},"best":true,"attrs":[)"
      R"({"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[4200000001]}]},)"
      R"({"type":3,"nexthop":"10.99.0.1"},{"type":4,"metric":50},{"type":5,"value":150},)"
      R"({"type":8,"communities":[4259840100]},)"
      R"({"type":32,"value":[{"ASN":4200000001,"LocalData1":1,"LocalData2":2}]}],)"
      R"("stale":false,"source-id":"10.99.0.1","neighbor-ip":"10.99.0.1"}],)"
      R"("10.202.0.0/26":[{"nlri":{"prefix":"10.202.0.0/26"},"best":true,"attrs":[)"
      R"({"type":1,"value":0},{"type":3,"nexthop":"0.0.0.0"}],"stale":false}],)"
      R"("fd00:201::/122":[{"nlri":{"prefix":"fd00:201::/122"},"best":false,"attrs":[)"
      R"({"type":1,"value":2},{"type":14,"nexthop":"fd99::1","afi":2,"safi":1,)"
      R"("value":[{"prefix":"fd00:201::/122"}]}],"neighbor-ip":"fd99::1"}]})";
  const auto routes = bgp_peer_detail::parse_gobgp_rib(text);
  ASSERT_TRUE(routes) << routes.error();
  ASSERT_EQ(routes->size(), 2U);
  const auto& r = (*routes)[0];
  EXPECT_EQ(r.prefix, "10.201.0.0/26");
  EXPECT_EQ(r.peer, "10.99.0.1");
  EXPECT_TRUE(r.best);
  EXPECT_EQ(r.origin, "igp");
  EXPECT_EQ(r.as_path, (std::vector<std::uint32_t>{4200000001U}));
  EXPECT_EQ(r.next_hops, (std::vector<std::string>{"10.99.0.1"}));
  EXPECT_EQ(r.med, 50U);
  EXPECT_EQ(r.local_pref, 150U);
  EXPECT_EQ(r.communities, (std::vector<std::string>{"65000:100"}));
  EXPECT_EQ(r.large_communities, (std::vector<std::string>{"4200000001:1:2"}));
  EXPECT_EQ((*routes)[1].next_hops, (std::vector<std::string>{"fd99::1"}));
  EXPECT_EQ((*routes)[1].origin, "incomplete");
  EXPECT_FALSE((*routes)[1].best);
  auto empty = bgp_peer_detail::parse_gobgp_rib("\n");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto state = bgp_peer_detail::parse_gobgp_state(R"({"state":{"session_state":6}})");
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, "Established");
}

TEST(BgpPeerParse, ExabgpStreamReplaysAnnounceWithdrawAndDown) {
  const std::string up =
      R"({"type":"state","neighbor":{"address":{"local":"10.99.0.2","peer":"10.99.0.1"},)"
      R"("state":"up"}})";
  const std::string v4 =
      R"({"type":"update","neighbor":{"address":{"local":"10.99.0.2","peer":"10.99.0.1"},)"
      R"("message":{"update":{"attribute":{"origin":"igp","as-path":[4200000001,65001],)"
      R"("med":50,"community":[[65000,100]],"large-community":[[4200000001,1,2]]},)"
      R"("announce":{"ipv4 unicast":{"10.99.0.1":[{"nlri":"10.201.0.0/26"},)"
      R"({"nlri":"10.201.1.0/26"}]}}}}}})";
  const std::string v6 =
      R"({"type":"update","neighbor":{"address":{"local":"fd99::2","peer":"fd99::1"},)"
      R"("message":{"update":{"attribute":{"origin":"igp","as-path":[65001]},)"
      R"("announce":{"ipv6 unicast":{"fe80::1":[{"nlri":"fd00:201::/122"}],)"
      R"("fd99::1":[{"nlri":"fd00:201::/122"}]}}}}}})";
  const std::string withdraw =
      R"({"type":"update","neighbor":{"address":{"local":"10.99.0.2","peer":"10.99.0.1"},)"
      R"("message":{"update":{"withdraw":{"ipv4 unicast":[{"nlri":"10.201.1.0/26"}]}}}}})";
  const std::string down6 =
      R"({"type":"state","neighbor":{"address":{"local":"fd99::2","peer":"fd99::1"},)"
      R"("state":"down","reason":"x"}})";
  auto routes = bgp_peer_detail::parse_exabgp_updates(up + "\n" + v4 + "\n" + v6 + "\n{\"trunc");
  ASSERT_EQ(routes.size(), 3U);
  EXPECT_EQ(routes[0].prefix, "10.201.0.0/26");
  EXPECT_EQ(routes[0].peer, "10.99.0.1");
  EXPECT_EQ(routes[0].as_path, (std::vector<std::uint32_t>{4200000001U, 65001}));
  EXPECT_EQ(routes[0].next_hops, (std::vector<std::string>{"10.99.0.1"}));
  EXPECT_EQ(routes[0].med, 50U);
  EXPECT_EQ(routes[0].communities, (std::vector<std::string>{"65000:100"}));
  EXPECT_EQ(routes[0].large_communities, (std::vector<std::string>{"4200000001:1:2"}));
  EXPECT_EQ(routes[2].prefix, "fd00:201::/122");
  EXPECT_EQ(routes[2].next_hops, (std::vector<std::string>{"fd99::1", "fe80::1"}));
  routes = bgp_peer_detail::parse_exabgp_updates(up + "\n" + v4 + "\n" + v6 + "\n" + withdraw +
                                                 "\n" + down6 + "\n");
  ASSERT_EQ(routes.size(), 1U);
  EXPECT_EQ(routes[0].prefix, "10.201.0.0/26");
  EXPECT_EQ(bgp_peer_detail::parse_exabgp_state(up, "10.99.0.1"), "Established");
  EXPECT_EQ(bgp_peer_detail::parse_exabgp_state(up + "\n" + down6, "fd99::1"), "Idle");
  EXPECT_EQ(bgp_peer_detail::parse_exabgp_state("", "10.99.0.1"), "Idle");
}

// --- config validation ------------------------------------------------------------------

TEST(BgpPeerConfig, RejectsInvalidConfigsBeforeStartingAnything) {
  NetNs ns;
  ASSERT_TRUE(ns.ok()) << ns.error();
  const BgpPeerConfig good{.kind = PeerKind::Bird,
                           .netns = ns.name(),
                           .local_as = 65001,
                           .local_v4 = "10.99.0.1",
                           .neighbors = {{.address = "10.99.0.2", .peer_as = 65002}}};

  // The error of starting `good` changed by `mutate` ("" if it started).
  auto error_with = [&](auto mutate) -> std::string {
    BgpPeerConfig c = good;
    mutate(c);
    auto p = BgpPeer::start(c);
    return p ? std::string() : p.error();
  };
  EXPECT_NE(error_with([](BgpPeerConfig& c) { c.netns = "no-such-ns-xyz"; }).find("namespace"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) { c.four_octet_as = false; }).find("only supported"),
            std::string::npos);  // BIRD always sends the 4-octet AS capability
  EXPECT_NE(error_with([](BgpPeerConfig& c) {
              c.kind = PeerKind::Exabgp;
              c.four_octet_as = false;
              c.local_as = 4200000001;
            }).find("local_as <= 65535"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) { c.neighbors.clear(); }).find("at least one"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) { c.neighbors[0].hold_time = 2; }).find("hold_time"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) { c.originate = {"10.0.0.0/40"}; }).find("prefix"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) {
              c.originate_communities = {"70000:1"};
            }).find("standard community"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) {
              c.kind = PeerKind::Exabgp;
              c.neighbors[0].rr_client = true;
            }).find("cannot reflect"),
            std::string::npos);
  EXPECT_NE(error_with([](BgpPeerConfig& c) {  // an IPv6 session needs a local IPv6 address
              c.kind = PeerKind::Exabgp;
              c.neighbors[0].address = "fd99::2";
            })
                .find("needs local_v6"),
            std::string::npos);
  // A config the daemon's own checker rejects (BIRD: an eBGP neighbor cannot be an RR
  // client): the error carries the checker's output.
  EXPECT_NE(
      error_with([](BgpPeerConfig& c) { c.neighbors[0].rr_client = true; }).find("config check"),
      std::string::npos);
  // Nothing was left behind by the failed starts.
  EXPECT_EQ(run_command({"ip", "netns", "pids", ns.name()}).output, "");
}

// --- daemon pairs -----------------------------------------------------------------------

struct Side {
  PeerKind kind;
  std::uint32_t as;
  bool four_octet_as = true;
};

struct PairOptions {
  Side a, b;
  int hold_time = 3;  // short, for the freeze check
};

// Which `ip route ... proto X` shows the daemon's kernel routes ("" = it has none).
std::string kernel_proto(PeerKind kind) {
  switch (kind) {
    case PeerKind::Bird:
      return "bird";
    case PeerKind::Frr:
      return "bgp";
    default:
      return "";
  }
}

// Side a: 10.99.0.1 / fd99::1 originating 10.201.0.0/26 + fd00:201::/122 with community
// 65000:1; side b: .2 / ::2, 10.202.0.0/26 + fd00:202::/122, community 65000:2.  One
// IPv4 session (IPv4 unicast) and one IPv6 session (IPv6 unicast).
BgpPeerConfig side_config(const Side& side, const Side& other, const std::string& netns, bool is_a,
                          int hold_time) {
  const std::string me = is_a ? "1" : "2";
  const std::string peer = is_a ? "2" : "1";
  const std::string block = is_a ? "201" : "202";
  BgpPeerConfig c;
  c.kind = side.kind;
  c.netns = netns;
  c.router_id = "10.99.0." + me;
  c.local_as = side.as;
  c.four_octet_as = side.four_octet_as;
  c.local_v4 = "10.99.0." + me;
  c.local_v6 = "fd99::" + me;
  BgpNeighbor v4{.address = "10.99.0." + peer, .peer_as = other.as, .hold_time = hold_time};
  BgpNeighbor v6{.address = "fd99::" + peer,
                 .peer_as = other.as,
                 .hold_time = hold_time,
                 .ipv4 = false,
                 .ipv6 = true};
  c.neighbors = {v4, v6};
  c.originate = {"10." + block + ".0.0/26", "fd00:" + block + "::/122"};
  c.originate_communities = {"65000:" + me};
  return c;
}

std::string kernel_routes(const std::string& netns, const std::string& proto, bool v6) {
  std::vector<std::string> argv = {"ip", "-n", netns};
  if (v6) {
    argv.emplace_back("-6");
  }
  argv.insert(argv.end(), {"route", "show", "proto", proto});
  return run_command(argv).output;
}

std::string diag(BgpPeer& a, BgpPeer& b) {
  return "\n--- side a (" + std::string(to_string(a.config().kind)) + ") ---\n" + a.log_tail() +
         "\n--- side b (" + std::string(to_string(b.config().kind)) + ") ---\n" + b.log_tail();
}

bool all_established(BgpPeer& p, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& n : p.config().neighbors) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!p.wait_established(n.address, std::max(left, 1ms))) {
      return false;
    }
  }
  return true;
}

bool pid_gone(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) != 0;
}

// The whole fixture contract for one pair; `extra` runs once both sides have converged.
void run_pair(const PairOptions& o,
              const std::function<void(BgpPeer& a, BgpPeer& b)>& extra = nullptr) {
  auto link = BgpLink::create();
  ASSERT_TRUE(link) << link.error();
  const std::string ns_a = (*link)->a().name();
  const std::string ns_b = (*link)->b().name();
  const auto t0 = std::chrono::steady_clock::now();

  auto pa = BgpPeer::start(side_config(o.a, o.b, ns_a, true, o.hold_time));
  ASSERT_TRUE(pa) << pa.error();
  auto pb = BgpPeer::start(side_config(o.b, o.a, ns_b, false, o.hold_time));
  ASSERT_TRUE(pb) << pb.error();
  BgpPeer& a = **pa;
  BgpPeer& b = **pb;

  // 1. Sessions up on both sides, both families.
  ASSERT_TRUE(all_established(a, 60s)) << diag(a, b);
  ASSERT_TRUE(all_established(b, 30s)) << diag(a, b);

  // 2. Prefixes learned both ways, with parsed attributes.
  for (auto [rx, tx, peer_v4, peer_v6, block, tx_as] :
       {std::tuple{&a, &b, "10.99.0.2", "fd99::2", "202", o.b.as},
        std::tuple{&b, &a, "10.99.0.1", "fd99::1", "201", o.a.as}}) {
    const std::string p4 = std::string("10.") + block + ".0.0/26";
    const std::string p6 = std::string("fd00:") + block + "::/122";
    ASSERT_TRUE(rx->wait_route(p4, true, 30s)) << p4 << diag(a, b);
    ASSERT_TRUE(rx->wait_route(p6, true, 30s)) << p6 << diag(a, b);
    auto r4 = rx->learned_routes(p4);
    ASSERT_TRUE(r4) << r4.error();
    ASSERT_EQ(r4->size(), 1U);
    const LearnedRoute& l4 = r4->front();
    EXPECT_EQ(l4.peer, peer_v4);
    EXPECT_EQ(l4.as_path, std::vector<std::uint32_t>{tx_as})
        << "as seen by " << to_string(rx->config().kind);
    ASSERT_FALSE(l4.next_hops.empty());
    EXPECT_EQ(l4.next_hops.front(), peer_v4);
    EXPECT_EQ(l4.origin, "igp");
    EXPECT_TRUE(l4.best);
    const std::string community = std::string("65000:") + (tx == &a ? "1" : "2");
    EXPECT_NE(std::find(l4.communities.begin(), l4.communities.end(), community),
              l4.communities.end());
    auto r6 = rx->learned_routes(p6);
    ASSERT_TRUE(r6) << r6.error();
    ASSERT_EQ(r6->size(), 1U);
    EXPECT_EQ(r6->front().peer, peer_v6);
    ASSERT_FALSE(r6->front().next_hops.empty());
    EXPECT_EQ(r6->front().next_hops.front(), peer_v6);
    EXPECT_EQ(r6->front().as_path, std::vector<std::uint32_t>{tx_as});
  }

  // 3. Learned routes in the kernel FIB where the daemon programs it.
  for (auto [p, ns, block] : {std::tuple{&a, ns_a, "202"}, std::tuple{&b, ns_b, "201"}}) {
    const std::string proto = kernel_proto(p->config().kind);
    if (proto.empty()) {
      continue;
    }
    const std::string p4 = std::string("10.") + block + ".0.0/26";
    const std::string p6 = std::string("fd00:") + block + "::/122";
    EXPECT_TRUE(wait_until(
        [&] { return kernel_routes(ns, proto, false).find(p4) != std::string::npos; }, 15s, 100ms))
        << kernel_routes(ns, proto, false) << diag(a, b);
    EXPECT_TRUE(wait_until(
        [&] { return kernel_routes(ns, proto, true).find(p6) != std::string::npos; }, 15s, 100ms))
        << kernel_routes(ns, proto, true) << diag(a, b);
  }
  const auto converged = std::chrono::steady_clock::now() - t0;

  if (extra) {
    extra(a, b);
  }

  // 4. Runtime announce and withdraw, both directions at once.
  for (auto [p, block] : {std::pair{&a, "201"}, std::pair{&b, "202"}}) {
    auto r4 = p->announce(std::string("10.") + block + ".1.0/26");
    ASSERT_TRUE(r4) << r4.error();
    auto r6 = p->announce(std::string("fd00:") + block + ":1::/122");
    ASSERT_TRUE(r6) << r6.error();
  }
  for (auto [rx, block] : {std::pair{&a, "202"}, std::pair{&b, "201"}}) {
    EXPECT_TRUE(rx->wait_route(std::string("10.") + block + ".1.0/26", true, 20s)) << diag(a, b);
    EXPECT_TRUE(rx->wait_route(std::string("fd00:") + block + ":1::/122", true, 20s)) << diag(a, b);
  }
  for (auto [p, block] : {std::pair{&a, "201"}, std::pair{&b, "202"}}) {
    auto r4 = p->withdraw(std::string("10.") + block + ".1.0/26");
    ASSERT_TRUE(r4) << r4.error();
    auto r6 = p->withdraw(std::string("fd00:") + block + ":1::/122");
    ASSERT_TRUE(r6) << r6.error();
  }
  for (auto [rx, block] : {std::pair{&a, "202"}, std::pair{&b, "201"}}) {
    EXPECT_TRUE(rx->wait_route(std::string("10.") + block + ".1.0/26", false, 20s)) << diag(a, b);
    EXPECT_TRUE(rx->wait_route(std::string("fd00:") + block + ":1::/122", false, 20s))
        << diag(a, b);
    // The start-time prefixes are untouched.
    EXPECT_TRUE(rx->wait_route(std::string("10.") + block + ".0.0/26", true, 1s));
  }

  // 5. Freeze b past the hold time: a drops the session; thaw: it comes back.
  const auto t_freeze = std::chrono::steady_clock::now();
  b.freeze();
  EXPECT_TRUE(a.wait_established("10.99.0.2", std::chrono::seconds(o.hold_time + 15), false))
      << diag(a, b);
  const auto detected = std::chrono::steady_clock::now() - t_freeze;
  b.thaw();
  EXPECT_TRUE(all_established(a, 60s)) << diag(a, b);
  EXPECT_TRUE(all_established(b, 30s)) << diag(a, b);
  EXPECT_TRUE(a.wait_route("10.202.0.0/26", true, 30s)) << diag(a, b);
  EXPECT_TRUE(b.wait_route("10.201.0.0/26", true, 30s)) << diag(a, b);

  // 6. Restart a (graceful stop, start from the same work dir): sessions and routes return.
  const pid_t old_pid = a.pid();
  auto rs = a.restart();
  ASSERT_TRUE(rs) << rs.error() << diag(a, b);
  EXPECT_TRUE(pid_gone(old_pid));
  EXPECT_NE(a.pid(), old_pid);
  EXPECT_TRUE(all_established(a, 60s)) << diag(a, b);
  EXPECT_TRUE(all_established(b, 30s)) << diag(a, b);
  EXPECT_TRUE(b.wait_route("10.201.0.0/26", true, 30s)) << diag(a, b);
  EXPECT_TRUE(b.wait_route("fd00:201::/122", true, 30s)) << diag(a, b);
  EXPECT_TRUE(a.wait_route("10.202.0.0/26", true, 30s)) << diag(a, b);

  // 7. Stop: every daemon process is gone, nothing left in the namespaces.
  std::vector<pid_t> pids = a.pids();
  const auto pb_pids = b.pids();
  pids.insert(pids.end(), pb_pids.begin(), pb_pids.end());
  ASSERT_FALSE(pids.empty());
  const std::string work_a = a.work_dir();
  a.stop();
  b.stop();
  EXPECT_FALSE(a.running());
  EXPECT_EQ(a.pid(), -1);
  for (const pid_t p : pids) {
    EXPECT_TRUE(pid_gone(p)) << p;
  }
  for (const auto& ns : {ns_a, ns_b}) {
    const auto r = run_command({"ip", "netns", "pids", ns});
    EXPECT_EQ(r.output.find_first_of("0123456789"), std::string::npos)
        << "left in " << ns << ": " << r.output;
  }
  pa->reset();
  if (::getenv("CALICO_KEEP_BGP_WORKDIR") == nullptr) {
    EXPECT_NE(::access(work_a.c_str(), F_OK), 0) << "work dir not removed: " << work_a;
  }
  std::printf("[ pair ] %s<->%s: converged in %.1f s, frozen peer detected after %.1f s\n",
              std::string(to_string(o.a.kind)).c_str(), std::string(to_string(o.b.kind)).c_str(),
              std::chrono::duration<double>(converged).count(),
              std::chrono::duration<double>(detected).count());
}

TEST(BgpPeer, BirdFrr) {
  run_pair({.a = {PeerKind::Bird, 65001}, .b = {PeerKind::Frr, 65002}});
}

TEST(BgpPeer, FrrGobgp) {
  run_pair({.a = {PeerKind::Frr, 65001}, .b = {PeerKind::Gobgp, 65002}});
}

TEST(BgpPeer, GobgpExabgp) {
  run_pair({.a = {PeerKind::Gobgp, 65001}, .b = {PeerKind::Exabgp, 65002}});
}

// ExaBGP as a 2-octet-only speaker (no capability 65) against BIRD with a 4-octet AS:
// BIRD sees the plain AS path, ExaBGP sees BIRD as AS_TRANS in the OPEN and rebuilds the
// real path from AS4_PATH; BIRD reports the session without AS4.
TEST(BgpPeer, ExabgpTwoOctetBird) {
  run_pair({.a = {PeerKind::Exabgp, 65010, false}, .b = {PeerKind::Bird, 4200000001U}},
           [](BgpPeer& exa, BgpPeer& bird) {
             auto detail = bird.neighbor_detail("10.99.0.1");
             ASSERT_TRUE(detail) << detail.error();
             EXPECT_NE(detail->find("Session:          external"), std::string::npos) << *detail;
             EXPECT_EQ(detail->find("AS4"), std::string::npos) << *detail;
             const auto caps = detail->substr(detail->find("Neighbor capabilities"));
             EXPECT_EQ(caps.substr(0, caps.find("Session:")).find("4-octet AS numbers"),
                       std::string::npos)
                 << *detail;
             auto exa_detail = exa.neighbor_detail("10.99.0.2");
             ASSERT_TRUE(exa_detail) << exa_detail.error();
             EXPECT_NE(exa_detail->find("23456"), std::string::npos) << *exa_detail;
           });
}

// kill() is a crash (no NOTIFICATION): a graceful-restart helper keeps the routes (and the
// kernel route) as stale, and restart(true) brings the restarter back in restarting mode.
TEST(BgpPeer, GracefulRestartFrrHelpsBird) {
  auto link = BgpLink::create();
  ASSERT_TRUE(link) << link.error();
  const Side frr{PeerKind::Frr, 65001};
  const Side bird{PeerKind::Bird, 65002};
  auto cfg_a = side_config(frr, bird, (*link)->a().name(), true, 9);
  auto cfg_b = side_config(bird, frr, (*link)->b().name(), false, 9);
  cfg_a.graceful_restart_s = cfg_b.graceful_restart_s = 120;
  auto pa = BgpPeer::start(cfg_a);
  ASSERT_TRUE(pa) << pa.error();
  auto pb = BgpPeer::start(cfg_b);
  ASSERT_TRUE(pb) << pb.error();
  BgpPeer& helper = **pa;
  BgpPeer& restarter = **pb;
  ASSERT_TRUE(all_established(helper, 60s)) << diag(helper, restarter);
  ASSERT_TRUE(helper.wait_route("10.202.0.0/26", true, 30s)) << diag(helper, restarter);
  const std::string ns = (*link)->a().name();
  ASSERT_TRUE(wait_until(
      [&] { return kernel_routes(ns, "bgp", false).find("10.202.0.0/26") != std::string::npos; },
      15s, 100ms));

  const pid_t crashed = restarter.pid();
  restarter.kill();
  EXPECT_TRUE(pid_gone(crashed));
  EXPECT_FALSE(restarter.running());
  EXPECT_TRUE(helper.wait_established("10.99.0.2", 15s, false)) << diag(helper, restarter);
  // Helper mode: the route and its kernel entry stay (they would go at once without GR).
  std::this_thread::sleep_for(1s);
  auto kept = helper.learned_routes("10.202.0.0/26");
  ASSERT_TRUE(kept) << kept.error();
  EXPECT_EQ(kept->size(), 1U) << diag(helper, restarter);
  EXPECT_NE(kernel_routes(ns, "bgp", false).find("10.202.0.0/26"), std::string::npos);

  auto r = restarter.restart(/*gr_restarting=*/true);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(all_established(helper, 60s)) << diag(helper, restarter);
  EXPECT_TRUE(all_established(restarter, 30s)) << diag(helper, restarter);
  EXPECT_TRUE(restarter.wait_route("10.201.0.0/26", true, 30s)) << diag(helper, restarter);
  EXPECT_TRUE(helper.wait_route("10.202.0.0/26", true, 5s)) << diag(helper, restarter);
  EXPECT_NE(restarter.log_tail().find("Graceful restart"), std::string::npos)
      << restarter.log_tail();
}

TEST(BgpPeer, BirdBirdFourOctetAs) {
  run_pair({.a = {PeerKind::Bird, 4200000001U}, .b = {PeerKind::Bird, 4200000002U}});
}

}  // namespace
}  // namespace calico::testlib
