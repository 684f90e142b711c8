// The calico plugin in-process: run_calico_plugin over the in-memory store, a fake
// dataplane and a fake (or the real, in-process) calico-ipam delegate.  Covers endpoint
// construction and naming, ADD rollback at each step, DEL idempotency, CHECK, GC, STATUS
// and the result formats.  The binary against real namespaces and etcd is tested in
// tests/integration/cni/calico_plugin_test.cpp.
#include "cni/calico_plugin.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datastore/kdd/projections.h"
#include "datastore/memory_store.h"
#include "ipam/allocator.h"
#include "tests/unit/cni/calico_plugin_fixture.h"

namespace calico::cni {
namespace {

using nlohmann::json;
using test::CalicoPluginTest;
using test::FakeDataplane;

constexpr const char* kPodArgs = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_UID=u1";

TEST(CalicoWep, NamesFollowCalico) {
  EXPECT_EQ(workload_endpoint_name("ip-10-0-0-1", "k8s", "web-7d9f", "eth0"),
            "ip--10--0--0--1-k8s-web--7d9f-eth0");
  EXPECT_EQ(workload_endpoint_name("node1", "k8s", "pod", "net-1"),
            datastore::kdd::wep_name("node1", "pod", "net-1"));
  EXPECT_EQ(workload_endpoint_name("n-1", "cni", "abc-def", "eth0"), "n--1-cni-abc--def-eth0");
  EXPECT_EQ(container_interface_name("0123456789abcdef"), "cali0123456789a");
  EXPECT_EQ(container_interface_name("short"), "calishort");

  Env env;
  env.container_id = "ctr1";
  env.ifname = "eth0";
  K8sArgs k8s;
  k8s.pod_namespace = "default";
  k8s.pod_name = "nginx";
  const WorkloadId id = workload_id(env, k8s, "node-a");
  EXPECT_TRUE(id.is_k8s());
  EXPECT_EQ(id.wep_name, "node--a-k8s-nginx-eth0");
  EXPECT_EQ(id.host_ifname, "calic440f455693");  // Felix's name for default/nginx
  const WorkloadId cni = workload_id(env, K8sArgs{}, "node-a");
  EXPECT_EQ(cni.orchestrator, "cni");
  EXPECT_EQ(cni.ns, "default");
  EXPECT_EQ(cni.wep_name, "node--a-cni-ctr1-eth0");
  EXPECT_EQ(cni.host_ifname, "calictr1");
}

TEST_F(CalicoPluginTest, AddWritesTheEndpointAndReturnsTheResult) {
  json c = conf();
  c["args"] = {{"cni", {{"labels", json::array({{{"key", "app"}, {"value", "web"}}})}}},
               {"org.projectcalico",
                {{"serviceAccount", "frontend"},
                 {"ports", json::array({{{"name", "http"}, {"protocol", "TCP"}, {"port", 80}}})}}}};
  auto out = run("ADD", c, kPodArgs);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  const json r = json::parse(out.stdout_text);
  EXPECT_EQ(r["cniVersion"], "1.0.0");
  const std::string host = datastore::kdd::workload_interface_name("shop", "web-1");
  ASSERT_EQ(r["interfaces"].size(), 2u) << r.dump();
  EXPECT_EQ(r["interfaces"][0]["name"], host);
  EXPECT_EQ(r["interfaces"][0]["mac"], "ee:ee:ee:ee:ee:ee");
  EXPECT_FALSE(r["interfaces"][0].contains("sandbox"));
  EXPECT_EQ(r["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(r["interfaces"][1]["mac"], FakeDataplane::kContainerMac);
  EXPECT_EQ(r["interfaces"][1]["sandbox"], "/run/netns/pod1");
  EXPECT_EQ(r["interfaces"][1]["mtu"], 1500);
  ASSERT_EQ(r["ips"].size(), 1u);
  EXPECT_EQ(r["ips"][0]["address"], "10.60.0.1/32");  // narrowed from IPAM's /26
  EXPECT_EQ(r["ips"][0]["interface"], 1);
  EXPECT_FALSE(r["ips"][0].contains("gateway"));
  ASSERT_EQ(r["routes"].size(), 1u);
  EXPECT_EQ(r["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(r["routes"][0]["gw"], "169.254.1.1");
  EXPECT_EQ(r["dns"]["nameservers"], json::array({"10.96.0.10"}));

  // The interface the dataplane was asked for.
  ASSERT_EQ(dataplane.created.size(), 1u);
  const WorkloadInterface& wi = dataplane.created.begin()->second;
  EXPECT_EQ(wi.host_ifname, host);
  EXPECT_EQ(wi.container_ifname, "eth0");
  EXPECT_EQ(wi.netns, "/run/netns/pod1");
  EXPECT_EQ(wi.mtu, 1500);
  ASSERT_EQ(wi.addresses.size(), 1u);
  EXPECT_EQ(wi.addresses[0].to_string(), "10.60.0.1/32");
  ASSERT_EQ(wi.routes.size(), 1u);
  EXPECT_EQ(wi.routes[0].gateway.to_string(), "169.254.1.1");

  // The endpoint.
  auto wep = get_wep("shop", "node--a-k8s-web--1-eth0");
  ASSERT_TRUE(wep);
  EXPECT_EQ(wep->spec.orchestrator, "k8s");
  EXPECT_EQ(wep->spec.node, "node-a");
  EXPECT_EQ(wep->spec.pod, "web-1");
  EXPECT_EQ(wep->spec.endpoint, "eth0");
  EXPECT_EQ(wep->spec.container_id, "ctr1");
  EXPECT_EQ(wep->spec.interface_name, host);
  EXPECT_EQ(wep->spec.mac, FakeDataplane::kContainerMac);
  EXPECT_EQ(wep->spec.ip_networks, std::vector<std::string>{"10.60.0.1/32"});
  EXPECT_EQ(wep->spec.profiles, (std::vector<std::string>{"kns.shop", "ksa.shop.frontend"}));
  EXPECT_EQ(wep->spec.service_account_name, "frontend");
  EXPECT_EQ(wep->metadata.labels,
            (std::map<std::string, std::string>{{"app", "web"},
                                                {"projectcalico.org/namespace", "shop"},
                                                {"projectcalico.org/orchestrator", "k8s"},
                                                {"projectcalico.org/serviceaccount", "frontend"}}));
  ASSERT_EQ(wep->spec.ports.size(), 1u);
  EXPECT_EQ(wep->spec.ports[0].name, "http");
  EXPECT_EQ(wep->spec.ports[0].port, 80);
  EXPECT_EQ(wep->spec.ports[0].protocol.to_string(), "TCP");
  // IPAM got the same stdin, and CNI_ARGS with IgnoreUnknown=1 added.
  ASSERT_EQ(ipam.calls.size(), 1u);
  EXPECT_EQ(ipam.calls[0].command, "ADD");
  EXPECT_EQ(ipam.calls[0].type, "calico-ipam");
  EXPECT_EQ(json::parse(ipam.calls[0].stdin_bytes), c);
  EXPECT_EQ(ipam.calls[0].env.at("CNI_ARGS"), std::string(kPodArgs) + ";IgnoreUnknown=1");
}

TEST_F(CalicoPluginTest, AddWithoutKubernetesArgsUsesTheCniOrchestrator) {
  auto out = run("ADD", conf(), "");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  auto wep = get_wep("default", "node--a-cni-ctr1-eth0");
  ASSERT_TRUE(wep);
  EXPECT_EQ(wep->spec.orchestrator, "cni");
  EXPECT_EQ(wep->spec.workload, "ctr1");
  EXPECT_EQ(wep->spec.pod, "");
  EXPECT_EQ(wep->spec.interface_name, "calictr1");
  EXPECT_EQ(wep->spec.profiles, std::vector<std::string>{"k8s-pod-network"});
  EXPECT_EQ(wep->metadata.labels.at("projectcalico.org/orchestrator"), "cni");
  // Calico's network profile exists for it.
  auto prof = store.get({api::Kind::Profile, "", "k8s-pod-network"});
  ASSERT_TRUE(prof);
  const auto& p = std::get<api::Profile>(prof->value);
  EXPECT_EQ(p.spec.labels_to_apply.count("k8s-pod-network"), 1u);
  ASSERT_EQ(p.spec.ingress.size(), 1u);
  EXPECT_EQ(p.spec.ingress[0].source.selector, "has(k8s-pod-network)");
}

TEST_F(CalicoPluginTest, AddRollsBackWhenTheInterfaceFails) {
  dataplane.fail_create = "creating veth: File exists";
  auto out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  const json e = json::parse(out.stdout_text);
  EXPECT_EQ(e["code"], kErrInterface);
  EXPECT_NE(e["msg"].get<std::string>().find("creating the workload interface cali"),
            std::string::npos)
      << e.dump();
  EXPECT_NE(e["msg"].get<std::string>().find("File exists"), std::string::npos);
  EXPECT_NE(e["details"].get<std::string>().find("addresses released"), std::string::npos);
  ASSERT_EQ(ipam.commands(), (std::vector<std::string>{"ADD", "DEL"}));
  EXPECT_TRUE(ipam.allocated.empty());
  EXPECT_EQ(dataplane.removed.size(), 1u);
  EXPECT_FALSE(get_wep("shop", "node--a-k8s-web--1-eth0"));
}

TEST_F(CalicoPluginTest, AddRollsBackWhenTheEndpointWriteFails) {
  store.fail_next_writes(1, datastore::ErrorCode::Unavailable);
  auto out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  const json e = json::parse(out.stdout_text);
  EXPECT_EQ(e["code"], kErrTryAgainLater);
  EXPECT_NE(
      e["msg"].get<std::string>().find("writing WorkloadEndpoint shop/node--a-k8s-web--1-eth0"),
      std::string::npos)
      << e.dump();
  EXPECT_EQ(ipam.commands(), (std::vector<std::string>{"ADD", "DEL"}));
  EXPECT_TRUE(ipam.allocated.empty());
  EXPECT_TRUE(dataplane.created.empty()) << "interface left behind";
  EXPECT_EQ(dataplane.removed.size(), 1u);
}

TEST_F(CalicoPluginTest, IpamErrorsPassThroughAndNeedNoUndo) {
  ipam.fail_add = Error{100, "no addresses available in pools [10.60.0.0/24]", ""};
  auto out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  const json e = json::parse(out.stdout_text);
  EXPECT_EQ(e["code"], 100);
  EXPECT_EQ(e["msg"],
            "IPAM plugin calico-ipam ADD: no addresses available in pools [10.60.0.0/24]");
  EXPECT_EQ(ipam.commands(), std::vector<std::string>{"ADD"});
  EXPECT_TRUE(dataplane.created.empty());
  EXPECT_TRUE(dataplane.removed.empty());

  ipam.fail_add.reset();
  ipam.empty_result = true;
  out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrNoIpamResult);
  EXPECT_EQ(ipam.commands().back(), "DEL");

  ipam.missing_binary = true;
  out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrIoFailure);
  EXPECT_NE(out.stdout_text.find("failed to find plugin"), std::string::npos);
}

TEST_F(CalicoPluginTest, InvalidEndpointFailsBeforeAnythingIsAllocated) {
  json c = conf();
  c["args"] = {{"cni", {{"labels", json::array({{{"key", "bad key!"}, {"value", "x"}}})}}}};
  auto out = run("ADD", c, kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  const json e = json::parse(out.stdout_text);
  EXPECT_EQ(e["code"], kErrInvalidNetworkConfig);
  EXPECT_NE(e["msg"].get<std::string>().find("bad key!"), std::string::npos) << e.dump();
  EXPECT_TRUE(ipam.calls.empty());
  EXPECT_TRUE(dataplane.created.empty());
}

TEST_F(CalicoPluginTest, DelIsIdempotent) {
  ASSERT_EQ(run("ADD", conf(), kPodArgs).exit_code, 0);
  ASSERT_TRUE(get_wep("shop", "node--a-k8s-web--1-eth0"));
  for (int i = 0; i < 2; ++i) {
    auto out = run("DEL", conf(), kPodArgs);
    EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
    EXPECT_EQ(out.stdout_text, "");
  }
  EXPECT_FALSE(get_wep("shop", "node--a-k8s-web--1-eth0"));
  EXPECT_TRUE(dataplane.created.empty());
  EXPECT_TRUE(ipam.allocated.empty());
  EXPECT_EQ(ipam.commands(), (std::vector<std::string>{"ADD", "DEL", "DEL"}));
  ASSERT_EQ(dataplane.removed.size(), 2u);
  EXPECT_EQ(dataplane.removed[0].host_ifname,
            datastore::kdd::workload_interface_name("shop", "web-1"));
  EXPECT_EQ(dataplane.removed[0].netns, "/run/netns/pod1");
  // DEL without CNI_NETNS (optional for DEL) and for a container never added: success.
  env.erase("CNI_NETNS");
  env["CNI_CONTAINERID"] = "never-added";
  EXPECT_EQ(run("DEL", conf(), kPodArgs).exit_code, 0);
}

TEST_F(CalicoPluginTest, DelOfAnOldSandboxLeavesTheNewEndpointAlone) {
  ASSERT_EQ(run("ADD", conf(), kPodArgs).exit_code, 0);
  env["CNI_CONTAINERID"] = "ctr2";
  env["CNI_NETNS"] = "/run/netns/pod2";
  ASSERT_EQ(run("ADD", conf(), kPodArgs).exit_code, 0);
  EXPECT_EQ(get_wep("shop", "node--a-k8s-web--1-eth0")->spec.container_id, "ctr2");

  env["CNI_CONTAINERID"] = "ctr1";
  env["CNI_NETNS"] = "/run/netns/pod1";
  ASSERT_EQ(run("DEL", conf(), kPodArgs).exit_code, 0);
  auto wep = get_wep("shop", "node--a-k8s-web--1-eth0");
  ASSERT_TRUE(wep) << "the newer sandbox's endpoint was deleted";
  EXPECT_EQ(wep->spec.container_id, "ctr2");
  ASSERT_EQ(dataplane.removed.size(), 1u);
  EXPECT_EQ(dataplane.removed[0].host_ifname, "") << "would delete the new sandbox's veth";
  EXPECT_EQ(dataplane.removed[0].netns, "/run/netns/pod1");
  EXPECT_EQ(ipam.allocated.count("ctr1"), 0u);
  EXPECT_EQ(ipam.allocated.count("ctr2"), 1u);
}

TEST_F(CalicoPluginTest, DelFailsOnDatastoreErrors) {
  ASSERT_EQ(run("ADD", conf(), kPodArgs).exit_code, 0);
  fail_gets = true;
  auto out = run("DEL", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrTryAgainLater);
  EXPECT_EQ(ipam.allocated.count("ctr1"), 1u) << "released while the endpoint is unknown";
  EXPECT_EQ(dataplane.created.size(), 1u);
}

TEST_F(CalicoPluginTest, CheckVerifiesInterfaceEndpointAndIpam) {
  auto add = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(add.exit_code, 0);
  json c = conf();
  c["prevResult"] = json::parse(add.stdout_text);
  auto out = run("CHECK", c, kPodArgs);
  EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(ipam.commands().back(), "CHECK");
  ASSERT_EQ(dataplane.checked.size(), 1u);
  EXPECT_EQ(dataplane.checked[0].addresses[0].to_string(), "10.60.0.1/32");
  EXPECT_EQ(dataplane.checked[0].routes.size(), 1u);

  dataplane.fail_check = "address 10.60.0.1/32 is missing on eth0";
  out = run("CHECK", c, kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrCheckFailed);
  EXPECT_NE(out.stdout_text.find("10.60.0.1/32 is missing"), std::string::npos);

  dataplane.fail_check.clear();
  ASSERT_TRUE(store.remove({api::Kind::WorkloadEndpoint, "shop", "node--a-k8s-web--1-eth0"}));
  out = run("CHECK", c, kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_NE(out.stdout_text.find("does not exist"), std::string::npos) << out.stdout_text;

  // CHECK needs 0.4.0+ and a prevResult.
  c["cniVersion"] = "0.3.1";
  out = run("CHECK", c, kPodArgs);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrIncompatibleVersion);
  c["cniVersion"] = "1.0.0";
  c.erase("prevResult");
  out = run("CHECK", c, kPodArgs);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrInvalidNetworkConfig);
}

TEST_F(CalicoPluginTest, ResultFormatsFollowTheRequestedVersion) {
  json c = conf();
  c["cniVersion"] = "0.3.1";
  auto out = run("ADD", c, kPodArgs);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  json r = json::parse(out.stdout_text);
  EXPECT_EQ(r["cniVersion"], "0.3.1");
  EXPECT_EQ(r["ips"][0]["version"], "4");
  EXPECT_FALSE(r["interfaces"][1].contains("mtu"));
  EXPECT_EQ(r["interfaces"][1]["sandbox"], "/run/netns/pod1");

  c["cniVersion"] = "0.4.0";
  r = json::parse(run("ADD", c, kPodArgs).stdout_text);
  EXPECT_EQ(r["cniVersion"], "0.4.0");
  EXPECT_EQ(r["ips"][0]["interface"], 1);

  c["cniVersion"] = "0.2.0";
  r = json::parse(run("ADD", c, kPodArgs).stdout_text);
  EXPECT_EQ(r["ip4"]["ip"], "10.60.0.1/32");
  EXPECT_FALSE(r.contains("interfaces"));
}

TEST_F(CalicoPluginTest, EnvironmentAndConfigErrors) {
  env.erase("CNI_NETNS");
  auto out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  json e = json::parse(out.stdout_text);
  EXPECT_EQ(e["code"], kErrInvalidEnvironment);
  EXPECT_NE(e["msg"].get<std::string>().find("CNI_NETNS"), std::string::npos);
  env["CNI_NETNS"] = "/run/netns/pod1";

  out = run_raw("ADD", "{\"cniVersion\":");
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrDecodingFailure);
  json c = conf();
  c["cniVersion"] = "2.0.0";
  EXPECT_EQ(json::parse(run("ADD", c, kPodArgs).stdout_text)["code"], kErrIncompatibleVersion);
  c = conf();
  c["mtu"] = "big";
  e = json::parse(run("ADD", c, kPodArgs).stdout_text);
  EXPECT_EQ(e["code"], kErrInvalidNetworkConfig);
  EXPECT_NE(e["msg"].get<std::string>().find("mtu"), std::string::npos);
  files.erase("/var/lib/calico/nodename");
  e = json::parse(run("ADD", conf(), kPodArgs).stdout_text);
  EXPECT_EQ(e["code"], kErrTryAgainLater);
  EXPECT_NE(e["msg"].get<std::string>().find("/var/lib/calico/nodename"), std::string::npos);
  EXPECT_TRUE(ipam.calls.empty());

  out = run_raw("VERSION", "{\"cniVersion\":\"0.4.0\"}");
  ASSERT_EQ(out.exit_code, 0);
  EXPECT_EQ(json::parse(out.stdout_text)["cniVersion"], "0.4.0");
  EXPECT_EQ(json::parse(out.stdout_text)["supportedVersions"].size(), kSupportedVersions.size());
}

TEST_F(CalicoPluginTest, NotReadyRefusesAddAndStatusReports) {
  set_ready(false);
  auto out = run("ADD", conf(), kPodArgs);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrTryAgainLater);
  EXPECT_TRUE(ipam.calls.empty());
  json c = conf();
  c["cniVersion"] = "1.1.0";
  out = run("STATUS", c, "");
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrPluginNotAvailable);
  set_ready(true);
  out = run("STATUS", c, "");
  EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(ipam.commands().back(), "STATUS");
}

TEST_F(CalicoPluginTest, GcDeletesThisNodesStaleEndpoints) {
  for (const char* id : {"keep", "stale"}) {
    env["CNI_CONTAINERID"] = id;
    ASSERT_EQ(run("ADD", conf(), std::string("K8S_POD_NAMESPACE=ns;K8S_POD_NAME=") + id).exit_code,
              0);
  }
  // An endpoint of another node is not ours to collect.
  api::WorkloadEndpoint other;
  other.metadata.name = "node--b-k8s-x-eth0";
  other.metadata.ns = "ns";
  other.spec.node = "node-b";
  other.spec.container_id = "elsewhere";
  other.spec.interface_name = "calixxx";
  ASSERT_TRUE(store.create(other));
  json c = conf();
  c["cniVersion"] = "1.1.0";
  c["cni.dev/valid-attachments"] = json::array({{{"containerID", "keep"}, {"ifname", "eth0"}}});
  auto out = run("GC", c, "");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_TRUE(get_wep("ns", "node--a-k8s-keep-eth0"));
  EXPECT_FALSE(get_wep("ns", "node--a-k8s-stale-eth0"));
  EXPECT_TRUE(get_wep("ns", "node--b-k8s-x-eth0"));
  EXPECT_EQ(ipam.commands().back(), "GC");
}

TEST_F(CalicoPluginTest, RequestedIpsReachCalicoIpamAsIpArg) {
  json c = conf();
  c["args"] = {{"cni", {{"ips", json::array({"10.60.0.9"})}}}};
  ASSERT_EQ(run("ADD", c, "K8S_POD_NAMESPACE=a;K8S_POD_NAME=b;IgnoreUnknown=1").exit_code, 0);
  EXPECT_EQ(ipam.calls[0].env.at("CNI_ARGS"),
            "K8S_POD_NAMESPACE=a;K8S_POD_NAME=b;IgnoreUnknown=1;IP=10.60.0.9");
}

TEST(CalicoRoutes, DefaultAndConfiguredRoutes) {
  CalicoConf conf;
  const std::vector<net::Cidr> dual = {*net::Cidr::parse("10.0.0.1/32"),
                                       *net::Cidr::parse("fd00::1/128")};
  auto r = container_routes(conf, dual);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].dst.to_string(), "0.0.0.0/0");
  EXPECT_EQ(r[0].gateway.to_string(), "169.254.1.1");
  EXPECT_EQ(r[1].dst.to_string(), "::/0");
  EXPECT_EQ(r[1].gateway.to_string(), "fe80::ecee:eeff:feee:eeee");
  conf.ipam_routes = {*net::Cidr::parse("10.96.0.0/12")};
  r = container_routes(conf, dual);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].dst.to_string(), "10.96.0.0/12");
  conf.include_default_routes = true;
  EXPECT_EQ(container_routes(conf, dual).size(), 3u);
  EXPECT_TRUE(container_routes(conf, {}).empty());
}

}  // namespace
}  // namespace calico::cni
