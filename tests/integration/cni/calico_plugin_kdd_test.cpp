// The calico binary with datastore_type "kubernetes" against a real kube-apiserver: the
// WorkloadEndpoint write becomes the pod's cni.projectcalico.org annotations (podIP,
// podIPs, containerID), the endpoint read back carries the pod's own labels and service
// account, and DEL blanks the addresses and releases them.  The plugin runs inside a node
// namespace; the API server's loopback port is relayed there.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cni/calico_plugin.h"
#include "datastore/kdd/projections.h"
#include "datastore/kube/kdd_datastore.h"
#include "ipam/allocator.h"
#include "tests/integration/cni/loopback_relay.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::cni::it {
namespace {

using nlohmann::json;

TEST(CalicoPluginKdd, EndpointIsThePodsAnnotationsOnTheKubernetesDatastore) {
  ASSERT_TRUE(testlib::is_root()) << "needs root (network namespaces)";
  auto s = testlib::KubeApiServer::start();
  ASSERT_TRUE(s) << s.error();
  auto& api = **s;
  ASSERT_TRUE(api.install_crds(CALICO_MANIFESTS_DIR "/crds"));
  ASSERT_TRUE(api.create_namespace("shop"));
  ASSERT_TRUE(api.service_account_token("shop", "frontend"));
  ASSERT_TRUE(api.request("POST", "/api/v1/nodes",
                          R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a"}})"));
  auto created = api.request("POST", "/api/v1/namespaces/shop/pods",
                             R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1",
                                 "namespace":"shop","labels":{"app":"web"}},
                                 "spec":{"nodeName":"node-a","serviceAccountName":"frontend",
                                 "automountServiceAccountToken":false,
                                 "containers":[{"name":"c","image":"x"}]}})");
  ASSERT_TRUE(created && created->status == 201) << (created ? created->body : created.error());
  datastore::kube::KddDatastore store(api.admin_config());
  api::IPPool pool;
  pool.metadata.name = "pool";
  pool.spec.cidr = "10.97.0.0/24";
  pool.spec.block_size = 26;
  pool.spec.node_selector = "all()";
  ASSERT_TRUE(store.create(pool));
  api::ClusterInformation ci;
  ci.metadata.name = "default";
  ci.spec.datastore_ready = true;
  ASSERT_TRUE(store.create(ci));

  testlib::NetNs node;
  testlib::NetNs pod;
  ASSERT_TRUE(node.ok() && pod.ok()) << node.error() << pod.error();
  auto relay = LoopbackRelay::start(node.name(), api.port());
  ASSERT_TRUE(relay) << relay.error();
  testlib::TempDir dir("calico-kdd-it");
  std::ofstream(dir.path() + "/nodename") << "node-a\n";
  const json conf = {{"cniVersion", "1.0.0"},
                     {"name", "k8s-pod-network"},
                     {"type", "calico"},
                     {"datastore_type", "kubernetes"},
                     {"kubernetes", {{"kubeconfig", api.kubeconfig()}}},
                     {"policy", {{"type", "k8s"}}},
                     {"nodename_file", dir.path() + "/nodename"},
                     {"ipam_lock_file", dir.path() + "/ipam.lock"},
                     {"ipam", {{"type", "calico-ipam"}}}};
  auto run = [&](const std::string& command) {
    const std::map<std::string, std::string> env = {
        {"CNI_COMMAND", command},
        {"CNI_CONTAINERID", "ctr-k"},
        {"CNI_NETNS", "/run/netns/" + pod.name()},
        {"CNI_IFNAME", "eth0"},
        {"CNI_PATH", std::filesystem::path(CALICO_IPAM_PLUGIN).parent_path().string()},
        {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1"}};
    return testlib::run_with_input({"/usr/sbin/ip", "netns", "exec", node.name(), CALICO_PLUGIN},
                                   env, conf.dump());
  };
  auto annotations = [&] {
    auto r = api.request("GET", "/api/v1/namespaces/shop/pods/web-1");
    return r ? json::parse(r->body)["metadata"].value("annotations", json::object()) : json();
  };

  auto add = run("ADD");
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const std::string addr = json::parse(add.out)["ips"][0]["address"];
  EXPECT_EQ(addr.rfind("10.97.0.", 0), 0u) << addr;
  json a = annotations();
  EXPECT_EQ(a["cni.projectcalico.org/podIP"], addr) << a.dump();
  EXPECT_EQ(a["cni.projectcalico.org/podIPs"], addr);
  EXPECT_EQ(a["cni.projectcalico.org/containerID"], "ctr-k");
  auto wep = store.get({api::Kind::WorkloadEndpoint, "shop", "node--a-k8s-web--1-eth0"});
  ASSERT_TRUE(wep) << wep.error().to_string();
  const auto& w = std::get<api::WorkloadEndpoint>(wep->value);
  EXPECT_EQ(w.metadata.labels.at("app"), "web");  // the pod's own labels
  EXPECT_EQ(w.metadata.labels.at("projectcalico.org/serviceaccount"), "frontend");
  EXPECT_EQ(w.spec.ip_networks, std::vector<std::string>{addr});
  EXPECT_EQ(w.spec.interface_name, datastore::kdd::workload_interface_name("shop", "web-1"));
  EXPECT_TRUE(testlib::link_exists(node.name(), w.spec.interface_name));

  for (int i = 0; i < 2; ++i) {
    auto del = run("DEL");
    EXPECT_EQ(del.exit_code, 0) << i << ": " << del.out << del.err;
  }
  a = annotations();
  EXPECT_EQ(a.value("cni.projectcalico.org/podIP", "gone"), "") << a.dump();
  EXPECT_FALSE(testlib::link_exists(node.name(), w.spec.interface_name));
  ipam::Allocator alloc(store);
  auto held = alloc.ips_by_handle("k8s-pod-network.ctr-k");
  EXPECT_TRUE(!held || held->empty()) << "address still allocated";
}

}  // namespace
}  // namespace calico::cni::it
