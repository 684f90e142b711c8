// End to end: etcd, three nodes (network namespaces on one L2 segment) each running the
// real calico-node with the node-to-node mesh, pods created with the real CNI plugins.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/document.h"
#include "tests/e2e/cluster.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/kube_apiserver.h"

namespace calico::testlib {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 8080;

std::unique_ptr<E2eCluster> make_cluster(const E2eCluster::Options& options = {}) {
  auto c = E2eCluster::create(options);
  EXPECT_TRUE(c) << (c ? "" : c.error());
  if (!c) {
    return nullptr;
  }
  for (int i = 0; i < (*c)->size(); ++i) {
    auto r = (*c)->wait_ready(i);
    EXPECT_TRUE(r) << r.error();
    if (!r) {
      return nullptr;
    }
  }
  return std::move(*c);
}

void apply_yaml(E2eCluster& c, const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  ASSERT_TRUE(docs) << docs.error().to_string();
  for (auto& d : *docs) {
    api::apply_defaults(d);
    auto r = c.ds().create(d);
    ASSERT_TRUE(r) << r.error().to_string();
  }
}

void remove_yaml(E2eCluster& c, const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  ASSERT_TRUE(docs);
  for (auto& d : *docs) {
    auto r = c.ds().remove(datastore::key_of(d));
    ASSERT_TRUE(r) << r.error().to_string();
  }
}

// The node's dataplane once it stops changing (routes and blocks still arriving): two
// equal snapshots 1 s apart, bounded.
std::string settled_snapshot(const E2eCluster& c, int node) {
  std::string prev = c.dataplane_snapshot(node);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(1s);
    std::string now = c.dataplane_snapshot(node);
    if (now == prev) {
      return now;
    }
    prev = std::move(now);
  }
  ADD_FAILURE() << c.node_name(node) << "'s dataplane keeps changing";
  return prev;
}

// Waits until `pred` holds (bounded), with a message for the failure.
#define EXPECT_EVENTUALLY(pred, timeout, msg) \
  EXPECT_TRUE(wait_until([&] { return (pred); }, timeout, 100ms)) << msg

TEST(NodeE2e, CrossNodeTrafficPolicyNatAndPodDeletion) {
  auto cluster = make_cluster();
  ASSERT_TRUE(cluster);
  E2eCluster& c = *cluster;

  // Health and metrics of a node with its two mesh sessions up.
  auto metrics = c.http(0, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error();
  EXPECT_EQ(metrics->first, 200);
  EXPECT_NE(metrics->second.find("calico_bgp_peers_established 2"), std::string::npos)
      << metrics->second;
  EXPECT_NE(metrics->second.find("felix_in_sync 1"), std::string::npos);
  auto live = c.http(0, "/liveness");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->first, 200);

  // calico-node initialised the ClusterInformation (Calico's EnsureInitialized).
  auto ci = c.ds().get({api::Kind::ClusterInformation, "", "default"});
  ASSERT_TRUE(ci) << ci.error().to_string();
  const auto& info = std::get<api::ClusterInformation>(ci->value);
  EXPECT_EQ(info.spec.cluster_guid.size(), 32U);
  EXPECT_EQ(info.spec.cluster_type, "k8s,bgp");
  EXPECT_EQ(info.spec.datastore_ready, std::optional<bool>(true));

  // calicoctl node status on node-1 (its calico-node's socket): both mesh peers up.
  auto status = run_with_input({CALICOCTL_BINARY, "node", "status"},
                               {{"CALICO_BGP_CONTROL_SOCKET", c.bgp_socket(0)}}, "", true);
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_EQ(status.out.rfind("Calico process is running.\n\nIPv4 BGP status\n", 0), 0U)
      << status.out;
  for (const char* peer : {"| 10.99.0.2    | node-to-node mesh | up    |",
                           "| 10.99.0.3    | node-to-node mesh | up    |"}) {
    EXPECT_NE(status.out.find(peer), std::string::npos) << status.out;
  }
  EXPECT_NE(status.out.find("IPv6 BGP status\nNo IPv6 peers found.\n"), std::string::npos);

  // A fourth Node appears (its calico-node not running yet): every node adds a mesh
  // session live, and the sessions already up are not reset.
  auto transitions = [&](int node) {
    std::map<std::string, std::pair<std::string, int>> out;  // address -> (state, ups)
    auto st = c.bgp_control(node, "status");
    if (st) {
      for (const auto& p :
           nlohmann::json::parse(*st, nullptr, false).value("peers", nlohmann::json::array())) {
        out[p.value("address", "")] = {p.value("state", ""), p.value("establishedTransitions", 0)};
      }
    }
    return out;
  };
  const auto before = transitions(0);
  ASSERT_EQ(before.size(), 2U);
  apply_yaml(c,
             "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node-4}\n"
             "spec: {bgp: {ipv4Address: 10.99.0.4/24}}\n");
  EXPECT_EVENTUALLY(transitions(0).size() == 3U, 10s, "node-4 not added to node-1's mesh");
  auto after = transitions(0);
  for (const auto& [addr, st] : before) {
    EXPECT_EQ(after[addr], st) << addr << " was reset by adding a peer";
  }
  auto ready = c.http(0, "/readiness/bgp");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->first, 503);  // node-4 is not up
  EXPECT_NE(ready->second.find("10.99.0.4"), std::string::npos) << ready->second;
  remove_yaml(c, "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node-4}\n");
  EXPECT_EVENTUALLY(transitions(0).size() == 2U, 10s, "node-4 not removed from the mesh");
  EXPECT_EQ(transitions(0), before);

  auto a = c.add_pod(0, "e2e", "a", {{"app", "a"}});
  ASSERT_TRUE(a) << a.error();
  auto b = c.add_pod(1, "e2e", "b", {{"app", "b"}});
  ASSERT_TRUE(b) << b.error();
  auto d = c.add_pod(2, "e2e", "d", {{"app", "d"}});
  ASSERT_TRUE(d) << d.error();
  auto echo_b = TcpEcho::start((*b)->netns->name(), kPort);
  ASSERT_TRUE(echo_b) << echo_b.error();

  // Each node routes its own pod through the veth, and the other nodes' blocks via BGP.
  EXPECT_EVENTUALLY(
      c.ip_in_node(1, {"route", "show", (*b)->ip + "/32"}).find("cali") != std::string::npos, 20s,
      c.ip_in_node(1, {"route"}) << c.node_log(1));
  EXPECT_EVENTUALLY(
      c.ip_in_node(0, {"route", "get", (*b)->ip}).find("via " + c.node_ip(1)) != std::string::npos,
      20s, c.ip_in_node(0, {"route"}) << c.node_log(0));

  // Cross-node ping and TCP.
  // calicoctl against the cluster's etcd sees the three pods and their blocks.
  const std::map<std::string, std::string> ctl_env = {{"DATASTORE_TYPE", "etcdv3"},
                                                      {"ETCD_ENDPOINTS", c.etcd().endpoint()}};
  auto weps =
      run_with_input({CALICOCTL_BINARY, "get", "weps", "-A", "-o", "wide"}, ctl_env, "", true);
  EXPECT_EQ(weps.exit_code, 0) << weps.err;
  for (const auto* pod : {&*a, &*b, &*d}) {
    EXPECT_NE(weps.out.find((*pod)->ip + "/32"), std::string::npos) << weps.out;
  }
  auto ipam =
      run_with_input({CALICOCTL_BINARY, "ipam", "show", "--show-blocks"}, ctl_env, "", true);
  EXPECT_EQ(ipam.exit_code, 0) << ipam.err;
  EXPECT_NE(ipam.out.find("| IP Pool  | 10.65.0.0/16 "), std::string::npos) << ipam.out;
  EXPECT_NE(ipam.out.find("| 3 (0%)     |"), std::string::npos) << ipam.out;
  auto check = run_with_input({CALICOCTL_BINARY, "ipam", "check"}, ctl_env, "", true);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("Check complete; found 0 problems."), std::string::npos) << check.out;

  EXPECT_EVENTUALLY(ping((*a)->netns->name(), (*b)->ip), 20s, "a -> b ping");
  EXPECT_TRUE(ping((*d)->netns->name(), (*a)->ip));
  EXPECT_TRUE(tcp_reachable((*a)->netns->name(), (*b)->ip, kPort));
  EXPECT_TRUE(tcp_reachable((*d)->netns->name(), (*b)->ip, kPort));

  // NAT outgoing: the lan namespace has no route to the pods; only masquerade to the
  // node's address makes this ping work.
  EXPECT_TRUE(ping((*a)->netns->name(), E2eCluster::lan_ip()));

  // A Kubernetes NetworkPolicy isolates b: nothing gets in...
  const std::string deny =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b-deny, "
      "namespace: e2e}\nspec: {podSelector: {matchLabels: {app: b}}, policyTypes: [Ingress]}\n";
  apply_yaml(c, deny);
  EXPECT_EVENTUALLY(!tcp_reachable((*a)->netns->name(), (*b)->ip, kPort, 500ms), 20s,
                    "policy did not block a -> b");
  EXPECT_FALSE(tcp_reachable((*d)->netns->name(), (*b)->ip, kPort, 500ms));
  // ...then a second one allows a (only) on the port.
  const std::string allow =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b-allow-a, "
      "namespace: e2e}\nspec:\n  podSelector: {matchLabels: {app: b}}\n  ingress:\n"
      "  - from: [{podSelector: {matchLabels: {app: a}}}]\n    ports: [{port: 8080}]\n";
  apply_yaml(c, allow);
  EXPECT_EVENTUALLY(tcp_reachable((*a)->netns->name(), (*b)->ip, kPort, 500ms), 20s,
                    "allow policy did not open a -> b");
  EXPECT_FALSE(tcp_reachable((*d)->netns->name(), (*b)->ip, kPort, 500ms));
  remove_yaml(c, deny);
  remove_yaml(c, allow);
  EXPECT_EVENTUALLY(tcp_reachable((*d)->netns->name(), (*b)->ip, kPort, 500ms), 20s,
                    "removing the policies did not restore d -> b");

  // Deleting b removes its route; no node keeps a route to its address.
  const std::string b_ip = (*b)->ip;
  echo_b->reset();
  ASSERT_TRUE(c.del_pod(**b));
  EXPECT_EVENTUALLY(c.ip_in_node(1, {"route", "show", b_ip + "/32"}).empty(), 20s,
                    c.ip_in_node(1, {"route"}));
  for (int i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c.ip_in_node(i, {"route", "show", b_ip + "/32"}), "") << c.node_name(i);
  }
  EXPECT_FALSE(ping((*a)->netns->name(), b_ip));
}

TEST(NodeE2e, RestartKeepsFlowsAndADatastoreOutageChangesNothing) {
  auto cluster = make_cluster();
  ASSERT_TRUE(cluster);
  E2eCluster& c = *cluster;
  auto a = c.add_pod(0, "e2e", "a", {{"app", "a"}});
  ASSERT_TRUE(a) << a.error();
  auto b = c.add_pod(1, "e2e", "b", {{"app", "b"}});
  ASSERT_TRUE(b) << b.error();
  auto echo_b = TcpEcho::start((*b)->netns->name(), kPort);
  ASSERT_TRUE(echo_b) << echo_b.error();
  // A policy, so a restart that re-created the table would show up in the snapshot.
  apply_yaml(c,
             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b-allow, "
             "namespace: e2e}\nspec:\n  podSelector: {matchLabels: {app: b}}\n  ingress:\n"
             "  - from: [{podSelector: {matchLabels: {app: a}}}]\n");
  std::unique_ptr<TcpFlow> flow;
  EXPECT_EVENTUALLY(
      [&] {
        auto f = TcpFlow::open((*a)->netns->name(), (*b)->ip, kPort, 500ms);
        if (f && (*f)->roundtrip("hello", 1s)) {
          flow = std::move(*f);
          return true;
        }
        return false;
      }(),
      30s, "no a -> b connection");
  ASSERT_TRUE(flow);

  // Restart node-2's calico-node: the flow survives, the node's dataplane is the same.
  const std::string before = settled_snapshot(c, 1);
  EXPECT_EQ(c.stop_node(1), 0) << c.node_log(1);
  ASSERT_TRUE(c.start_node(1));
  auto ready = c.wait_ready(1);
  ASSERT_TRUE(ready) << ready.error();
  ASSERT_TRUE(c.wait_ready(0));
  EXPECT_TRUE(flow->roundtrip("after-restart", 30s));
  EXPECT_EQ(c.dataplane_snapshot(1), before);

  // etcd stops for 10 s: every node's dataplane stays exactly as it was, traffic flows.
  std::vector<std::string> snaps;
  for (int i = 0; i < c.size(); ++i) {
    snaps.push_back(settled_snapshot(c, i));
  }
  c.etcd().stop();
  const auto until = std::chrono::steady_clock::now() + 10s;
  int rounds = 0;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_TRUE(flow->roundtrip("etcd-down-" + std::to_string(rounds), 5s));
    std::this_thread::sleep_for(1s);
    ++rounds;
  }
  for (int i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c.dataplane_snapshot(i), snaps[static_cast<std::size_t>(i)]) << c.node_name(i);
  }
  auto unready = c.http(0, "/readiness");
  ASSERT_TRUE(unready);
  EXPECT_EQ(unready->first, 503) << unready->second;
  ASSERT_TRUE(c.etcd().restart());
  // Back in sync: a change made now is programmed.
  for (int i = 0; i < c.size(); ++i) {
    auto r = c.wait_ready(i, "/readiness/felix");
    EXPECT_TRUE(r) << r.error();
  }
  auto e = c.add_pod(2, "e2e", "e", {{"app", "a"}});
  ASSERT_TRUE(e) << e.error();
  EXPECT_EVENTUALLY(tcp_reachable((*e)->netns->name(), (*b)->ip, kPort, 500ms), 30s,
                    "new pod after the outage cannot reach b");
  EXPECT_TRUE(flow->roundtrip("end", 5s));
}

// The same node agent on the Kubernetes datastore: Nodes registered by "kubelets", the
// node's BGP address stored as annotations, pods' endpoints projected from Pods.
TEST(NodeE2e, KubernetesDatastore) {
  E2eCluster::Options o;
  o.kubernetes = true;
  auto cluster = make_cluster(o);
  ASSERT_TRUE(cluster);
  E2eCluster& c = *cluster;
  auto node = c.api()->request("GET", "/api/v1/nodes/" + c.node_name(1));
  ASSERT_TRUE(node);
  const auto node_json = nlohmann::json::parse(node->body, nullptr, false);
  EXPECT_EQ(node_json["metadata"]["annotations"].value("projectcalico.org/IPv4Address", ""),
            c.node_ip(1) + "/24")
      << node->body;

  auto a = c.add_pod(0, "kdd", "a", {{"app", "a"}});
  ASSERT_TRUE(a) << a.error();
  auto b = c.add_pod(1, "kdd", "b", {{"app", "b"}});
  ASSERT_TRUE(b) << b.error();
  auto pod = c.api()->request("GET", "/api/v1/namespaces/kdd/pods/b");
  ASSERT_TRUE(pod);
  const auto pod_json = nlohmann::json::parse(pod->body, nullptr, false);
  EXPECT_EQ(pod_json["metadata"]["annotations"].value("cni.projectcalico.org/podIP", ""),
            (*b)->ip + "/32")
      << pod->body;
  auto echo_b = TcpEcho::start((*b)->netns->name(), kPort);
  ASSERT_TRUE(echo_b) << echo_b.error();
  EXPECT_EVENTUALLY(tcp_reachable((*a)->netns->name(), (*b)->ip, kPort, 500ms), 30s,
                    "a -> b over the Kubernetes datastore\n"
                        << c.node_log(0));
  EXPECT_TRUE(ping((*b)->netns->name(), (*a)->ip));

  const std::string deny =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b-deny, "
      "namespace: kdd}\nspec: {podSelector: {matchLabels: {app: b}}, policyTypes: [Ingress]}\n";
  apply_yaml(c, deny);
  EXPECT_EVENTUALLY(!tcp_reachable((*a)->netns->name(), (*b)->ip, kPort, 500ms), 20s,
                    "policy did not block a -> b");
  remove_yaml(c, deny);
  EXPECT_EVENTUALLY(tcp_reachable((*a)->netns->name(), (*b)->ip, kPort, 500ms), 20s,
                    "removing the policy did not reopen a -> b");
}

}  // namespace
}  // namespace calico::testlib
