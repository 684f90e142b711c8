// calico-ipam's network-config keys and Kubernetes CNI_ARGS (cni/ipam_config.h).
#include "cni/ipam_config.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace calico::cni {
namespace {

using ::testing::HasSubstr;

Result<IpamConf, Error> ipam_conf(std::string_view text) {
  auto conf = parse_netconf(text);
  EXPECT_TRUE(conf) << text;
  if (!conf) {
    return fail(conf.error());
  }
  return parse_ipam_conf(*conf);
}

Error ipam_conf_error(std::string_view text) {
  auto got = ipam_conf(text);
  EXPECT_FALSE(got.has_value()) << text;
  return got ? Error{} : got.error();
}

// A network config with `extra` spliced into the top level.
std::string conf_with(const std::string& extra) {
  return R"({"cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "calico")" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

Env env_with_args(std::vector<std::pair<std::string, std::string>> args) {
  Env env;
  env.command = "ADD";
  env.args = std::move(args);
  return env;
}

// ---- IpamConf ----

TEST(CniIpamConf, DefaultsForAMinimalConfig) {
  auto c = ipam_conf(conf_with(R"("ipam": {"type": "calico-ipam"})"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->network_name, "k8s-pod-network");
  EXPECT_EQ(c->ipam_type, "calico-ipam");
  EXPECT_TRUE(c->assign_ipv4);
  EXPECT_FALSE(c->assign_ipv6);
  EXPECT_TRUE(c->ipv4_pools.empty());
  EXPECT_TRUE(c->ipv6_pools.empty());
  EXPECT_EQ(c->nodename, "");
  EXPECT_EQ(c->nodename_file, "/var/lib/calico/nodename");
  EXPECT_FALSE(c->nodename_file_optional);
  EXPECT_EQ(c->datastore_type, "etcdv3");
  EXPECT_EQ(c->kubeconfig, "");
  EXPECT_EQ(c->policy_type, "");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->log_file_path, "");
  // No ipam section at all is fine too.
  EXPECT_TRUE(ipam_conf(conf_with("")));
}

TEST(CniIpamConf, ReadsEveryKeyOfTheManifestConfig) {
  auto c = ipam_conf(conf_with(R"(
    "log_level": "debug", "log_file_path": "/var/log/calico/cni/cni.log",
    "datastore_type": "kubernetes", "nodename": "node-1",
    "nodename_file": "/etc/nodename", "nodename_file_optional": true,
    "etcd_endpoints": "https://10.0.0.1:2379", "etcd_key_file": "/k", "etcd_cert_file": "/c",
    "etcd_ca_cert_file": "/ca",
    "ipam": {"type": "calico-ipam", "assign_ipv4": "false", "assign_ipv6": "true",
             "ipv4_pools": ["default-ipv4-ippool", "10.65.0.0/16"],
             "ipv6_pools": ["fd00:10::/64"]},
    "policy": {"type": "k8s"},
    "kubernetes": {"kubeconfig": "/etc/cni/net.d/calico-kubeconfig"})"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->assign_ipv4);
  EXPECT_TRUE(c->assign_ipv6);
  EXPECT_EQ(c->ipv4_pools, (std::vector<std::string>{"default-ipv4-ippool", "10.65.0.0/16"}));
  EXPECT_EQ(c->ipv6_pools, (std::vector<std::string>{"fd00:10::/64"}));
  EXPECT_EQ(c->nodename, "node-1");
  EXPECT_EQ(c->nodename_file, "/etc/nodename");
  EXPECT_TRUE(c->nodename_file_optional);
  EXPECT_EQ(c->datastore_type, "kubernetes");
  EXPECT_EQ(c->etcd_endpoints, "https://10.0.0.1:2379");
  EXPECT_EQ(c->etcd_key_file, "/k");
  EXPECT_EQ(c->etcd_cert_file, "/c");
  EXPECT_EQ(c->etcd_ca_cert_file, "/ca");
  EXPECT_EQ(c->kubeconfig, "/etc/cni/net.d/calico-kubeconfig");
  EXPECT_EQ(c->policy_type, "k8s");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_file_path, "/var/log/calico/cni/cni.log");
}

TEST(CniIpamConf, AssignFlagsAcceptStringsAndBooleans) {
  struct Case {
    const char* ipam;
    bool v4;
    bool v6;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"assign_ipv4": "true", "assign_ipv6": "false"})", true, false},
           {R"({"assign_ipv4": "false", "assign_ipv6": "true"})", false, true},
           {R"({"assign_ipv4": false, "assign_ipv6": true})", false, true},
           {R"({"assign_ipv4": null, "assign_ipv6": null})", true, false},
       }) {
    auto got = ipam_conf(conf_with(std::string(R"("ipam": )") + c.ipam));
    ASSERT_TRUE(got) << c.ipam << ": " << got.error();
    EXPECT_EQ(got->assign_ipv4, c.v4) << c.ipam;
    EXPECT_EQ(got->assign_ipv6, c.v6) << c.ipam;
  }
}

TEST(CniIpamConf, OtherFlagValuesNameTheFieldAndValue) {
  Error e = ipam_conf_error(conf_with(R"("ipam": {"assign_ipv4": "yes"})"));
  EXPECT_EQ(e.code, kErrInvalidNetworkConfig);
  EXPECT_THAT(e.msg, HasSubstr("ipam.assign_ipv4"));
  EXPECT_THAT(e.msg, HasSubstr("\"yes\""));
  e = ipam_conf_error(conf_with(R"("ipam": {"assign_ipv6": 1})"));
  EXPECT_THAT(e.msg, HasSubstr("ipam.assign_ipv6"));
  EXPECT_THAT(e.msg, HasSubstr("got 1"));
  e = ipam_conf_error(conf_with(R"("ipam": {"assign_ipv6": "True"})"));
  EXPECT_THAT(e.msg, HasSubstr("\"True\""));
}

TEST(CniIpamConf, PoolsMustBeArraysOfStrings) {
  for (const char* pools : {R"("10.0.0.0/16")", "[1]", R"(["a", null])", R"({"a": 1})"}) {
    Error e = ipam_conf_error(conf_with(std::string(R"("ipam": {"ipv4_pools": )") + pools + "}"));
    EXPECT_EQ(e.code, kErrInvalidNetworkConfig) << pools;
    EXPECT_THAT(e.msg, HasSubstr("ipam.ipv4_pools")) << pools;
  }
  Error e = ipam_conf_error(conf_with(R"("ipam": {"ipv6_pools": "fd00::/64"})"));
  EXPECT_THAT(e.msg, HasSubstr("ipam.ipv6_pools"));
}

TEST(CniIpamConf, EmptyStringsFallBackToDefaults) {
  auto c = ipam_conf(conf_with(R"("nodename_file": "", "datastore_type": "", "log_level": "")"));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->nodename_file, "/var/lib/calico/nodename");
  EXPECT_EQ(c->datastore_type, "etcdv3");
  EXPECT_EQ(c->log_level, "info");
}

TEST(CniIpamConf, WrongTypesAndUnknownDatastoreAreNamed) {
  struct Case {
    const char* extra;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {R"("datastore_type": "consul")", "datastore_type"},
           {R"("etcd_endpoints": ["a"])", "etcd_endpoints"},
           {R"("nodename": 7)", "nodename"},
           {R"("nodename_file_optional": "true")", "nodename_file_optional"},
           {R"("kubernetes": "/kubeconfig")", "kubernetes"},
           {R"("kubernetes": {"kubeconfig": 1})", "kubernetes.kubeconfig"},
           {R"("policy": {"type": false})", "policy.type"},
           {R"("log_level": 3)", "log_level"},
           {R"("ipam": {"type": 3})", "ipam.type"},
       }) {
    Error e = ipam_conf_error(conf_with(c.extra));
    EXPECT_EQ(e.code, kErrInvalidNetworkConfig) << c.extra;
    EXPECT_THAT(e.msg, HasSubstr(std::string(c.field) + ":")) << c.extra;
  }
  EXPECT_THAT(ipam_conf_error(conf_with(R"("datastore_type": "consul")")).msg,
              HasSubstr("\"consul\""));
}

TEST(CniIpamConf, NonObjectIpamInAHandBuiltNetConfIsRejected) {
  NetConf conf;
  conf.name = "n";
  conf.raw = nlohmann::json::object();
  conf.ipam = "calico-ipam";
  auto got = parse_ipam_conf(conf);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().msg, HasSubstr("ipam:"));
}

// ---- K8sArgs ----

TEST(CniK8sArgs, ReadsPodIdentityAndIgnoresUnknownKeys) {
  auto a = parse_k8s_args(env_with_args({{"IgnoreUnknown", "1"},
                                         {"K8S_POD_NAMESPACE", "kube-system"},
                                         {"K8S_POD_NAME", "coredns-5d78c9869d-abcde"},
                                         {"K8S_POD_INFRA_CONTAINER_ID", "f00d"},
                                         {"K8S_POD_UID", "1234"}}));
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->pod_namespace, "kube-system");
  EXPECT_EQ(a->pod_name, "coredns-5d78c9869d-abcde");
  EXPECT_EQ(a->infra_container_id, "f00d");
  EXPECT_FALSE(a->ip.has_value());
  EXPECT_TRUE(a->ips.empty());
  auto none = parse_k8s_args(Env{});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->pod_name, "");
}

TEST(CniK8sArgs, IpIsParsedOnePerFamily) {
  auto one = parse_k8s_args(env_with_args({{"IP", "10.244.1.7"}}));
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(one->ip, "10.244.1.7");
  EXPECT_EQ(one->ips, (std::vector<net::IpAddr>{*net::IpAddr::parse("10.244.1.7")}));
  auto dual = parse_k8s_args(env_with_args({{"IP", "fd00::7, 10.244.1.7"}}));
  ASSERT_TRUE(dual) << dual.error();
  EXPECT_EQ(dual->ips, (std::vector<net::IpAddr>{*net::IpAddr::parse("fd00::7"),
                                                 *net::IpAddr::parse("10.244.1.7")}));
  auto empty = parse_k8s_args(env_with_args({{"IP", ""}}));
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->ip.has_value());
}

TEST(CniK8sArgs, BadIpIsNamed) {
  struct Case {
    const char* ip;
    const char* why;
  };
  for (const Case& c : std::vector<Case>{
           {"10.244.1.300", "\"10.244.1.300\" is not an IP address"},
           {"10.244.1.7/32", "is not an IP address"},
           {"10.0.0.1,", "\"\" is not an IP address"},
           {"10.0.0.1,10.0.0.2", "more than one IPv4 address"},
           {"fd00::1,10.0.0.1,fd00::2", "more than one IPv6 address"},
       }) {
    auto got = parse_k8s_args(env_with_args({{"IP", c.ip}}));
    ASSERT_FALSE(got) << c.ip;
    EXPECT_EQ(got.error().code, kErrInvalidEnvironment) << c.ip;
    EXPECT_THAT(got.error().msg, HasSubstr(std::string("IP=") + c.ip)) << c.ip;
    EXPECT_THAT(got.error().msg, HasSubstr(c.why)) << c.ip;
  }
}

TEST(CniK8sArgs, WorksOnAParsedEnvironment) {
  auto env = parse_env([](const std::string& name) -> std::optional<std::string> {
    if (name == "CNI_COMMAND") {
      return "DEL";
    }
    if (name == "CNI_CONTAINERID") {
      return "c1";
    }
    if (name == "CNI_IFNAME") {
      return "eth0";
    }
    if (name == "CNI_ARGS") {
      return "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;IP=10.0.0.9";
    }
    return std::nullopt;
  });
  ASSERT_TRUE(env) << env.error();
  auto a = parse_k8s_args(*env);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->pod_namespace, "default");
  EXPECT_EQ(a->pod_name, "web-0");
  EXPECT_EQ(a->ips.size(), 1u);
}

}  // namespace
}  // namespace calico::cni
