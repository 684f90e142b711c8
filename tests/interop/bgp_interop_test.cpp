// Interop: our calico-bgp daemon against BIRD 2, FRR 8 (bgpd + zebra), GoBGP 3 and
// ExaBGP 4, each in its own pair of network namespaces joined by a veth (ours in "a" at
// 10.99.0.1 / fd99::1, the peer in "b" at 10.99.0.2 / fd99::2).  Every test starts and
// stops its own daemons and namespaces.
//
// Per peer: eBGP IPv4 + IPv6 sessions reach Established on both sides, prefixes flow both
// ways with the right AS path and next hop and land in the kernel (ours under proto 201,
// BIRD's and FRR's under theirs), withdrawals propagate; 4-octet AS; iBGP; hold-timer
// expiry when the peer is frozen with SIGSTOP; the peer restarted comes back.
// Plus: a 2-octet-only ExaBGP (AS_TRANS / AS4_PATH) and a 3-speaker chain ours-BIRD-ours.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/lib/bgp_peer.h"
#include "tests/lib/calico_bgp.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::testlib {
namespace {

using nlohmann::json;

constexpr const char* kOurV4 = "10.99.0.1";
constexpr const char* kPeerV4 = "10.99.0.2";
constexpr const char* kOurV6 = "fd99::1";
constexpr const char* kPeerV6 = "fd99::2";
constexpr const char* kOurBlock4 = "10.201.0.0/26";
constexpr const char* kOurBlock6 = "fd00:201::/122";
constexpr const char* kPeerBlock4 = "10.202.0.0/26";
constexpr const char* kPeerBlock6 = "fd00:202::/122";

// Our routes of protocol 201 in a namespace, as iproute2 reports them: dst -> gateways
// ("blackhole" for blackhole routes).
std::map<std::string, std::vector<std::string>> kernel_routes(const std::string& ns, bool v6,
                                                              const std::string& proto = "201") {
  std::map<std::string, std::vector<std::string>> out;
  auto r = run_command({"ip", "-n", ns, v6 ? "-6" : "-4", "-j", "route", "show", "proto", proto});
  if (r.exit_code != 0) {
    return out;
  }
  auto j = json::parse(r.output, nullptr, false);
  if (!j.is_array()) {
    return out;
  }
  for (const auto& route : j) {
    std::string dst = route.value("dst", "");
    if (dst.find('/') == std::string::npos) {
      dst += v6 ? "/128" : "/32";
    }
    auto& gws = out[dst];
    if (route.value("type", "") == "blackhole") {
      gws.push_back("blackhole");
    }
    if (route.contains("gateway")) {
      gws.push_back(route["gateway"].get<std::string>());
    }
    if (route.contains("nexthops")) {
      for (const auto& nh : route["nexthops"]) {
        gws.push_back(nh.value("gateway", ""));
      }
    }
  }
  return out;
}

bool wait_kernel_route(const std::string& ns, const std::string& dst, const std::string& gw,
                       bool present, std::chrono::milliseconds timeout = 20s,
                       const std::string& proto = "201") {
  const bool v6 = dst.find(':') != std::string::npos;
  return wait_until(
      [&] {
        auto routes = kernel_routes(ns, v6, proto);
        auto it = routes.find(dst);
        const bool has =
            it != routes.end() &&
            (gw.empty() || std::find(it->second.begin(), it->second.end(), gw) != it->second.end());
        return has == present;
      },
      timeout, 100ms);
}

struct PairOptions {
  std::uint32_t our_as = 65001;
  std::uint32_t peer_as = 65002;
  int hold_time = 90;
  bool ipv6 = true;
  bool four_octet_peer = true;
  std::string our_password;   // TCP MD5 (RFC 2385) on our side
  std::string peer_password;  // and on the peer's
};

std::string our_config(const PairOptions& o) {
  std::string y = "asNumber: " + std::to_string(o.our_as) + "\nrouterId: " + kOurV4 +
                  "\nholdTime: " + std::to_string(o.hold_time) +
                  "\nconnectRetryTime: 1\noriginate: [" + kOurBlock4;
  if (o.ipv6) {
    y += std::string(", \"") + kOurBlock6 + "\"";
  }
  y += "]\npeers:\n  - peerIP: " + std::string(kPeerV4) +
       "\n    asNumber: " + std::to_string(o.peer_as) + "\n";
  if (!o.our_password.empty()) {
    y += "    password: \"" + o.our_password + "\"\n";
  }
  if (o.ipv6) {
    y += "  - peerIP: \"" + std::string(kPeerV6) +
         "\"\n    asNumber: " + std::to_string(o.peer_as) + "\n";
  }
  return y;
}

// One interop pair: link + the peer daemon + our daemon.
struct Pair {
  std::unique_ptr<BgpLink> link;
  std::unique_ptr<BgpPeer> peer;
  std::unique_ptr<CalicoBgp> ours;

  static Result<Pair, std::string> start(PeerKind kind, const PairOptions& o) {
    Pair p;
    auto link = BgpLink::create();
    if (!link) {
      return fail("link: " + link.error());
    }
    p.link = std::move(*link);
    BgpPeerConfig pc;
    pc.kind = kind;
    pc.netns = p.link->b().name();
    pc.router_id = kPeerV4;
    pc.local_as = o.peer_as;
    pc.local_v4 = kPeerV4;
    pc.four_octet_as = o.four_octet_peer;
    BgpNeighbor n4;
    n4.address = kOurV4;
    n4.peer_as = o.our_as;
    n4.hold_time = o.hold_time;
    n4.md5 = o.peer_password;
    pc.neighbors.push_back(n4);
    pc.originate = {kPeerBlock4};
    if (o.ipv6) {
      pc.local_v6 = kPeerV6;
      BgpNeighbor n6;
      n6.address = kOurV6;
      n6.peer_as = o.our_as;
      n6.hold_time = o.hold_time;
      n6.ipv4 = false;
      n6.ipv6 = true;
      pc.neighbors.push_back(n6);
      pc.originate.push_back(kPeerBlock6);
    }
    pc.connect_retry_s = 1;
    auto peer = BgpPeer::start(pc);
    if (!peer) {
      return fail("peer: " + peer.error());
    }
    p.peer = std::move(*peer);
    auto ours = CalicoBgp::start(p.link->a().name(), our_config(o));
    if (!ours) {
      return fail("calico-bgp: " + ours.error());
    }
    p.ours = std::move(*ours);
    return p;
  }

  std::string diag() const {
    std::string s = "\n--- calico-bgp log:\n" + (ours ? ours->log_tail() : "") +
                    "\n--- peer log:\n" + (peer ? peer->log_tail() : "");
    if (ours) {
      auto st = ours->query("status");
      s += "\n--- status: " + (st ? st->dump() : st.error());
    }
    return s;
  }
};

class Interop : public ::testing::TestWithParam<PeerKind> {
 protected:
  bool kernel_capable() const {
    return GetParam() == PeerKind::Bird || GetParam() == PeerKind::Frr;
  }
  std::string peer_proto() const { return GetParam() == PeerKind::Bird ? "bird" : "bgp"; }
};

TEST_P(Interop, Ipv4AndIpv6ExchangedBothWaysInstalledAndWithdrawn) {
  auto pair = Pair::start(GetParam(), {});
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  ASSERT_TRUE(p.ours->wait_established(kPeerV6)) << p.diag();
  EXPECT_TRUE(p.peer->wait_established(kOurV4, 20s)) << p.diag();
  EXPECT_TRUE(p.peer->wait_established(kOurV6, 20s)) << p.diag();

  // Peer -> us: in our RIB and in our kernel, via the peer's session address.
  EXPECT_TRUE(p.ours->wait_route(kPeerBlock4, true)) << p.diag();
  EXPECT_TRUE(p.ours->wait_route(kPeerBlock6, true)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock6, kPeerV6, true)) << p.diag();
  // Our own blocks are blackholed locally.
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kOurBlock4, "blackhole", true)) << p.diag();

  // Us -> peer: AS path [65001], next hop our session address.
  ASSERT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
  ASSERT_TRUE(p.peer->wait_route(kOurBlock6, true, 20s)) << p.diag();
  auto learned = p.peer->learned_routes(kOurBlock4);
  ASSERT_TRUE(learned && !learned->empty()) << p.diag();
  EXPECT_EQ((*learned)[0].as_path, std::vector<std::uint32_t>{65001});
  ASSERT_FALSE((*learned)[0].next_hops.empty());
  EXPECT_EQ((*learned)[0].next_hops[0], kOurV4);
  auto learned6 = p.peer->learned_routes(kOurBlock6);
  ASSERT_TRUE(learned6 && !learned6->empty()) << p.diag();
  ASSERT_FALSE((*learned6)[0].next_hops.empty());
  EXPECT_EQ((*learned6)[0].next_hops[0], kOurV6);
  if (kernel_capable()) {
    EXPECT_TRUE(wait_kernel_route(p.link->b().name(), kOurBlock4, kOurV4, true, 20s, peer_proto()))
        << p.diag();
  }

  // The peer withdraws: gone from our RIB and kernel.
  ASSERT_TRUE(p.peer->withdraw(kPeerBlock4)) << p.diag();
  EXPECT_TRUE(p.ours->wait_route(kPeerBlock4, false)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, "", false)) << p.diag();
  EXPECT_TRUE(p.ours->has_route(kPeerBlock6));  // the other family is untouched

  // We withdraw: gone from the peer.
  auto w = p.ours->query("withdraw " + std::string(kOurBlock4));
  ASSERT_TRUE(w) << w.error();
  EXPECT_TRUE(p.peer->wait_route(kOurBlock4, false, 20s)) << p.diag();
  // ... and announce again.
  ASSERT_TRUE(p.ours->query("announce " + std::string(kOurBlock4)));
  EXPECT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
}

TEST_P(Interop, FourOctetAsNumbers) {
  PairOptions o;
  o.our_as = 4200000001;
  o.peer_as = 4200000002;
  o.ipv6 = false;
  auto pair = Pair::start(GetParam(), o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  ASSERT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
  auto learned = p.peer->learned_routes(kOurBlock4);
  ASSERT_TRUE(learned && !learned->empty()) << p.diag();
  EXPECT_EQ((*learned)[0].as_path, std::vector<std::uint32_t>{4200000001u});
  ASSERT_TRUE(p.ours->wait_route(kPeerBlock4, true)) << p.diag();
  auto routes = p.ours->query("routes");
  ASSERT_TRUE(routes);
  bool found = false;
  for (const auto& r : (*routes)["routes"]) {
    if (r.value("prefix", "") == kPeerBlock4) {
      found = true;
      EXPECT_EQ(r["paths"][0]["asPath"], json::array({4200000002u})) << r.dump();
    }
  }
  EXPECT_TRUE(found);
  const auto st = p.ours->peer_status(kPeerV4);
  EXPECT_EQ(st["capabilities"].value("fourOctetAs", false), true) << st.dump();
}

TEST_P(Interop, IbgpSession) {
  PairOptions o;
  o.our_as = 64512;
  o.peer_as = 64512;
  o.ipv6 = false;
  auto pair = Pair::start(GetParam(), o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  EXPECT_EQ(p.ours->peer_status(kPeerV4).value("type", ""), "iBGP");
  ASSERT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
  auto learned = p.peer->learned_routes(kOurBlock4);
  ASSERT_TRUE(learned && !learned->empty()) << p.diag();
  EXPECT_TRUE((*learned)[0].as_path.empty());  // iBGP: no prepend
  if (GetParam() != PeerKind::Exabgp) {
    ASSERT_TRUE((*learned)[0].local_pref.has_value());
    EXPECT_EQ(*(*learned)[0].local_pref, 100u);
  }
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true)) << p.diag();
}

TEST_P(Interop, FrozenPeerExpiresHoldTimerAndRoutesAreRemoved) {
  PairOptions o;
  o.hold_time = 3;
  o.ipv6 = false;
  auto pair = Pair::start(GetParam(), o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  ASSERT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true)) << p.diag();
  EXPECT_EQ(p.ours->peer_status(kPeerV4).value("holdTime", 0), 3);
  p.peer->freeze();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until([&] { return p.ours->peer_state(kPeerV4) != "Established"; }, 10s, 50ms))
      << p.diag();
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(waited, 6s);  // hold time 3 s (+ scheduling slack)
  EXPECT_NE(p.ours->peer_status(kPeerV4).value("lastError", "").find("hold"), std::string::npos)
      << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, "", false, 5s)) << p.diag();
  EXPECT_FALSE(p.ours->has_route(kPeerBlock4));
  p.peer->thaw();
  EXPECT_TRUE(p.ours->wait_established(kPeerV4, 40s)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true, 20s)) << p.diag();
}

TEST_P(Interop, RestartedPeerComesBackWithItsRoutes) {
  PairOptions o;
  o.ipv6 = false;
  auto pair = Pair::start(GetParam(), o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  ASSERT_TRUE(p.ours->wait_route(kPeerBlock4, true)) << p.diag();
  p.peer->stop();
  EXPECT_TRUE(wait_until([&] { return p.ours->peer_state(kPeerV4) != "Established"; }, 10s, 50ms))
      << p.diag();
  EXPECT_TRUE(p.ours->wait_route(kPeerBlock4, false, 10s)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, "", false, 5s)) << p.diag();
  auto r = p.peer->restart();
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(p.ours->wait_established(kPeerV4, 40s)) << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true, 20s)) << p.diag();
  EXPECT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
}

INSTANTIATE_TEST_SUITE_P(Peers, Interop,
                         ::testing::Values(PeerKind::Bird, PeerKind::Frr, PeerKind::Gobgp,
                                           PeerKind::Exabgp),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

// Our daemon restarted: learned routes stay in the kernel while it is down (Cease sent,
// kernel routes kept) and are not removed when it comes back (reconciled, not flushed).
TEST(InteropRestart, OurRestartKeepsValidKernelRoutes) {
  PairOptions o;
  o.ipv6 = false;
  auto pair = Pair::start(PeerKind::Bird, o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true)) << p.diag();
  p.ours->stop();
  auto routes = kernel_routes(p.link->a().name(), false);
  EXPECT_EQ(routes.count(kPeerBlock4), 1u) << "route removed at shutdown";
  ASSERT_TRUE(p.ours->restart());
  // Poll through the restart and convergence: the route must never disappear.
  bool always = true;
  const auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    if (kernel_routes(p.link->a().name(), false).count(kPeerBlock4) == 0) {
      always = false;
    }
  }
  EXPECT_TRUE(always) << p.diag();
  EXPECT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  auto st = p.ours->query("status");
  ASSERT_TRUE(st);
  EXPECT_TRUE(wait_until(
      [&] {
        auto s = p.ours->query("status");
        return s && (*s)["kernel"].value("converged", false);
      },
      10s))
      << p.diag();
  EXPECT_TRUE(wait_kernel_route(p.link->a().name(), kPeerBlock4, kPeerV4, true)) << p.diag();
}

// TCP MD5 (RFC 2385): matching passwords establish; a wrong one never gets a segment
// through (the kernel drops unsigned/mis-signed segments), so no session.
TEST(InteropMd5, MatchingPasswordsEstablishAndAMismatchDoesNot) {
  PairOptions o;
  o.ipv6 = false;
  o.our_password = "s3cret-Pw";
  o.peer_password = "s3cret-Pw";
  {
    auto pair = Pair::start(PeerKind::Bird, o);
    ASSERT_TRUE(pair) << pair.error();
    EXPECT_TRUE(pair->ours->wait_established(kPeerV4)) << pair->diag();
    EXPECT_TRUE(wait_kernel_route(pair->link->a().name(), kPeerBlock4, kPeerV4, true))
        << pair->diag();
  }

  o.peer_password = "other-Pw";
  auto bad = Pair::start(PeerKind::Bird, o);
  ASSERT_TRUE(bad) << bad.error();
  EXPECT_FALSE(bad->ours->wait_established(kPeerV4, 6s)) << bad->diag();
}

// A 2-octet-only peer (ExaBGP without capability 65): it sees AS_TRANS in our OPEN and
// AS_TRANS + AS4_PATH on our routes; its own routes reach us with its 2-octet AS path.
TEST(InteropTwoOctet, ExabgpWithoutFourOctetCapabilitySeesAsTrans) {
  PairOptions o;
  o.our_as = 4200000001;
  o.peer_as = 65002;
  o.ipv6 = false;
  o.four_octet_peer = false;
  auto pair = Pair::start(PeerKind::Exabgp, o);
  ASSERT_TRUE(pair) << pair.error();
  auto& p = *pair;
  ASSERT_TRUE(p.ours->wait_established(kPeerV4)) << p.diag();
  EXPECT_EQ(p.ours->peer_status(kPeerV4)["capabilities"].value("fourOctetAs", true), false);
  ASSERT_TRUE(p.peer->wait_route(kOurBlock4, true, 20s)) << p.diag();
  auto learned = p.peer->learned_routes(kOurBlock4);
  ASSERT_TRUE(learned && !learned->empty()) << p.diag();
  // ExaBGP reports the AS_PATH as received (AS_TRANS) or merged with AS4_PATH; either
  // way no 2-octet truncation of 4200000001 may appear.
  const auto& path = (*learned)[0].as_path;
  ASSERT_EQ(path.size(), 1u) << p.diag();
  EXPECT_TRUE(path[0] == 23456u || path[0] == 4200000001u) << path[0];
  ASSERT_TRUE(p.ours->wait_route(kPeerBlock4, true)) << p.diag();
  auto routes = p.ours->query("routes");
  ASSERT_TRUE(routes);
  for (const auto& r : (*routes)["routes"]) {
    if (r.value("prefix", "") == kPeerBlock4) {
      EXPECT_EQ(r["paths"][0]["asPath"], json::array({65002})) << r.dump();
    }
  }
}

// ours (AS 65001, ns a) -- BIRD (AS 65002, ns b) -- ours (AS 65003, ns c):
// c learns a's block with AS path [65002, 65001] and next hop = BIRD's address on the
// b-c link (eBGP next-hop-self), and installs it; a learns c's block symmetrically.
TEST(InteropChain, OursBirdOursAsPathAndNextHop) {
  NetNs a, b, c;
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  VethPair ab(&a, "10.98.1.1/30", &b, "10.98.1.2/30");
  VethPair bc(&b, "10.98.2.1/30", &c, "10.98.2.2/30");
  ASSERT_TRUE(ab.ok()) << ab.error();
  ASSERT_TRUE(bc.ok()) << bc.error();
  BgpPeerConfig pc;
  pc.kind = PeerKind::Bird;
  pc.netns = b.name();
  pc.router_id = "10.98.1.2";
  pc.local_as = 65002;
  BgpNeighbor na;
  na.address = "10.98.1.1";
  na.peer_as = 65001;
  BgpNeighbor nc;
  nc.address = "10.98.2.2";
  nc.peer_as = 65003;
  pc.neighbors = {na, nc};
  pc.export_learned = true;
  pc.connect_retry_s = 1;
  auto bird = BgpPeer::start(pc);
  ASSERT_TRUE(bird) << bird.error();
  auto ours_a = CalicoBgp::start(a.name(),
                                 "asNumber: 65001\nrouterId: 10.98.1.1\nconnectRetryTime: 1\n"
                                 "originate: [10.211.0.0/26]\npeers:\n"
                                 "  - peerIP: 10.98.1.2\n    asNumber: 65002\n");
  ASSERT_TRUE(ours_a) << ours_a.error();
  auto ours_c = CalicoBgp::start(c.name(),
                                 "asNumber: 65003\nrouterId: 10.98.2.2\nconnectRetryTime: 1\n"
                                 "originate: [10.213.0.0/26]\npeers:\n"
                                 "  - peerIP: 10.98.2.1\n    asNumber: 65002\n");
  ASSERT_TRUE(ours_c) << ours_c.error();
  auto diag = [&] {
    return "\n--- a:\n" + (*ours_a)->log_tail() + "\n--- c:\n" + (*ours_c)->log_tail() +
           "\n--- bird:\n" + (*bird)->log_tail();
  };
  ASSERT_TRUE((*ours_a)->wait_established("10.98.1.2")) << diag();
  ASSERT_TRUE((*ours_c)->wait_established("10.98.2.1")) << diag();
  ASSERT_TRUE((*ours_c)->wait_route("10.211.0.0/26", true)) << diag();
  ASSERT_TRUE((*ours_a)->wait_route("10.213.0.0/26", true)) << diag();
  auto check_path = [&](CalicoBgp& s, const std::string& prefix, json want_path,
                        const std::string& want_nh) {
    auto routes = s.query("routes");
    ASSERT_TRUE(routes);
    bool found = false;
    for (const auto& r : (*routes)["routes"]) {
      if (r.value("prefix", "") == prefix) {
        found = true;
        EXPECT_EQ(r["paths"][0]["asPath"], want_path) << r.dump();
        EXPECT_EQ(r["paths"][0].value("nextHop", ""), want_nh) << r.dump();
      }
    }
    EXPECT_TRUE(found) << prefix;
  };
  check_path(**ours_c, "10.211.0.0/26", json::array({65002, 65001}), "10.98.2.1");
  check_path(**ours_a, "10.213.0.0/26", json::array({65002, 65003}), "10.98.1.2");
  EXPECT_TRUE(wait_kernel_route(c.name(), "10.211.0.0/26", "10.98.2.1", true)) << diag();
  EXPECT_TRUE(wait_kernel_route(a.name(), "10.213.0.0/26", "10.98.1.2", true)) << diag();
  // a's own block must not come back to a (AS loop): a only has its blackhole for it.
  auto routes_a = (*ours_a)->query("routes");
  ASSERT_TRUE(routes_a);
  for (const auto& r : (*routes_a)["routes"]) {
    if (r.value("prefix", "") == "10.211.0.0/26") {
      for (const auto& path : r["paths"]) {
        EXPECT_TRUE(path.value("local", false)) << "own block learned back: " << r.dump();
      }
    }
  }
}

}  // namespace
}  // namespace calico::testlib
