// felix::Agent over fakes: what is programmed, when, and what survives a restart.
#include "felix/agent.h"

#include <gtest/gtest.h>

#include "tests/lib/fake_nft_committer.h"
#include "tests/lib/fake_route_sink.h"
#include "tests/unit/felix/felix_test_util.h"

namespace calico::felix {
namespace {

using datastore::Event;
using datastore::EventType;
using test::from_yaml;

class FakeHost final : public HostNet {
 public:
  std::map<std::string, int> ifaces;
  std::map<std::string, int> configured;  // iface -> times configured
  int forwarding = 0;
  Result<int, std::string> ifindex(const std::string& iface) override {
    auto it = ifaces.find(iface);
    if (it == ifaces.end()) {
      return fail("interface " + iface + ": No such device");
    }
    return it->second;
  }
  Result<void, std::string> configure_workload_iface(const std::string& iface, bool) override {
    ++configured[iface];
    return {};
  }
  Result<void, std::string> enable_forwarding(bool) override {
    ++forwarding;
    return {};
  }
};

class FakeBgp final : public BgpControl {
 public:
  std::vector<BgpDerived> configs;
  std::vector<std::set<net::Cidr>> blocks;
  void configure(const BgpDerived& d) override { configs.push_back(d); }
  void set_blocks(const std::set<net::Cidr>& b) override { blocks.push_back(b); }
};

Event added(api::AnyResource r) {
  Event e;
  e.type = EventType::Added;
  e.object.key = datastore::key_of(r);
  e.object.value = std::move(r);
  return e;
}

Event deleted(api::AnyResource r) {
  Event e = added(std::move(r));
  e.type = EventType::Deleted;
  return e;
}

api::WorkloadEndpoint wep(const std::string& pod, const std::string& node, const std::string& ip,
                          const std::string& iface, const std::string& labels = "app: web") {
  return from_yaml<api::WorkloadEndpoint>(
      "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n"
      "  name: " +
      node + "-k8s-" + pod + "-eth0\n  namespace: ns1\n  labels: {" + labels +
      ", projectcalico.org/namespace: ns1, projectcalico.org/orchestrator: k8s}\n"
      "spec:\n  orchestrator: k8s\n  node: " +
      node + "\n  pod: " + pod + "\n  endpoint: eth0\n  interfaceName: " + iface +
      "\n  ipNetworks: [" + ip + "]\n  profiles: [kns.ns1]\n");
}

api::BlockAffinity affinity(const std::string& node, const std::string& cidr,
                            const std::string& state = "confirmed") {
  api::BlockAffinity a;
  a.metadata.name = node + "-" + cidr;
  a.spec.node = node;
  a.spec.cidr = cidr;
  a.spec.state = state;
  a.spec.deleted = "false";
  return a;
}

class AgentTest : public ::testing::Test {
 protected:
  void make_agent() {
    AgentConfig cfg;
    cfg.node_name = "node-a";
    agent_ = std::make_unique<Agent>(cfg, AgentSeams{routes_, nft_, host_, bgp_});
    agent_->start();
  }
  void sync_all() {
    for (auto k : Agent::watched_kinds()) {
      agent_->on_in_sync(k);
    }
  }
  const Route* route(const std::string& cidr) { return routes_.find(*net::Cidr::parse(cidr)); }

  testlib::FakeRouteSink routes_;
  testlib::FakeNftCommitter nft_;
  FakeHost host_;
  FakeBgp bgp_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentTest, NothingIsProgrammedBeforeEveryWatchIsInSync) {
  make_agent();
  host_.ifaces["cali1111"] = 7;
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  for (auto k : Agent::watched_kinds()) {
    if (k != api::Kind::NetworkPolicy) {
      agent_->on_in_sync(k);
    }
  }
  EXPECT_FALSE(agent_->in_sync());
  EXPECT_FALSE(agent_->apply().done);
  EXPECT_EQ(routes_.size(), 0U);
  EXPECT_EQ(nft_.table("calico"), nullptr);
  EXPECT_TRUE(bgp_.configs.empty());
  agent_->on_in_sync(api::Kind::NetworkPolicy);
  const auto r = agent_->apply();
  EXPECT_TRUE(r.done) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_NE(route("10.65.0.2/32"), nullptr);
  EXPECT_NE(nft_.table("calico"), nullptr);
  EXPECT_TRUE(agent_->status().programmed);
}

TEST_F(AgentTest, LocalWorkloadsGetDeviceRoutesAndSysctls) {
  make_agent();
  sync_all();
  host_.ifaces["cali1111"] = 7;
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111")),
                     added(wep("p2", "node-b", "10.65.1.2/32", "cali2222"))});
  ASSERT_TRUE(agent_->apply().done);
  const Route* r = route("10.65.0.2/32");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->protocol, kRouteProtocolCalicoFelix);
  ASSERT_EQ(r->next_hops.size(), 1U);
  EXPECT_EQ(r->next_hops[0].ifindex, 7);
  EXPECT_EQ(r->next_hops[0].gateway.to_string(), "0.0.0.0");
  EXPECT_EQ(route("10.65.1.2/32"), nullptr);  // another node's pod
  EXPECT_EQ(host_.configured["cali1111"], 1);
  EXPECT_EQ(host_.configured.count("cali2222"), 0U);
  EXPECT_EQ(host_.forwarding, 1);
  EXPECT_EQ(agent_->status().local_endpoints, 1U);
  EXPECT_EQ(agent_->status().endpoints, 2U);

  agent_->on_events({deleted(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  ASSERT_TRUE(agent_->apply().done);
  EXPECT_EQ(route("10.65.0.2/32"), nullptr);
}

TEST_F(AgentTest, AMissingInterfaceIsRetried) {
  make_agent();
  sync_all();
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  auto r = agent_->apply();
  EXPECT_FALSE(r.done);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("cali1111"), std::string::npos) << r.errors[0];
  EXPECT_TRUE(agent_->dirty());
  host_.ifaces["cali1111"] = 9;
  r = agent_->apply();
  EXPECT_TRUE(r.done);
  ASSERT_NE(route("10.65.0.2/32"), nullptr);
  EXPECT_EQ(route("10.65.0.2/32")->next_hops[0].ifindex, 9);
}

TEST_F(AgentTest, RestartKeepsValidRoutesWithoutRewritingThem) {
  // What a previous run left: one route still wanted, one stale.
  Route keep;
  keep.dst = *net::Cidr::parse("10.65.0.2/32");
  keep.next_hops.push_back(NextHop{net::IpAddr::v4(0), 7, false, 1});
  keep.protocol = kRouteProtocolCalicoFelix;
  Route stale = keep;
  stale.dst = *net::Cidr::parse("10.65.0.3/32");
  const RouteChange seed[] = {{RouteChange::Op::Replace, keep}, {RouteChange::Op::Replace, stale}};
  ASSERT_TRUE(routes_.apply(seed).empty());
  const std::size_t writes_before = routes_.applied().size();

  make_agent();
  host_.ifaces["cali1111"] = 7;
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  EXPECT_FALSE(agent_->apply().done);  // not in sync: nothing touched
  EXPECT_EQ(routes_.applied().size(), writes_before);
  sync_all();
  ASSERT_TRUE(agent_->apply().done);
  ASSERT_NE(route("10.65.0.2/32"), nullptr);
  EXPECT_EQ(route("10.65.0.3/32"), nullptr);
  // Exactly one kernel write: the stale route's delete.
  ASSERT_EQ(routes_.applied().size(), writes_before + 1);
  EXPECT_EQ(routes_.applied().back().op, RouteChange::Op::Delete);
}

TEST_F(AgentTest, PolicyIsProgrammedForLocalEndpoints) {
  make_agent();
  sync_all();
  host_.ifaces["cali1111"] = 7;
  auto knp = from_yaml<api::KubernetesNetworkPolicy>(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: "
      "ns1}\nspec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}\n");
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111")), added(knp)});
  ASSERT_TRUE(agent_->apply().done);
  const policy::NftPlan* t = nft_.table("calico");
  ASSERT_NE(t, nullptr);
  bool has_policy_chain = false;
  for (const auto& [name, chain] : t->chains) {
    has_policy_chain = has_policy_chain || name.find("knp.default.deny") != std::string::npos ||
                       name.rfind("pi-", 0) == 0;
  }
  EXPECT_TRUE(has_policy_chain);
  EXPECT_EQ(agent_->status().policies, 1U);
  const auto commits = nft_.stats().commits;
  agent_->on_events({deleted(knp)});
  ASSERT_TRUE(agent_->apply().done);
  EXPECT_GT(nft_.stats().commits, commits);
  EXPECT_EQ(agent_->status().policies, 0U);
}

TEST_F(AgentTest, NatOutgoingFollowsThePools) {
  make_agent();
  sync_all();
  auto pool = from_yaml<api::IPPool>(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\n"
      "spec: {cidr: 10.65.0.0/16, natOutgoing: true}\n");
  agent_->on_events({added(pool)});
  ASSERT_TRUE(agent_->apply().done);
  const policy::NftPlan* t = nft_.table("calico-nat");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->sets.at("masq4").elements.size(), 1U);
  EXPECT_EQ(t->sets.at("pools4").elements.size(), 1U);
  ASSERT_EQ(t->chains.at("postrouting").rules.size(), 2U);
  EXPECT_TRUE(t->chains.at("postrouting").rules[0].masquerade);

  pool.spec.nat_outgoing = false;
  agent_->on_events({added(pool)});
  ASSERT_TRUE(agent_->apply().done);
  EXPECT_TRUE(nft_.table("calico-nat")->sets.at("masq4").elements.empty());
  EXPECT_EQ(nft_.table("calico-nat")->sets.at("pools4").elements.size(), 1U);
}

TEST_F(AgentTest, BgpIsConfiguredOncePerChangeAndBlocksFollowAffinities) {
  make_agent();
  sync_all();
  agent_->on_events({added(test::node("node-a", "10.0.0.1/24")),
                     added(test::node("node-b", "10.0.0.2/24")),
                     added(affinity("node-a", "10.65.0.0/26")),
                     added(affinity("node-a", "10.65.0.64/26", "pending")),
                     added(affinity("node-b", "10.65.1.0/26"))});
  ASSERT_TRUE(agent_->apply().done);
  ASSERT_EQ(bgp_.configs.size(), 1U);
  EXPECT_TRUE(bgp_.configs[0].enabled);
  ASSERT_EQ(bgp_.configs[0].config.peers.size(), 1U);
  ASSERT_EQ(bgp_.blocks.size(), 1U);
  EXPECT_EQ(bgp_.blocks[0], std::set<net::Cidr>{*net::Cidr::parse("10.65.0.0/26")});

  // A Node change that does not alter the sessions: no reconfiguration.
  auto b = test::node("node-b", "10.0.0.2/24", "", "zone: z1");
  agent_->on_events({added(b)});
  ASSERT_TRUE(agent_->apply().done);
  EXPECT_EQ(bgp_.configs.size(), 1U);

  agent_->on_events({added(test::node("node-c", "10.0.0.3/24")),
                     deleted(affinity("node-a", "10.65.0.0/26")),
                     added(affinity("node-a", "10.65.0.64/26"))});
  ASSERT_TRUE(agent_->apply().done);
  ASSERT_EQ(bgp_.configs.size(), 2U);
  EXPECT_EQ(bgp_.configs[1].config.peers.size(), 2U);
  ASSERT_EQ(bgp_.blocks.size(), 2U);
  EXPECT_EQ(bgp_.blocks[1], std::set<net::Cidr>{*net::Cidr::parse("10.65.0.64/26")});
}

TEST_F(AgentTest, AFailedPolicyCommitIsRetried) {
  make_agent();
  sync_all();
  host_.ifaces["cali1111"] = 7;
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  nft_.fail_next_commit();
  auto r = agent_->apply();
  EXPECT_FALSE(r.done);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("policy"), std::string::npos) << r.errors[0];
  EXPECT_EQ(agent_->status().errors, r.errors.size());
  r = agent_->apply();
  EXPECT_TRUE(r.done);
  EXPECT_NE(nft_.table("calico"), nullptr);
}

TEST_F(AgentTest, FelixConfigurationChangesTheEndpointToHostAction) {
  make_agent();
  sync_all();
  host_.ifaces["cali1111"] = 7;
  agent_->on_events({added(wep("p1", "node-a", "10.65.0.2/32", "cali1111"))});
  ASSERT_TRUE(agent_->apply().done);
  const std::string before = policy::to_nft_text(*nft_.table("calico"));
  agent_->on_events({added(from_yaml<api::FelixConfiguration>(
      "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\n"
      "spec: {defaultEndpointToHostAction: Accept}\n"))});
  ASSERT_TRUE(agent_->apply().done);
  EXPECT_NE(policy::to_nft_text(*nft_.table("calico")), before);
}

}  // namespace
}  // namespace calico::felix
