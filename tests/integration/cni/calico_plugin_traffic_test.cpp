// Real traffic between two pods wired by the calico binary on one "node" namespace: the
// pods' default routes via 169.254.1.1 (answered by the node's proxy ARP) and
// fe80::ecee:eeff:feee:eeee, the node forwarding between the cali veths along the host
// routes the plugin adds.  Also a pod namespace given as /proc/<pid>/ns/net.
#include <gtest/gtest.h>

#include "cni/calico_plugin.h"
#include "datastore/kdd/projections.h"
#include "tests/integration/cni/calico_plugin_fixture.h"

namespace calico::cni::it {
namespace {

std::string strip_prefix(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

TEST_F(CalicoPluginBinaryTest, PodsOnOneNodeReachEachOther) {
  testlib::NetNs& a = pod();
  testlib::NetNs& b = pod();
  auto add_a =
      calico(env("ADD", "ctr-a", netns_path(a), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a"), conf());
  ASSERT_EQ(add_a.exit_code, 0) << add_a.out << add_a.err;
  auto add_b =
      calico(env("ADD", "ctr-b", netns_path(b), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=b"), conf());
  ASSERT_EQ(add_b.exit_code, 0) << add_b.out << add_b.err;
  const std::string ip_a = strip_prefix(parse(add_a.out)["ips"][0]["address"]);
  const std::string ip_b = strip_prefix(parse(add_b.out)["ips"][0]["address"]);
  ASSERT_NE(ip_a, ip_b);
  auto ping = a.exec({"ping", "-c", "1", "-W", "2", ip_b});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  ping = b.exec({"ping", "-c", "1", "-W", "2", ip_a});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  // The node answered ARP for the gateway with Calico's MAC.
  const json neigh = ip_json(a, {"neigh", "show", "169.254.1.1"});
  ASSERT_EQ(neigh.size(), 1u) << neigh.dump();
  EXPECT_EQ(neigh[0]["lladdr"], "ee:ee:ee:ee:ee:ee");

  // After DEL of b, a cannot reach its old address any more.
  ASSERT_EQ(calico(env("DEL", "ctr-b", netns_path(b), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=b"), conf())
                .exit_code,
            0);
  EXPECT_NE(a.exec({"ping", "-c", "1", "-W", "1", ip_b}).exit_code, 0);
}

TEST_F(CalicoPluginBinaryTest, DualStackPodsReachEachOtherOverIpv6) {
  ASSERT_EQ(node_->exec({"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"}).exit_code, 0);
  const json ipam = {{"type", "calico-ipam"}, {"assign_ipv6", "true"}};
  testlib::NetNs& a = pod();
  testlib::NetNs& b = pod();
  auto add_a =
      calico(env("ADD", "ctr-a6", netns_path(a), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a"), conf(ipam));
  ASSERT_EQ(add_a.exit_code, 0) << add_a.out << add_a.err;
  auto add_b =
      calico(env("ADD", "ctr-b6", netns_path(b), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=b"), conf(ipam));
  ASSERT_EQ(add_b.exit_code, 0) << add_b.out << add_b.err;
  const json ra = parse(add_a.out);
  ASSERT_EQ(ra["ips"].size(), 2u) << add_a.out;
  const std::string v6_a = ra["ips"][1]["address"];
  EXPECT_EQ(v6_a.substr(v6_a.size() - 4), "/128");
  const std::string v6_b = parse(add_b.out)["ips"][1]["address"];
  // The pod's IPv6 default route goes via the host end's EUI-64 link-local address.
  const json def6 = ip_json(a, {"-6", "route", "show", "default"});
  ASSERT_EQ(def6.size(), 1u) << def6.dump();
  EXPECT_EQ(def6[0]["gateway"], "fe80::ecee:eeff:feee:eeee");
  const std::string host_a = datastore::kdd::workload_interface_name("x", "a");
  bool has_ll = false;
  for (const auto& addr : addresses(*node_, host_a, /*link_local=*/true)) {
    has_ll = has_ll || addr == "fe80::ecee:eeff:feee:eeee/64";
  }
  EXPECT_TRUE(has_ll) << ip_json(*node_, {"addr", "show", "dev", host_a}).dump();
  EXPECT_EQ(sysctl(*node_, "net/ipv6/conf/" + host_a + "/proxy_ndp"), "1");
  EXPECT_EQ(sysctl(*node_, "net/ipv6/conf/" + host_a + "/forwarding"), "1");
  auto ping = a.exec({"ping", "-6", "-c", "1", "-W", "3", strip_prefix(v6_b)});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  ping = a.exec({"ping", "-c", "1", "-W", "2", strip_prefix(ra["ips"][0]["address"])});
  EXPECT_EQ(ping.exit_code, 0) << "own address: " << ping.output;
  json cc = conf(ipam);
  cc["prevResult"] = ra;
  auto check =
      calico(env("CHECK", "ctr-a6", netns_path(a), "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a"), cc);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CalicoPluginBinaryTest, NamespaceGivenAsProcPath) {
  testlib::NetNs& p = pod();
  testlib::ProcessSpec spec;
  spec.argv = {"sleep", "300"};
  spec.netns = p.name();
  auto holder = testlib::Process::start(spec);
  ASSERT_TRUE(holder) << holder.error();
  const std::string path = "/proc/" + std::to_string((*holder)->pid()) + "/ns/net";
  ASSERT_TRUE(testlib::wait_until(
      [&] {
        auto links =
            testlib::run_command({"ip", "netns", "identify", std::to_string((*holder)->pid())});
        return links.output.find(p.name()) != std::string::npos;
      },
      std::chrono::seconds(5)))
      << "the holder process never entered " << p.name();
  auto add = calico(env("ADD", "ctr-proc", path), conf());
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const std::string addr = parse(add.out)["ips"][0]["address"];
  EXPECT_EQ(addresses(p, "eth0"), std::vector<std::string>{addr});
  EXPECT_TRUE(wep("default", "node--a-cni-ctr--proc-eth0")) << "cni orchestrator endpoint";
  EXPECT_TRUE(testlib::link_exists(node_->name(), "calictr-proc"));
  auto del = calico(env("DEL", "ctr-proc", path), conf());
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_FALSE(testlib::link_exists(p.name(), "eth0"));
  EXPECT_FALSE(testlib::link_exists(node_->name(), "calictr-proc"));
  (*holder)->stop();
}

}  // namespace
}  // namespace calico::cni::it
