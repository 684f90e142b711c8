// Live reconfiguration of a running speaker (Speaker::set_peers, set_originated,
// reconfigure) with whole speakers over the in-memory network: a peer added, removed or
// changed touches only its own session; removed peers' routes leave the Loc-RIB, the
// kernel and the other peers; late I/O callbacks for removed peers are dropped.
#include <gtest/gtest.h>

#include "bgp/speaker/speaker.h"
#include "tests/unit/bgp/speaker_test_util.h"

namespace calico::bgp {
namespace {

using namespace std::chrono_literals;
using namespace speaker_test;
using nlohmann::json;

constexpr const char* kA = "10.0.0.1";
constexpr const char* kB = "10.0.0.2";
constexpr const char* kC = "10.0.0.3";

// A (AS 65001) in the middle; B (65002) and C (65003) each peer with A only.
class Reconfigure : public ::testing::Test {
 protected:
  ManualTimers clock;
  MemoryNetwork net{clock};
  std::unique_ptr<Node> a, b, c;

  // A's view of B and C.
  PeerConfig a_to_b = peer(kB, 65002);
  PeerConfig a_to_c = peer(kC, 65003);

  void make_b(std::vector<const char*> blocks = {"10.65.2.0/26"}) {
    b = std::make_unique<Node>(net, clock, kB,
                               speaker(kB, 65002, std::move(blocks), {peer(kA, 65001)}));
  }
  void make_c(std::vector<const char*> blocks = {"10.65.3.0/26"}) {
    c = std::make_unique<Node>(net, clock, kC,
                               speaker(kC, 65003, std::move(blocks), {peer(kA, 65001)}));
  }
  void make_a(std::vector<PeerConfig> peers, std::vector<const char*> blocks = {"10.65.1.0/26"}) {
    a = std::make_unique<Node>(net, clock, kA, speaker(kA, 65001, std::move(blocks), peers));
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::seconds limit = 60s) {
    for (auto t = 0ms; t < limit; t += 100ms) {
      if (pred()) {
        return true;
      }
      clock.advance(100ms);
    }
    return pred();
  }
  bool has_route(const Node& n, const char* prefix) const {
    const auto routes = n.bgp->routes()["routes"];
    for (const auto& r : routes) {
      if (r["prefix"] == prefix) {
        return true;
      }
    }
    return false;
  }
  static std::uint64_t sent(const json& st, const char* type) {
    return st["messages"]["sent"][type].get<std::uint64_t>();
  }
  static std::uint64_t received(const json& st, const char* type) {
    return st["messages"]["received"][type].get<std::uint64_t>();
  }
};

TEST_F(Reconfigure, AddedPeerComesUpWithoutTouchingTheExistingSession) {
  make_a({a_to_b});
  make_b();
  make_c({});  // C originates nothing: nothing new has to travel A -> B
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return b->route("10.65.1.0/26") && a->route("10.65.2.0/26"); }));
  clock.advance(5s);
  const json ab = a->status_of(kB);
  const json ba = b->status_of(kA);
  ASSERT_EQ(ab["establishedTransitions"], 1);
  const auto calls = a->host->set_peers_calls();
  const auto t0 = clock.now();

  ASSERT_TRUE(c->bgp->start());
  auto change = a->bgp->set_peers({a_to_b, a_to_c});
  ASSERT_TRUE(change) << change.error();
  EXPECT_EQ(change->added, 1u);
  EXPECT_EQ(change->unchanged, 1u);
  EXPECT_EQ(change->removed + change->reset + change->updated, 0u);
  // The I/O layer learned the new set before the new session started.
  EXPECT_EQ(a->host->set_peers_calls(), calls + 1);
  ASSERT_EQ(a->host->peers().size(), 2u);
  EXPECT_EQ(a->host->peers()[1].address, ip(kC));

  ASSERT_TRUE(run_until([&] { return a->state_of(kC) == "Established"; }, 20s));
  // C gets A's block and B's (through A) into its kernel.
  ASSERT_TRUE(run_until([&] { return c->route("10.65.1.0/26") && c->route("10.65.2.0/26"); }));
  EXPECT_EQ(gateway(c->route("10.65.2.0/26")), kA);
  clock.advance(3s);

  // The A-B session is the same one: no new transition, no OPEN, no UPDATE, and its
  // uptime kept counting from before the change.
  const json ab2 = a->status_of(kB);
  const json ba2 = b->status_of(kA);
  EXPECT_EQ(ab2["establishedTransitions"], 1);
  EXPECT_EQ(ba2["establishedTransitions"], 1);
  EXPECT_EQ(sent(ab2, "open"), sent(ab, "open"));
  EXPECT_EQ(sent(ab2, "update"), sent(ab, "update"));
  EXPECT_EQ(received(ba2, "open"), received(ba, "open"));
  EXPECT_EQ(received(ba2, "update"), received(ba, "update"));
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(clock.now() - t0).count();
  EXPECT_EQ(ab2["uptimeSeconds"].get<std::int64_t>(),
            ab["uptimeSeconds"].get<std::int64_t>() + elapsed);
  EXPECT_EQ(net.live_links(), 2u);
  // status() lists both, in slot order.
  const auto peers = a->bgp->status()["peers"];
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0]["address"], kB);
  EXPECT_EQ(peers[1]["address"], kC);
}

TEST_F(Reconfigure, RemovedPeerGetsPeerDeconfiguredAndItsRoutesAreWithdrawnEverywhere) {
  make_a({a_to_b, a_to_c});
  make_b();
  make_c();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(c->bgp->start());
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") && a->route("10.65.2.0/26"); }));
  ASSERT_TRUE(run_until([&] { return b->route("10.65.3.0/26") != nullptr; }));
  const json ca = c->status_of(kA);

  auto change = a->bgp->set_peers({a_to_c});
  ASSERT_TRUE(change) << change.error();
  EXPECT_EQ(change->removed, 1u);
  EXPECT_EQ(change->unchanged, 1u);
  // Synchronously: gone from A's status, RIB and I/O peer set.
  ASSERT_EQ(a->bgp->status()["peers"].size(), 1u);
  EXPECT_EQ(a->bgp->status()["peers"][0]["address"], kC);
  EXPECT_EQ(a->bgp->peer_index(ip(kB)), std::nullopt);
  EXPECT_FALSE(has_route(*a, "10.65.2.0/26"));
  ASSERT_EQ(a->host->peers().size(), 1u);
  clock.advance(0ms);
  clock.advance(0ms);

  // B heard Cease/Peer De-configured (RFC 4486 subcode 3) and dropped A's routes.
  const json ba = b->status_of(kA);
  EXPECT_NE(
      ba["lastError"].get<std::string>().find("received NOTIFICATION Cease/Peer De-configured"),
      std::string::npos)
      << ba.dump();
  EXPECT_EQ(received(ba, "notification"), 1u);
  EXPECT_EQ(b->route("10.65.1.0/26"), nullptr);
  // B's routes left A's kernel and C (RIB and kernel).
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") == nullptr; }, 1s));
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") == nullptr; }, 1s));
  EXPECT_FALSE(has_route(*c, "10.65.2.0/26"));
  EXPECT_NE(a->route("10.65.3.0/26"), nullptr);  // C's route stays

  // B keeps trying; A refuses an unconfigured address, so nothing comes back.
  clock.advance(30s);
  EXPECT_EQ(a->bgp->status()["peers"].size(), 1u);
  EXPECT_EQ(a->route("10.65.2.0/26"), nullptr);
  EXPECT_NE(b->state_of(kA), "Established");
  // The A-C session was not touched.
  const json ca2 = c->status_of(kA);
  EXPECT_EQ(ca2["establishedTransitions"], 1);
  EXPECT_EQ(received(ca2, "open"), received(ca, "open"));

  // Re-added: a new slot (and PeerId); the session and the routes come back.
  ASSERT_TRUE(a->bgp->set_peers({a_to_c, a_to_b}));
  EXPECT_EQ(a->bgp->peer_index(ip(kB)), std::optional<std::size_t>(2));
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") != nullptr; }, 120s));
  const auto routes = a->bgp->routes()["routes"];
  bool found = false;
  for (const auto& r : routes) {
    if (r["prefix"] == "10.65.2.0/26") {
      found = true;
      EXPECT_EQ(r["paths"][0]["peer"], kB);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(Reconfigure, ChangedSettingsResetOnlyThatPeersSession) {
  make_a({a_to_b, a_to_c});
  make_b();
  make_c();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(c->bgp->start());
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") && b->route("10.65.3.0/26"); }));
  const json ca = c->status_of(kA);
  EXPECT_EQ(a->status_of(kB)["holdTime"], 9);

  // Hold time 9 -> 6: the session with B is reset and comes back with the new value.
  a_to_b.hold_time = 6s;
  auto change = a->bgp->set_peers({a_to_b, a_to_c});
  ASSERT_TRUE(change) << change.error();
  EXPECT_EQ(change->reset, 1u);
  EXPECT_EQ(change->unchanged, 1u);
  EXPECT_EQ(change->added + change->removed, 0u);
  clock.advance(0ms);
  clock.advance(0ms);
  EXPECT_NE(b->status_of(kA)["lastError"].get<std::string>().find(
                "received NOTIFICATION Cease/Other Configuration Change"),
            std::string::npos)
      << b->status_of(kA).dump();
  ASSERT_TRUE(run_until([&] { return a->state_of(kB) == "Established"; }, 120s));
  EXPECT_EQ(a->status_of(kB)["holdTime"], 6);
  EXPECT_EQ(b->status_of(kA)["establishedTransitions"], 2);
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") != nullptr; }));

  // The other session was not touched.
  const json ca2 = c->status_of(kA);
  EXPECT_EQ(ca2["establishedTransitions"], 1);
  EXPECT_EQ(received(ca2, "open"), received(ca, "open"));
  EXPECT_EQ(a->status_of(kC)["establishedTransitions"], 1);

  // The wrong AS for B: reset, and the new session is refused (Bad Peer AS); B's routes
  // are gone from A and C.
  a_to_b.asn = 65099;
  ASSERT_TRUE(a->bgp->set_peers({a_to_b, a_to_c}));
  ASSERT_TRUE(run_until([&] { return c->route("10.65.2.0/26") == nullptr; }, 2s));
  EXPECT_TRUE(run_until(
      [&] {
        return a->status_of(kB)["lastError"].get<std::string>().find("Bad Peer AS") !=
               std::string::npos;
      },
      20s))
      << a->status_of(kB).dump();
  clock.advance(20s);
  EXPECT_NE(a->state_of(kB), "Established");
  EXPECT_EQ(a->route("10.65.2.0/26"), nullptr);
  EXPECT_EQ(c->status_of(kA)["establishedTransitions"], 1);
  EXPECT_EQ(a->state_of(kC), "Established");
}

TEST_F(Reconfigure, NewNameAndConnectRetryApplyInPlace) {
  make_a({a_to_b});
  make_b();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  const json ab = a->status_of(kB);
  a_to_b.name = "Mesh_10_0_0_2";
  a_to_b.connect_retry = 7s;
  auto change = a->bgp->set_peers({a_to_b});
  ASSERT_TRUE(change) << change.error();
  EXPECT_EQ(change->updated, 1u);
  EXPECT_EQ(change->reset, 0u);
  clock.advance(10s);
  const json ab2 = a->status_of(kB);
  EXPECT_EQ(ab2["name"], "Mesh_10_0_0_2");
  EXPECT_EQ(ab2["establishedTransitions"], 1);
  EXPECT_EQ(sent(ab2, "open"), sent(ab, "open"));
  EXPECT_EQ(sent(ab2, "notification"), 0u);
  EXPECT_EQ(a->bgp->peers().front().connect_retry, 7s);
  // Identical again: nothing at all.
  change = a->bgp->set_peers({a_to_b});
  ASSERT_TRUE(change);
  EXPECT_EQ(change->unchanged, 1u);
  EXPECT_EQ(change->updated, 0u);
}

TEST_F(Reconfigure, InvalidPeerSetIsRefusedAndChangesNothing) {
  make_a({a_to_b});
  make_b();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return a->state_of(kB) == "Established"; }));
  const auto calls = a->host->set_peers_calls();
  // The same identity twice.
  auto twice = a_to_c;
  twice.asn = 65004;
  auto r = a->bgp->set_peers({a_to_c, a_to_b, twice});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("listed twice"), std::string::npos) << r.error();
  // A hold time the FSM rejects (RFC 4271 §4.2: 0 or at least 3).
  auto bad = a_to_c;
  bad.hold_time = 2s;
  r = a->bgp->set_peers({bad});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(kC), std::string::npos) << r.error();
  clock.advance(1s);
  EXPECT_EQ(a->state_of(kB), "Established");
  EXPECT_EQ(a->bgp->status()["peers"].size(), 1u);
  EXPECT_EQ(a->host->set_peers_calls(), calls);
  EXPECT_EQ(a->status_of(kB)["establishedTransitions"], 1);
}

TEST_F(Reconfigure, SetOriginatedAnnouncesTheNewWithdrawsTheGoneAndLeavesTheRest) {
  make_a({a_to_b}, {"10.65.1.0/26", "10.65.4.0/26"});
  make_b({});
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return b->route("10.65.1.0/26") && b->route("10.65.4.0/26"); }));
  b->kernel.clear_applied();
  a->kernel.clear_applied();
  a->bgp->set_originated({cidr("10.65.1.0/26"), cidr("10.65.5.0/26")});
  EXPECT_EQ(a->bgp->originated(), (std::set<Prefix>{cidr("10.65.1.0/26"), cidr("10.65.5.0/26")}));
  ASSERT_TRUE(run_until([&] { return b->route("10.65.5.0/26") != nullptr; }, 2s));
  ASSERT_TRUE(run_until([&] { return b->route("10.65.4.0/26") == nullptr; }, 2s));
  EXPECT_NE(b->route("10.65.1.0/26"), nullptr);
  for (const auto& ch : b->kernel.applied()) {
    EXPECT_NE(ch.route.dst, cidr("10.65.1.0/26")) << "an unchanged block was re-sent";
  }
  // A's own kernel: blackhole for the new block, none for the gone one, the kept one
  // not rewritten.
  ASSERT_NE(a->route("10.65.5.0/26"), nullptr);
  EXPECT_EQ(a->route("10.65.5.0/26")->type, RouteType::Blackhole);
  EXPECT_EQ(a->route("10.65.4.0/26"), nullptr);
  for (const auto& ch : a->kernel.applied()) {
    EXPECT_NE(ch.route.dst, cidr("10.65.1.0/26"));
  }
  // The same set again sends nothing; host bits are masked off.
  const auto updates = sent(a->status_of(kB), "update");
  a->bgp->set_originated({cidr("10.65.1.0/26"), *net::Cidr::parse("10.65.5.7/26", false)});
  clock.advance(1s);
  EXPECT_EQ(sent(a->status_of(kB), "update"), updates);
  // Empty: everything withdrawn.
  a->bgp->set_originated({});
  ASSERT_TRUE(run_until([&] { return b->route("10.65.1.0/26") == nullptr; }, 2s));
  EXPECT_EQ(b->route("10.65.5.0/26"), nullptr);
}

// A Connection handed to the speaker by hand: records whether it was closed and what was
// sent on it.
class ProbeConnection final : public Connection {
 public:
  struct Seen {
    bool closed = false;
    std::size_t sent_bytes = 0;
  };
  ProbeConnection(ConnId id, std::shared_ptr<Seen> seen) : id_(id), seen_(std::move(seen)) {}
  ~ProbeConnection() override { seen_->closed = true; }
  ConnId id() const override { return id_; }
  void send(std::vector<std::uint8_t> bytes) override { seen_->sent_bytes += bytes.size(); }
  void close() override { seen_->closed = true; }
  net::IpAddr local_address() const override { return ip(kA); }
  net::IpAddr remote_address() const override { return ip(kB); }
  std::uint16_t remote_port() const override { return 179; }

 private:
  ConnId id_;
  std::shared_ptr<Seen> seen_;
};

TEST_F(Reconfigure, LateConnectOutcomesForARemovedPeerAreIgnored) {
  make_a({a_to_b});
  make_b();
  net.set_reachable(ip(kB), false);  // A's connect stays pending for a second
  ASSERT_TRUE(a->bgp->start());
  clock.advance(0ms);
  ASSERT_EQ(a->state_of(kB), "Connect");
  ASSERT_EQ(a->host->pending_connects(), (std::set<std::size_t>{0}));

  // Removing the peer cancels its connect.
  ASSERT_TRUE(a->bgp->set_peers({}));
  EXPECT_TRUE(a->host->pending_connects().empty());
  EXPECT_EQ(a->bgp->peer_state(0), "");
  // Added back: a new slot, its own connect.
  ASSERT_TRUE(a->bgp->set_peers({a_to_b}));
  ASSERT_EQ(a->bgp->peer_index(ip(kB)), std::optional<std::size_t>(1));
  ASSERT_EQ(a->host->pending_connects(), (std::set<std::size_t>{1}));
  ASSERT_EQ(a->state_of(kB), "Connect");

  // Outcomes for slot 0 that an I/O layer had already queued arrive now: dropped, and
  // the connection is closed without a byte sent; the new session is not affected.
  auto seen = std::make_shared<ProbeConnection::Seen>();
  a->bgp->on_connected(0, std::make_unique<ProbeConnection>(9001, seen));
  EXPECT_TRUE(seen->closed);
  EXPECT_EQ(seen->sent_bytes, 0u);
  EXPECT_EQ(a->state_of(kB), "Connect");
  a->bgp->on_connect_failed(0, "late failure");
  EXPECT_EQ(a->state_of(kB), "Connect");
  a->bgp->on_bytes(9001, std::vector<std::uint8_t>(19, 0xff));
  EXPECT_EQ(a->state_of(kB), "Connect");
  EXPECT_EQ(a->bgp->status()["peers"].size(), 1u);

  // The new slot works normally once B is reachable.
  net.set_reachable(ip(kB), true);
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }, 120s));
}

TEST_F(Reconfigure, RemovedPeerNoLongerHoldsBackKernelConvergence) {
  make_a({a_to_b, a_to_c});
  make_b();
  // A stale route of a previous run: removed only once the kernel view has converged.
  Route stale;
  stale.dst = cidr("10.65.77.0/26");
  stale.next_hops = {NextHop{ip(kB), 0, false, 1}};
  stale.protocol = kRouteProtocolCalicoBgp;
  a->kernel.preinstall(stale);
  net.set_reachable(ip(kC), false);  // C never answers
  const auto t0 = clock.now();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return a->route("10.65.2.0/26") != nullptr; }));
  clock.advance(6s);                         // B up, End-of-RIB received, settle time passed
  EXPECT_FALSE(a->bgp->kernel_converged());  // still waiting for C
  EXPECT_NE(a->route("10.65.77.0/26"), nullptr);

  ASSERT_TRUE(a->bgp->set_peers({a_to_b}));
  EXPECT_TRUE(a->bgp->kernel_converged());
  clock.advance(0ms);
  EXPECT_EQ(a->route("10.65.77.0/26"), nullptr);
  EXPECT_LT(clock.now() - t0, 30s);  // well before the convergence deadline
  EXPECT_NE(a->route("10.65.2.0/26"), nullptr);
}

TEST_F(Reconfigure, ReconfigureRefusesWhatNeedsARestartAndAppliesTheRest) {
  make_a({a_to_b});
  make_b();
  ASSERT_TRUE(a->bgp->start());
  ASSERT_TRUE(b->bgp->start());
  ASSERT_TRUE(run_until([&] { return b->route("10.65.1.0/26") != nullptr; }));
  auto next = speaker(kA, 65009, {"10.65.6.0/26"}, {});
  auto r = a->bgp->reconfigure(next);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("asNumber"), std::string::npos) << r.error();
  clock.advance(1s);
  EXPECT_EQ(a->state_of(kB), "Established");  // nothing applied
  EXPECT_EQ(b->route("10.65.6.0/26"), nullptr);

  next.asn = 65001;
  next.hold_time = 30s;  // a default only: the peers carry their own
  r = a->bgp->reconfigure(next);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->removed, 1u);
  ASSERT_TRUE(run_until([&] { return b->route("10.65.1.0/26") == nullptr; }, 2s));
  EXPECT_EQ(a->bgp->originated(), std::set<Prefix>{cidr("10.65.6.0/26")});
  EXPECT_TRUE(a->bgp->status()["peers"].empty());
}

TEST(ReconfigureBeforeStart, PeersAndBlocksAreRecordedAndUsedByStart) {
  ManualTimers clock;
  MemoryNetwork net(clock);
  Node a(net, clock, kA, speaker(kA, 65001, {"10.65.1.0/26"}, {peer(kC, 65003)}));
  Node b(net, clock, kB, speaker(kB, 65002, {}, {peer(kA, 65001)}));
  ASSERT_TRUE(a.bgp->set_peers({peer(kB, 65002)}));
  a.bgp->set_originated({cidr("10.65.8.0/26")});
  EXPECT_EQ(a.host->connects(), 0);  // nothing starts before start()
  ASSERT_TRUE(a.bgp->start());
  ASSERT_TRUE(b.bgp->start());
  for (int i = 0; i < 300 && b.route("10.65.8.0/26") == nullptr; ++i) {
    clock.advance(100ms);
  }
  EXPECT_NE(b.route("10.65.8.0/26"), nullptr);
  EXPECT_EQ(b.route("10.65.1.0/26"), nullptr);
  EXPECT_EQ(a.bgp->status()["peers"].size(), 1u);
  EXPECT_EQ(a.state_of(kB), "Established");
}

}  // namespace
}  // namespace calico::bgp
