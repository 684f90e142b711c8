// Whole speakers talking to each other over an in-memory network with a manual clock:
// sessions, route exchange into a fake kernel, withdrawals, connection collisions,
// hold-timer expiry, route reflection, malformed input, restart without flapping.
#include "bgp/speaker/speaker.h"

#include <gtest/gtest.h>

#include "tests/unit/bgp/speaker_test_util.h"

namespace calico::bgp {
namespace {

using namespace std::chrono_literals;
using namespace speaker_test;

class SpeakerPair : public ::testing::Test {
 protected:
  ManualTimers clock;
  MemoryNetwork net{clock};
  std::unique_ptr<Node> a, b;

  void make(std::uint32_t as_a = 65001, std::uint32_t as_b = 65002, bool passive_b = false) {
    auto pa = peer("10.0.0.2", as_b);
    auto pb = peer("10.0.0.1", as_a);
    pb.passive = passive_b;
    a = std::make_unique<Node>(net, clock, "10.0.0.1",
                               speaker("10.0.0.1", as_a, {"10.65.1.0/26"}, {pa}));
    b = std::make_unique<Node>(net, clock, "10.0.0.2",
                               speaker("10.0.0.2", as_b, {"10.65.2.0/26"}, {pb}));
  }
  void start_both() {
    ASSERT_TRUE(a->bgp->start());
    ASSERT_TRUE(b->bgp->start());
  }
  // Advances the clock in small steps until `pred` holds (bounded).
  bool run_until(const std::function<bool()>& pred, std::chrono::seconds limit = 60s) {
    for (auto t = 0ms; t < limit; t += 100ms) {
      if (pred()) {
        return true;
      }
      clock.advance(100ms);
    }
    return pred();
  }
};

TEST_F(SpeakerPair, EbgpSessionExchangesRoutesIntoTheKernel) {
  make();
  start_both();
  ASSERT_TRUE(
      run_until([&] { return a->state() == "Established" && b->state() == "Established"; }));
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") && b->route("10.65.1.0/26"); }));
  EXPECT_EQ(gateway(a->route("10.65.2.0/26")), "10.0.0.2");
  EXPECT_EQ(gateway(b->route("10.65.1.0/26")), "10.0.0.1");
  EXPECT_EQ(a->route("10.65.2.0/26")->protocol, kRouteProtocolCalicoBgp);
  // Own blocks are blackholed.
  ASSERT_NE(a->route("10.65.1.0/26"), nullptr);
  EXPECT_EQ(a->route("10.65.1.0/26")->type, RouteType::Blackhole);
  // The learned path carries b's AS and b's address as next hop.
  auto routes = a->bgp->routes()["routes"];
  bool found = false;
  for (const auto& r : routes) {
    if (r["prefix"] == "10.65.2.0/26") {
      found = true;
      EXPECT_EQ(r["paths"][0]["asPath"], nlohmann::json::array({65002}));
      EXPECT_EQ(r["paths"][0]["nextHop"], "10.0.0.2");
      EXPECT_EQ(r["paths"][0]["peer"], "10.0.0.2");
    }
  }
  EXPECT_TRUE(found);
  const auto st = a->peer_status();
  EXPECT_EQ(st["state"], "Established");
  EXPECT_EQ(st["holdTime"], 9);
  EXPECT_EQ(st["keepaliveTime"], 3);
  EXPECT_EQ(st["prefixes"]["accepted"], 1);
  EXPECT_EQ(st["prefixes"]["advertised"], 1);
  EXPECT_EQ(st["capabilities"]["fourOctetAs"], true);
  // Both sides sent End-of-RIB, so the kernel view converged.
  EXPECT_TRUE(a->bgp->kernel_converged());

  // Withdraw on b: gone from a's RIB and kernel.
  b->bgp->withdraw(cidr("10.65.2.0/26"));
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") == nullptr; }));
  // Announce a new block on b.
  b->bgp->announce(cidr("10.65.3.0/26"));
  ASSERT_TRUE(run_until([&] { return a->route("10.65.3.0/26") != nullptr; }));
  // Keepalives keep the session up over a long quiet period.
  clock.advance(60s);
  EXPECT_EQ(a->state(), "Established");
  EXPECT_EQ(a->peer_status()["establishedTransitions"], 1);
}

TEST_F(SpeakerPair, IbgpKeepsNextHopAndAsPathEmpty) {
  make(64512, 64512);
  start_both();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  auto routes = a->bgp->routes()["routes"];
  for (const auto& r : routes) {
    if (r["prefix"] == "10.65.2.0/26") {
      EXPECT_EQ(r["paths"][0]["asPath"], nlohmann::json::array());
      EXPECT_EQ(r["paths"][0]["localPref"], 100);
      EXPECT_EQ(r["paths"][0]["nextHop"], "10.0.0.2");
    }
  }
  EXPECT_EQ(a->peer_status()["type"], "iBGP");
}

TEST_F(SpeakerPair, SimultaneousConnectsLeaveExactlyOneSession) {
  make();
  start_both();  // both active: both connect at the same instant
  ASSERT_TRUE(
      run_until([&] { return a->state() == "Established" && b->state() == "Established"; }));
  clock.advance(30s);
  EXPECT_EQ(a->state(), "Established");
  EXPECT_EQ(b->state(), "Established");
  EXPECT_EQ(net.live_links(), 1u);
  EXPECT_EQ(a->peer_status()["establishedTransitions"], 1);
  EXPECT_EQ(b->peer_status()["establishedTransitions"], 1);
  EXPECT_NE(a->route("10.65.2.0/26"), nullptr);
}

TEST_F(SpeakerPair, PassivePeerWaitsForTheOtherSide) {
  make(65001, 65002, /*passive_b=*/true);
  start_both();
  ASSERT_TRUE(run_until([&] { return b->state() == "Established"; }));
  EXPECT_EQ(b->host->connects(), 0);
}

TEST_F(SpeakerPair, HoldTimerExpiryRemovesRoutesAndTheSessionComesBack) {
  make();
  start_both();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  net.set_reachable(ip("10.0.0.2"), false);  // b frozen: nothing arrives any more
  const auto t0 = clock.now();
  ASSERT_TRUE(run_until([&] { return a->state() != "Established"; }, 20s));
  const auto waited = clock.now() - t0;
  EXPECT_GE(waited, 6s);  // at least hold - keepalive interval since the last KEEPALIVE
  EXPECT_LE(waited, 10s);
  EXPECT_NE(a->peer_status()["lastError"].get<std::string>().find("hold timer"), std::string::npos)
      << a->peer_status().dump();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") == nullptr; }, 2s));
  net.set_reachable(ip("10.0.0.2"), true);
  ASSERT_TRUE(
      run_until([&] { return a->state() == "Established" && b->state() == "Established"; }, 120s));
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
}

TEST_F(SpeakerPair, ConnectionResetWithdrawsAndReconnects) {
  make();
  start_both();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  net.cut(ip("10.0.0.1"), ip("10.0.0.2"));
  clock.advance(0ms);
  EXPECT_NE(a->state(), "Established");
  EXPECT_EQ(a->route("10.65.2.0/26"), nullptr);
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }, 120s));
  EXPECT_EQ(a->peer_status()["establishedTransitions"], 2);
}

TEST_F(SpeakerPair, MalformedMessageResetsTheSessionWithTheRightNotification) {
  make();
  start_both();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  // A header with a bad marker from b to a: Connection Not Synchronized (RFC 4271 §6.1).
  std::vector<std::uint8_t> bad(19, 0x00);
  bad[16] = 0;
  bad[17] = 19;
  bad[18] = 4;
  ASSERT_TRUE(net.inject(ip("10.0.0.2"), ip("10.0.0.1"), bad));
  clock.advance(0ms);
  clock.advance(0ms);
  EXPECT_NE(a->state(), "Established");
  const auto err = a->peer_status()["lastError"].get<std::string>();
  EXPECT_NE(err.find("Message Header Error"), std::string::npos) << err;
  EXPECT_EQ(a->route("10.65.2.0/26"), nullptr);
  // b received our NOTIFICATION and reports it.
  clock.advance(0ms);
  EXPECT_NE(b->peer_status()["lastError"].get<std::string>().find("Connection Not Synchronized"),
            std::string::npos)
      << b->peer_status().dump();
  // Both come back.
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }, 120s));
}

TEST_F(SpeakerPair, WrongPeerAsIsRefusedWithBadPeerAs) {
  make(65001, 65002);
  // Reconfigure b's view of a with the wrong AS by building b again.
  auto pb = peer("10.0.0.1", 65099);
  b.reset();
  b = std::make_unique<Node>(net, clock, "10.0.0.2",
                             speaker("10.0.0.2", 65002, {"10.65.2.0/26"}, {pb}));
  start_both();
  clock.advance(10s);
  EXPECT_NE(a->state(), "Established");
  EXPECT_NE(b->peer_status()["lastError"].get<std::string>().find("Bad Peer AS"), std::string::npos)
      << b->peer_status().dump();
}

TEST_F(SpeakerPair, ShutdownSendsCeaseAndPeerWithdraws) {
  make();
  start_both();
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  b->bgp->shutdown("maintenance");
  clock.advance(0ms);
  clock.advance(0ms);
  EXPECT_NE(a->state(), "Established");
  EXPECT_NE(a->peer_status()["lastError"].get<std::string>().find("maintenance"), std::string::npos)
      << a->peer_status().dump();
  EXPECT_EQ(a->route("10.65.2.0/26"), nullptr);
}

TEST_F(SpeakerPair, ControlSocketCommands) {
  make();
  start_both();
  ASSERT_TRUE(run_until([&] { return a->state() == "Established"; }));
  auto reply = nlohmann::json::parse(a->bgp->handle_control("announce 10.65.9.0/26"));
  EXPECT_EQ(reply["ok"], true);
  ASSERT_TRUE(run_until([&] { return b->route("10.65.9.0/26") != nullptr; }));
  reply = nlohmann::json::parse(a->bgp->handle_control("withdraw 10.65.9.0/26"));
  EXPECT_EQ(reply["ok"], true);
  ASSERT_TRUE(run_until([&] { return b->route("10.65.9.0/26") == nullptr; }));
  reply = nlohmann::json::parse(a->bgp->handle_control("announce 10.65.9.1/26"));
  EXPECT_NE(reply["error"].get<std::string>().find("host bits"), std::string::npos);
  reply = nlohmann::json::parse(a->bgp->handle_control("frobnicate"));
  EXPECT_NE(reply["error"].get<std::string>().find("unknown command"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(a->bgp->handle_control("status")).contains("peers"));
}

// A restarted speaker finds its routes in the kernel and must not flap them: no delete
// and no rewrite of a route that is still valid, stale ones removed after convergence.
TEST_F(SpeakerPair, RestartDoesNotFlapValidKernelRoutes) {
  make();
  Route learned;
  learned.dst = cidr("10.65.2.0/26");
  learned.next_hops = {NextHop{ip("10.0.0.2"), 0, false, 1}};
  learned.protocol = kRouteProtocolCalicoBgp;
  a->kernel.preinstall(learned);
  Route stale = learned;
  stale.dst = cidr("10.65.77.0/26");
  a->kernel.preinstall(stale);
  Route own;
  own.dst = cidr("10.65.1.0/26");
  own.type = RouteType::Blackhole;
  own.protocol = kRouteProtocolCalicoBgp;
  a->kernel.preinstall(own);
  start_both();
  ASSERT_TRUE(run_until([&] { return a->bgp->kernel_converged(); }));
  clock.advance(1s);
  EXPECT_EQ(a->route("10.65.77.0/26"), nullptr);  // stale: removed after convergence
  ASSERT_NE(a->route("10.65.2.0/26"), nullptr);
  for (const auto& c : a->kernel.applied()) {
    EXPECT_NE(c.route.dst, cidr("10.65.2.0/26")) << "valid route was rewritten or deleted";
    EXPECT_NE(c.route.dst, cidr("10.65.1.0/26")) << "own blackhole was rewritten or deleted";
  }
}

// Route reflection: rr reflects client c1's route to client c2 with ORIGINATOR_ID and
// CLUSTER_LIST; without reflection (plain iBGP) it would not be passed on.
TEST(SpeakerReflector, ReflectsBetweenClients) {
  ManualTimers clock;
  MemoryNetwork net(clock);
  auto to_c1 = peer("10.0.0.11", 64512);
  to_c1.rr_client = true;
  auto to_c2 = peer("10.0.0.12", 64512);
  to_c2.rr_client = true;
  auto rr_cfg = speaker("10.0.0.10", 64512, {}, {to_c1, to_c2});
  rr_cfg.cluster_id = *parse_router_id("10.0.0.10");
  Node rr(net, clock, "10.0.0.10", rr_cfg);
  Node c1(net, clock, "10.0.0.11",
          speaker("10.0.0.11", 64512, {"10.65.11.0/26"}, {peer("10.0.0.10", 64512)}));
  Node c2(net, clock, "10.0.0.12",
          speaker("10.0.0.12", 64512, {"10.65.12.0/26"}, {peer("10.0.0.10", 64512)}));
  ASSERT_TRUE(rr.bgp->start());
  ASSERT_TRUE(c1.bgp->start());
  ASSERT_TRUE(c2.bgp->start());
  for (int i = 0; i < 300 && !(c2.route("10.65.11.0/26") && c1.route("10.65.12.0/26")); ++i) {
    clock.advance(100ms);
  }
  ASSERT_NE(c2.route("10.65.11.0/26"), nullptr);
  ASSERT_NE(c1.route("10.65.12.0/26"), nullptr);
  // The next hop is the originating client, not the reflector.
  EXPECT_EQ(gateway(c2.route("10.65.11.0/26")), "10.0.0.11");
  bool found = false;
  const auto routes = c2.bgp->routes()["routes"];  // a copy: the temporary dies before the loop
  for (const auto& r : routes) {
    if (r["prefix"] == "10.65.11.0/26") {
      found = true;
      EXPECT_EQ(r["paths"][0]["originatorId"], "10.0.0.11");
      EXPECT_EQ(r["paths"][0]["clusterList"], nlohmann::json::array({"10.0.0.10"}));
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace calico::bgp

namespace calico::bgp {
namespace {

using namespace speaker_test;

// Two eBGP peers in the same neighbour AS announce the same prefix: the kernel route gets
// both next hops (ECMP); when one withdraws, the route shrinks to the other.
TEST(SpeakerEcmp, EqualPathsFromTwoPeersBecomeOneMultipathKernelRoute) {
  ManualTimers clock;
  MemoryNetwork net(clock);
  Node a(net, clock, "10.0.0.1",
         speaker("10.0.0.1", 65001, {}, {peer("10.0.0.2", 65002), peer("10.0.0.3", 65002)}));
  Node b(net, clock, "10.0.0.2",
         speaker("10.0.0.2", 65002, {"10.65.50.0/26"}, {peer("10.0.0.1", 65001)}));
  Node c(net, clock, "10.0.0.3",
         speaker("10.0.0.3", 65002, {"10.65.50.0/26"}, {peer("10.0.0.1", 65001)}));
  ASSERT_TRUE(a.bgp->start());
  ASSERT_TRUE(b.bgp->start());
  ASSERT_TRUE(c.bgp->start());
  auto hops = [&] {
    const Route* r = a.route("10.65.50.0/26");
    return r == nullptr ? std::size_t{0} : r->next_hops.size();
  };
  for (int i = 0; i < 300 && hops() < 2; ++i) {
    clock.advance(100ms);
  }
  ASSERT_EQ(hops(), 2u);
  EXPECT_EQ(a.route("10.65.50.0/26")->next_hops[0].gateway.to_string(), "10.0.0.2");
  EXPECT_EQ(a.route("10.65.50.0/26")->next_hops[1].gateway.to_string(), "10.0.0.3");
  c.bgp->withdraw(cidr("10.65.50.0/26"));
  for (int i = 0; i < 50 && hops() != 1; ++i) {
    clock.advance(100ms);
  }
  ASSERT_EQ(hops(), 1u);
  EXPECT_EQ(gateway(a.route("10.65.50.0/26")), "10.0.0.2");
}

}  // namespace
}  // namespace calico::bgp
