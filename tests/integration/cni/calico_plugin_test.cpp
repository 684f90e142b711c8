// The calico binary exec'd as a container runtime does (CNI_* environment, config on
// stdin), inside a "node" network namespace, against a real etcd and real pod
// namespaces: the veth, addresses, routes and sysctls it programs, the WorkloadEndpoint it
// stores, CHECK, DEL idempotency, errors, chaining with the reference portmap plugin,
// host-local as the IPAM delegate, and real traffic between two pods.
#include "cni/calico_plugin.h"

#include <gtest/gtest.h>

#include "datastore/kdd/projections.h"
#include "tests/integration/cni/calico_plugin_fixture.h"

namespace calico::cni::it {
namespace {

constexpr const char* kPodArgs = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_UID=u1";
constexpr const char* kWep = "node--a-k8s-web--1-eth0";

TEST_F(CalicoPluginBinaryTest, AddCheckDelLifecycle) {
  testlib::NetNs& p = pod();
  const std::string netns = netns_path(p);
  const std::string host = datastore::kdd::workload_interface_name("shop", "web-1");
  json c = conf();
  c["args"] = {{"cni", {{"labels", json::array({{{"key", "app"}, {"value", "web"}}})}}},
               {"org.projectcalico",
                {{"serviceAccount", "frontend"},
                 {"ports", json::array({{{"name", "http"}, {"protocol", "TCP"}, {"port", 80}}})}}}};
  auto add = calico(env("ADD", "ctr-1", netns, kPodArgs), c);
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const json r = parse(add.out);
  ASSERT_EQ(r["ips"].size(), 1u) << add.out;
  const std::string addr = r["ips"][0]["address"];  // "10.94.0.x/32"
  const std::string ip = addr.substr(0, addr.find('/'));
  EXPECT_EQ(addr.rfind("10.94.0.", 0), 0u) << addr;
  EXPECT_EQ(addr.substr(addr.size() - 3), "/32");
  EXPECT_EQ(r["ips"][0]["interface"], 1);
  EXPECT_EQ(r["interfaces"][0]["name"], host);
  EXPECT_EQ(r["interfaces"][0]["mac"], "ee:ee:ee:ee:ee:ee");
  EXPECT_EQ(r["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(r["interfaces"][1]["sandbox"], netns);
  EXPECT_EQ(r["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(r["routes"][0]["gw"], "169.254.1.1");

  // The pod: eth0 up with the /32, MTU, the link route to 169.254.1.1 and the default route.
  EXPECT_EQ(addresses(p, "eth0"), std::vector<std::string>{addr});
  const json eth0 = ip_json(p, {"link", "show", "eth0"});
  ASSERT_TRUE(eth0.is_array() && eth0.size() == 1) << eth0.dump();
  EXPECT_EQ(eth0[0]["mtu"], 1400);
  EXPECT_EQ(eth0[0]["address"], r["interfaces"][1]["mac"]);
  EXPECT_EQ(eth0[0]["operstate"], "UP");
  const json def = ip_json(p, {"route", "show", "default"});
  ASSERT_EQ(def.size(), 1u) << def.dump();
  EXPECT_EQ(def[0]["gateway"], "169.254.1.1");
  EXPECT_EQ(def[0]["dev"], "eth0");
  const json gw = ip_json(p, {"route", "show", "169.254.1.1"});
  ASSERT_EQ(gw.size(), 1u) << gw.dump();
  EXPECT_EQ(gw[0]["scope"], "link");
  EXPECT_EQ(sysctl(p, "net/ipv4/ip_forward"), "0");

  // The node: the host veth with Calico's MAC, sysctls and the host route; nothing in the
  // real host namespace.
  const json hl = ip_json(*node_, {"link", "show", host});
  ASSERT_TRUE(hl.is_array() && hl.size() == 1) << "no " << host << " in the node namespace";
  EXPECT_EQ(hl[0]["address"], "ee:ee:ee:ee:ee:ee");
  EXPECT_EQ(hl[0]["mtu"], 1400);
  EXPECT_NE(hl[0]["flags"].dump().find("UP"), std::string::npos);
  EXPECT_FALSE(testlib::link_exists("", host));
  EXPECT_EQ(sysctl(*node_, "net/ipv4/conf/" + host + "/proxy_arp"), "1");
  EXPECT_EQ(sysctl(*node_, "net/ipv4/conf/" + host + "/forwarding"), "1");
  EXPECT_EQ(sysctl(*node_, "net/ipv4/conf/" + host + "/route_localnet"), "1");
  EXPECT_EQ(sysctl(*node_, "net/ipv4/neigh/" + host + "/proxy_delay"), "0");
  EXPECT_EQ(sysctl(*node_, "net/ipv6/conf/" + host + "/accept_ra"), "0");
  const json hr = ip_json(*node_, {"route", "show", ip + "/32"});
  ASSERT_EQ(hr.size(), 1u) << hr.dump();
  EXPECT_EQ(hr[0]["dev"], host);
  EXPECT_EQ(hr[0]["scope"], "link");

  // The endpoint in etcd.
  auto w = wep("shop", kWep);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->spec.orchestrator, "k8s");
  EXPECT_EQ(w->spec.node, "node-a");
  EXPECT_EQ(w->spec.pod, "web-1");
  EXPECT_EQ(w->spec.endpoint, "eth0");
  EXPECT_EQ(w->spec.container_id, "ctr-1");
  EXPECT_EQ(w->spec.interface_name, host);
  EXPECT_EQ(w->spec.mac, eth0[0]["address"].get<std::string>());
  EXPECT_EQ(w->spec.ip_networks, std::vector<std::string>{addr});
  EXPECT_EQ(w->spec.profiles, (std::vector<std::string>{"kns.shop", "ksa.shop.frontend"}));
  EXPECT_EQ(w->metadata.labels.at("app"), "web");
  EXPECT_EQ(w->metadata.labels.at("projectcalico.org/namespace"), "shop");
  EXPECT_EQ(w->metadata.labels.at("projectcalico.org/serviceaccount"), "frontend");
  ASSERT_EQ(w->spec.ports.size(), 1u);
  EXPECT_EQ(w->spec.ports[0].port, 80);
  EXPECT_EQ(handle_ips("ctr-1"), std::set<std::string>{ip});

  // CHECK passes, then fails once the address is gone.
  json cc = conf();
  cc["prevResult"] = r;
  auto check = calico(env("CHECK", "ctr-1", netns, kPodArgs), cc);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  ASSERT_EQ(p.exec({"ip", "addr", "del", addr, "dev", "eth0"}).exit_code, 0);
  check = calico(env("CHECK", "ctr-1", netns, kPodArgs), cc);
  ASSERT_EQ(check.exit_code, 1) << check.out;
  EXPECT_EQ(parse(check.out)["code"], kErrCheckFailed);
  EXPECT_NE(check.out.find(addr + " is missing"), std::string::npos) << check.out;

  // DEL twice: both succeed; veth, endpoint and address are gone.
  for (int i = 0; i < 2; ++i) {
    auto del = calico(env("DEL", "ctr-1", netns, kPodArgs), conf());
    EXPECT_EQ(del.exit_code, 0) << i << ": " << del.out << del.err;
    EXPECT_EQ(del.out, "");
  }
  EXPECT_FALSE(testlib::link_exists(node_->name(), host));
  EXPECT_FALSE(testlib::link_exists(p.name(), "eth0"));
  EXPECT_FALSE(wep("shop", kWep));
  EXPECT_TRUE(handle_ips("ctr-1").empty());
  EXPECT_TRUE(ip_json(*node_, {"route", "show", ip + "/32"}).empty());
  // DEL after the pod namespace is gone: still success.
  p.remove();
  auto del = calico(env("DEL", "ctr-1", netns, kPodArgs), conf());
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
}

TEST_F(CalicoPluginBinaryTest, ErrorsAreSpecErrorJsonAndLeakNothing) {
  testlib::NetNs& p = pod();
  json bad = conf();
  bad["mtu"] = "jumbo";
  auto r = calico(env("ADD", "ctr-e", netns_path(p), kPodArgs), bad);
  ASSERT_EQ(r.exit_code, 1);
  json e = parse(r.out);
  EXPECT_EQ(e["code"], kErrInvalidNetworkConfig) << r.out;
  EXPECT_EQ(e["cniVersion"], "1.0.0");
  EXPECT_NE(e["msg"].get<std::string>().find("mtu"), std::string::npos);

  r = calico(env("ADD", "ctr-e", "", kPodArgs), conf());
  ASSERT_EQ(r.exit_code, 1);
  e = parse(r.out);
  EXPECT_EQ(e["code"], kErrInvalidEnvironment) << r.out;
  EXPECT_NE(e["msg"].get<std::string>().find("CNI_NETNS"), std::string::npos);

  r = testlib::run_with_input({CALICO_PLUGIN}, env("ADD", "ctr-e", netns_path(p)), "{\"name\":");
  EXPECT_EQ(parse(r.out)["code"], kErrDecodingFailure) << r.out;

  // A namespace that does not exist: the interface step fails after IPAM, which is undone.
  r = calico(env("ADD", "ctr-e", "/run/netns/no-such-ns-" + p.name(), kPodArgs), conf());
  ASSERT_EQ(r.exit_code, 1);
  e = parse(r.out);
  EXPECT_EQ(e["code"], kErrInterface) << r.out;
  EXPECT_NE(e["msg"].get<std::string>().find("no-such-ns"), std::string::npos) << r.out;
  EXPECT_TRUE(handle_ips("ctr-e").empty()) << "address leaked by a failed ADD";
  EXPECT_FALSE(wep("shop", kWep));
  EXPECT_FALSE(testlib::link_exists(node_->name(),
                                    datastore::kdd::workload_interface_name("shop", "web-1")));

  auto v = testlib::run_with_input({CALICO_PLUGIN}, {{"CNI_COMMAND", "VERSION"}},
                                   R"({"cniVersion":"0.4.0"})");
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(parse(v.out)["cniVersion"], "0.4.0");
  EXPECT_EQ(parse(v.out)["supportedVersions"].size(), kSupportedVersions.size());
  auto flag = testlib::run_with_input({CALICO_PLUGIN, "-v"}, {}, "");
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_NE(flag.out.find("calico"), std::string::npos);
}

TEST_F(CalicoPluginBinaryTest, RepeatedAddReplacesTheVethAndKeepsTheAddress) {
  testlib::NetNs& p = pod();
  const auto e = env("ADD", "ctr-r", netns_path(p), kPodArgs);
  auto first = calico(e, conf());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  auto second = calico(e, conf());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(parse(first.out)["ips"], parse(second.out)["ips"]);
  EXPECT_EQ(handle_ips("ctr-r").size(), 1u);
  EXPECT_EQ(addresses(p, "eth0").size(), 1u);
  int cali = 0;
  for (const auto& l : ip_json(*node_, {"link", "show", "type", "veth"})) {
    cali += l.value("ifname", "").rfind("cali", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(cali, 1) << "the first ADD's veth was not replaced";
  ASSERT_EQ(calico(env("DEL", "ctr-r", netns_path(p), kPodArgs), conf()).exit_code, 0);
}

TEST_F(CalicoPluginBinaryTest, ChainedWithPortmap) {
  testlib::NetNs& p = pod();
  const std::string netns = netns_path(p);
  auto add = calico(env("ADD", "ctr-pm", netns, kPodArgs), conf());
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const json prev = parse(add.out);
  // The conflist's second plugin, as libcni derives its config: name, cniVersion,
  // runtimeConfig from the capabilities, and calico's result as prevResult.
  json pm = {{"cniVersion", "1.0.0"},
             {"name", "k8s-pod-network"},
             {"type", "portmap"},
             {"snat", true},
             {"capabilities", {{"portMappings", true}}},
             {"runtimeConfig",
              {{"portMappings",
                json::array({{{"hostPort", 18080}, {"containerPort", 80}, {"protocol", "tcp"}}})}}},
             {"prevResult", prev}};
  const std::string portmap = std::string(kRefPluginDir) + "/portmap";
  auto pm_add = run_plugin(portmap, env("ADD", "ctr-pm", netns, kPodArgs), pm);
  ASSERT_EQ(pm_add.exit_code, 0) << pm_add.out << pm_add.err;
  EXPECT_EQ(parse(pm_add.out)["ips"], prev["ips"]) << "portmap must pass calico's result on";
  auto nat = node_->exec({"iptables", "-t", "nat", "-S"});
  const std::string ip = prev["ips"][0]["address"].get<std::string>().substr(
      0, prev["ips"][0]["address"].get<std::string>().find('/'));
  EXPECT_NE(nat.output.find(ip + ":80"), std::string::npos) << nat.output;
  // CHECK and DEL through the chain in reverse order, as libcni does.
  json cc = conf();
  cc["prevResult"] = parse(pm_add.out);
  EXPECT_EQ(calico(env("CHECK", "ctr-pm", netns, kPodArgs), cc).exit_code, 0);
  auto pm_del = run_plugin(portmap, env("DEL", "ctr-pm", netns, kPodArgs), pm);
  EXPECT_EQ(pm_del.exit_code, 0) << pm_del.out << pm_del.err;
  auto del = calico(env("DEL", "ctr-pm", netns, kPodArgs), conf());
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_EQ(node_->exec({"iptables", "-t", "nat", "-S"}).output.find(ip + ":80"),
            std::string::npos);
  EXPECT_TRUE(handle_ips("ctr-pm").empty());
}

TEST_F(CalicoPluginBinaryTest, HostLocalAsTheIpamDelegate) {
  testlib::NetNs& p = pod();
  const std::string netns = netns_path(p);
  const std::string data = dir_.path() + "/host-local";
  const json ipam = {{"type", "host-local"},
                     {"ranges", json::array({json::array({{{"subnet", "10.95.0.0/24"}}})})},
                     {"dataDir", data}};
  json c = conf(ipam);
  c["container_settings"] = {{"allow_ip_forwarding", true}};
  auto add = calico(env("ADD", "ctr-hl", netns, kPodArgs), c);
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  EXPECT_EQ(sysctl(p, "net/ipv4/ip_forward"), "1") << "allow_ip_forwarding";
  const json r = parse(add.out);
  const std::string addr = r["ips"][0]["address"];
  EXPECT_EQ(addr.rfind("10.95.0.", 0), 0u) << addr;
  EXPECT_EQ(addr.substr(addr.size() - 3), "/32");
  EXPECT_EQ(addresses(p, "eth0"), std::vector<std::string>{addr});
  const std::string ip = addr.substr(0, addr.find('/'));
  EXPECT_TRUE(std::filesystem::exists(data + "/k8s-pod-network/" + ip));
  EXPECT_EQ(wep("shop", kWep)->spec.ip_networks, std::vector<std::string>{addr});
  json cc = conf(ipam);
  cc["prevResult"] = r;
  auto check = calico(env("CHECK", "ctr-hl", netns, kPodArgs), cc);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  for (int i = 0; i < 2; ++i) {
    auto del = calico(env("DEL", "ctr-hl", netns, kPodArgs), conf(ipam));
    EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  }
  EXPECT_FALSE(std::filesystem::exists(data + "/k8s-pod-network/" + ip));
  EXPECT_FALSE(wep("shop", kWep));
}

TEST_F(CalicoPluginBinaryTest, GcAndStatusDelegateToIpam) {
  const json c = conf(json{{"type", "calico-ipam"}}, "1.1.0");
  auto st = calico({{"CNI_COMMAND", "STATUS"},
                    {"PATH", "/usr/sbin:/usr/bin"},
                    {"CNI_PATH", env("STATUS", "x", "").at("CNI_PATH")}},
                   c);
  EXPECT_EQ(st.exit_code, 0) << st.out << st.err;
  testlib::NetNs& keep = pod();
  testlib::NetNs& gone = pod();
  ASSERT_EQ(
      calico(env("ADD", "ctr-keep", netns_path(keep), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=k"), c)
          .exit_code,
      0);
  ASSERT_EQ(
      calico(env("ADD", "ctr-gone", netns_path(gone), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=g"), c)
          .exit_code,
      0);
  json gc = c;
  gc["cni.dev/valid-attachments"] =
      json::array({{{"containerID", "ctr-keep"}, {"ifname", "eth0"}}});
  auto r = calico({{"CNI_COMMAND", "GC"},
                   {"PATH", "/usr/sbin:/usr/bin"},
                   {"CNI_PATH", env("GC", "x", "").at("CNI_PATH")}},
                  gc);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(wep("x", "node--a-k8s-k-eth0"));
  EXPECT_FALSE(wep("x", "node--a-k8s-g-eth0"));
  EXPECT_EQ(handle_ips("ctr-keep").size(), 1u);
  EXPECT_TRUE(handle_ips("ctr-gone").empty());
  // GC needs cniVersion 1.1.0.
  gc["cniVersion"] = "1.0.0";
  r = calico({{"CNI_COMMAND", "GC"}}, gc);
  EXPECT_EQ(parse(r.out)["code"], kErrIncompatibleVersion) << r.out;
}

}  // namespace
}  // namespace calico::cni::it
