// The calico plugin's network-config keys: defaults, every key's type errors (code 7
// naming the key), the CNI args conventions and our args.org.projectcalico.
#include "cni/calico_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace calico::cni {
namespace {

using nlohmann::json;

json base() {
  return json{{"cniVersion", "1.0.0"},
              {"name", "k8s-pod-network"},
              {"type", "calico"},
              {"ipam", {{"type", "calico-ipam"}}}};
}

Result<CalicoConf, Error> parse(const json& j) {
  auto nc = parse_netconf(j.dump());
  if (!nc) {
    return fail(nc.error());
  }
  return parse_calico_conf(*nc);
}

// Expects code 7 with `key` named in the message.
void expect_invalid(const json& j, const std::string& key) {
  auto r = parse(j);
  ASSERT_FALSE(r) << j.dump();
  EXPECT_EQ(r.error().code, kErrInvalidNetworkConfig) << r.error().msg;
  EXPECT_NE(r.error().msg.find(key), std::string::npos) << r.error().msg;
}

TEST(CalicoConfig, Defaults) {
  auto r = parse(base());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->mtu, 1500);
  EXPECT_EQ(r->common.ipam_type, "calico-ipam");
  EXPECT_EQ(r->common.network_name, "k8s-pod-network");
  EXPECT_EQ(r->common.datastore_type, "etcdv3");
  EXPECT_EQ(r->common.nodename_file, "/var/lib/calico/nodename");
  EXPECT_FALSE(r->allow_ip_forwarding);
  EXPECT_TRUE(r->labels.empty());
  EXPECT_TRUE(r->requested_ips.empty());
  EXPECT_TRUE(r->ports.empty());
  EXPECT_TRUE(r->ipam_routes.empty());
}

TEST(CalicoConfig, AllKeys) {
  json j = base();
  j["datastore_type"] = "kubernetes";
  j["etcd_endpoints"] = "http://127.0.0.1:2379";
  j["kubernetes"] = {{"kubeconfig", "/etc/cni/net.d/calico-kubeconfig"}};
  j["nodename"] = "node-1";
  j["nodename_file_optional"] = true;
  j["mtu"] = 1440;
  j["log_level"] = "debug";
  j["log_file_path"] = "/var/log/calico/cni/cni.log";
  j["policy"] = {{"type", "k8s"}};
  j["container_settings"] = {{"allow_ip_forwarding", true}};
  j["feature_control"] = {{"ip_addrs_no_ipam", true}, {"floating_ips", false}};
  j["include_default_routes"] = true;
  j["ipam"]["routes"] = json::array({{{"dst", "10.96.0.0/12"}}});
  j["args"] = {{"cni",
                {{"labels", json::array({{{"key", "app"}, {"value", "web"}}})},
                 {"ips", json::array({"10.0.0.5", "fd00::5/64"})}}},
               {"org.projectcalico",
                {{"serviceAccount", "frontend"},
                 {"ports", json::array({{{"name", "http"}, {"protocol", "tcp"}, {"port", 80}},
                                        {{"name", "dns"}, {"protocol", "UDP"}, {"port", 53}}})}}}};
  j["something_unknown"] = {{"whatever", 1}};  // ignored, CNI convention
  auto r = parse(j);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->common.datastore_type, "kubernetes");
  EXPECT_EQ(r->common.kubeconfig, "/etc/cni/net.d/calico-kubeconfig");
  EXPECT_EQ(r->common.nodename, "node-1");
  EXPECT_TRUE(r->common.nodename_file_optional);
  EXPECT_EQ(r->mtu, 1440);
  EXPECT_EQ(r->common.log_level, "debug");
  EXPECT_EQ(r->common.policy_type, "k8s");
  EXPECT_TRUE(r->allow_ip_forwarding);
  EXPECT_TRUE(r->ip_addrs_no_ipam);
  EXPECT_FALSE(r->floating_ips);
  EXPECT_TRUE(r->include_default_routes);
  ASSERT_EQ(r->ipam_routes.size(), 1u);
  EXPECT_EQ(r->ipam_routes[0].to_string(), "10.96.0.0/12");
  EXPECT_EQ(r->labels, (std::map<std::string, std::string>{{"app", "web"}}));
  ASSERT_EQ(r->requested_ips.size(), 2u);
  EXPECT_EQ(r->requested_ips[0].to_string(), "10.0.0.5");
  EXPECT_EQ(r->requested_ips[1].to_string(), "fd00::5");
  EXPECT_EQ(r->service_account, "frontend");
  ASSERT_EQ(r->ports.size(), 2u);
  EXPECT_EQ(r->ports[0], (NamedPort{"http", "TCP", 80}));
  EXPECT_EQ(r->ports[1], (NamedPort{"dns", "UDP", 53}));
}

TEST(CalicoConfig, MtuZeroIsDefaultAndRangeChecked) {
  json j = base();
  j["mtu"] = 0;
  auto r = parse(j);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->mtu, 1500);
  j["mtu"] = 9000;
  EXPECT_EQ(parse(j)->mtu, 9000);
  j["mtu"] = 40;
  expect_invalid(j, "mtu");
  j["mtu"] = 70000;
  expect_invalid(j, "mtu");
  j["mtu"] = "1500";
  expect_invalid(j, "mtu");
  j["mtu"] = -1;
  expect_invalid(j, "mtu");
}

TEST(CalicoConfig, WrongTypesNameTheKey) {
  const std::vector<std::pair<std::string, json>> cases = {
      {"datastore_type", 5},
      {"etcd_endpoints", json::array({"http://x"})},
      {"etcd_key_file", true},
      {"nodename", 7},
      {"nodename_file", json::object()},
      {"nodename_file_optional", "yes"},
      {"log_level", 1},
      {"log_file_path", false},
      {"policy", "k8s"},
      {"container_settings", true},
      {"feature_control", json::array()},
      {"kubernetes", "kubeconfig"},
      {"include_default_routes", "true"},
      {"args", "x"},
  };
  for (const auto& [key, value] : cases) {
    json j = base();
    j[key] = value;
    SCOPED_TRACE(key);
    expect_invalid(j, key);
  }
  json j = base();
  j["container_settings"] = {{"allow_ip_forwarding", "true"}};
  expect_invalid(j, "container_settings.allow_ip_forwarding");
  j = base();
  j["feature_control"] = {{"floating_ips", 1}};
  expect_invalid(j, "feature_control.floating_ips");
  j = base();
  j["kubernetes"] = {{"kubeconfig", 3}};
  expect_invalid(j, "kubernetes.kubeconfig");
  j = base();
  j["policy"] = {{"type", "calico"}};
  expect_invalid(j, "policy.type");
}

TEST(CalicoConfig, IpamTypeIsRequired) {
  json j = base();
  j.erase("ipam");
  expect_invalid(j, "ipam.type");
  j["ipam"] = json::object();
  expect_invalid(j, "ipam.type");
  j["ipam"] = {{"type", "../evil"}};
  expect_invalid(j, "ipam.type");
  j["ipam"] = {{"type", "host-local"}, {"routes", json::array({{{"dst", "nope"}}})}};
  expect_invalid(j, "ipam.routes[0].dst");
}

TEST(CalicoConfig, ArgsErrors) {
  auto with_args = [](json args) {
    json j = base();
    j["args"] = std::move(args);
    return j;
  };
  expect_invalid(with_args({{"cni", {{"labels", "app=web"}}}}), "args.cni.labels");
  expect_invalid(with_args({{"cni", {{"labels", json::array({"app"})}}}}), "args.cni.labels[0]");
  expect_invalid(with_args({{"cni", {{"labels", json::array({{{"value", "x"}}})}}}}),
                 "args.cni.labels[0].key");
  expect_invalid(with_args({{"cni", {{"labels", json::array({{{"key", "a"}, {"value", 1}}})}}}}),
                 "args.cni.labels[0].value");
  expect_invalid(with_args({{"cni", {{"ips", json::array({"10.0.0.300"})}}}}), "args.cni.ips[0]");
  expect_invalid(with_args({{"cni", {{"ips", json::array({"10.0.0.1", "10.0.0.2"})}}}}),
                 "args.cni.ips");
  expect_invalid(with_args({{"cni", {{"ips", "10.0.0.1"}}}}), "args.cni.ips");
  const std::string org = "args.org.projectcalico";
  expect_invalid(with_args({{"org.projectcalico", {{"serviceAccount", 5}}}}),
                 org + ".serviceAccount");
  expect_invalid(with_args({{"org.projectcalico", {{"ports", json::object()}}}}), org + ".ports");
  expect_invalid(
      with_args({{"org.projectcalico", {{"ports", json::array({{{"name", "x"}, {"port", 0}}})}}}}),
      org + ".ports[0].port");
  expect_invalid(with_args({{"org.projectcalico",
                             {{"ports", json::array({{{"name", "x"}, {"port", 70000}}})}}}}),
                 org + ".ports[0].port");
  expect_invalid(with_args({{"org.projectcalico",
                             {{"ports", json::array({{{"name", "x"}, {"port", "80"}}})}}}}),
                 org + ".ports[0].port");
  expect_invalid(
      with_args({{"org.projectcalico",
                  {{"ports", json::array({{{"name", "x"}, {"protocol", "ICMP"}, {"port", 1}}})}}}}),
      org + ".ports[0].protocol");
  expect_invalid(with_args({{"org.projectcalico", {{"ports", json::array({{{"port", 80}}})}}}}),
                 org + ".ports[0].name");
  // Other keys under args are someone else's: ignored.
  auto r = parse(with_args({{"io.kubernetes", {{"anything", 1}}}, {"cni", {{"other", true}}}}));
  EXPECT_TRUE(r) << r.error();
}

TEST(CalicoConfig, ProtocolDefaultsToTcp) {
  json j = base();
  j["args"] = {
      {"org.projectcalico", {{"ports", json::array({{{"name", "web"}, {"port", 8080}}})}}}};
  auto r = parse(j);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->ports.size(), 1u);
  EXPECT_EQ(r->ports[0].protocol, "TCP");
  EXPECT_EQ(r->ports[0].port, 8080);
}

}  // namespace
}  // namespace calico::cni
