// The calico-ipam binary with datastore_type "kubernetes": exec'd as a runtime does, with
// the kubeconfig from the network config, against a real kube-apiserver started by the
// test.  Addresses come from pools chosen by the pod's namespace labels (namespaceSelector,
// read from the Namespace itself), the IPAM objects are Calico's custom resources, and DEL
// releases them.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datastore/kdd/kube_config.h"
#include "datastore/kube/kdd_datastore.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/lib/process.h"

namespace calico::cni {
namespace {

using nlohmann::json;

const std::string kCrd = "/apis/crd.projectcalico.org/v1/";

TEST(CalicoIpamKdd, AllocatesFromNamespaceSelectedPoolsAndReleasesOnTheKubernetesDatastore) {
  auto s = testlib::KubeApiServer::start();
  ASSERT_TRUE(s) << s.error();
  auto& api = **s;
  ASSERT_TRUE(api.install_crds(CALICO_MANIFESTS_DIR "/crds"));
  ASSERT_TRUE(api.request("POST", "/api/v1/namespaces",
                          R"({"apiVersion":"v1","kind":"Namespace",
                              "metadata":{"name":"web","labels":{"team":"blue"}}})"));
  ASSERT_TRUE(api.create_namespace("plain"));
  ASSERT_TRUE(api.request("POST", "/api/v1/nodes",
                          R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a"}})"));
  datastore::kube::KddDatastore store(api.admin_config());
  api::IPPool blue;
  blue.metadata.name = "pool-blue";
  blue.spec.cidr = "10.92.0.0/24";
  blue.spec.block_size = 26;
  blue.spec.node_selector = "all()";
  blue.spec.namespace_selector = "team == 'blue'";
  ASSERT_TRUE(store.create(blue));
  api::ClusterInformation ci;
  ci.metadata.name = "default";
  ci.spec.datastore_ready = true;
  ASSERT_TRUE(store.create(ci));

  testlib::TempDir dir("calico-ipam-kdd");
  std::ofstream(dir.path() + "/nodename") << "node-a\n";
  const json conf = {{"cniVersion", "1.0.0"},
                     {"name", "k8s-pod-network"},
                     {"type", "calico"},
                     {"datastore_type", "kubernetes"},
                     {"kubernetes", {{"kubeconfig", api.kubeconfig()}}},
                     {"nodename_file", dir.path() + "/nodename"},
                     {"ipam_lock_file", dir.path() + "/ipam.lock"},
                     {"ipam", {{"type", "calico-ipam"}}}};
  auto env = [](const std::string& cmd, const std::string& id, const std::string& ns) {
    return std::map<std::string, std::string>{
        {"CNI_COMMAND", cmd},
        {"CNI_CONTAINERID", id},
        {"CNI_NETNS", "/var/run/netns/none"},
        {"CNI_IFNAME", "eth0"},
        {"CNI_PATH", "/usr/lib/cni"},
        {"CNI_ARGS", "K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=p-" + id}};
  };

  auto add = testlib::run_with_input({CALICO_IPAM_PLUGIN}, env("ADD", "ctr-1", "web"), conf.dump());
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const json r = json::parse(add.out);
  const std::string addr = r["ips"][0]["address"];
  EXPECT_EQ(addr.rfind("10.92.0.", 0), 0u) << add.out;
  // Calico's objects, as Calico stores them.
  auto handle = api.request("GET", kCrd + "ipamhandles/k8s-pod-network.ctr-1");
  ASSERT_TRUE(handle && handle->status == 200) << (handle ? handle->body : handle.error());
  EXPECT_EQ(json::parse(handle->body)["spec"]["block"]["10.92.0.0/26"], 1);
  auto aff = api.request("GET", kCrd + "blockaffinities/node-a-10-92-0-0-26");
  ASSERT_TRUE(aff && aff->status == 200) << (aff ? aff->body : aff.error());
  EXPECT_EQ(json::parse(aff->body)["spec"]["state"], "confirmed");

  // A namespace without the label gets nothing from pool-blue (and there is no other).
  auto other =
      testlib::run_with_input({CALICO_IPAM_PLUGIN}, env("ADD", "ctr-2", "plain"), conf.dump());
  EXPECT_NE(other.exit_code, 0) << other.out;
  EXPECT_NE(other.out.find("pool"), std::string::npos) << other.out;

  auto del = testlib::run_with_input({CALICO_IPAM_PLUGIN}, env("DEL", "ctr-1", "web"), conf.dump());
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;
  handle = api.request("GET", kCrd + "ipamhandles/k8s-pod-network.ctr-1");
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->status, 404) << handle->body;
  auto block = api.request("GET", kCrd + "ipamblocks/10-92-0-0-26");
  ASSERT_TRUE(block && block->status == 200);
  for (const auto& a : json::parse(block->body)["spec"]["allocations"]) {
    EXPECT_TRUE(a.is_null()) << block->body;
  }
}

}  // namespace
}  // namespace calico::cni
