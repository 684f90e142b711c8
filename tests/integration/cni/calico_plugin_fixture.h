// Fixture for the calico plugin binary's integration tests: a real etcd with pools and a
// ready ClusterInformation, a "node" network namespace (ip_forward=1, a stand-in uplink
// with the default route, as a real node has) in which the plugin
// runs (`ip netns exec <node> calico`), pod namespaces, and helpers to run the plugin and
// to look at interfaces, routes and sysctls with `ip -j`.  Everything is created by the
// test with unique names and removed by the NetNs/EtcdServer destructors.  etcd listens on
// the test's loopback; a LoopbackRelay makes the same port answer inside the node
// namespace, so the plugin's etcd_endpoints work there unchanged.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "tests/integration/cni/loopback_relay.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::cni::it {

using nlohmann::json;

inline constexpr const char* kRefPluginDir = "/usr/lib/cni";
inline constexpr const char* kIp = "/usr/sbin/ip";

class CalicoPluginBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testlib::is_root()) << "needs root (etcd, network namespaces)";
    auto s = testlib::EtcdServer::start();
    ASSERT_TRUE(s) << s.error();
    etcd_ = std::move(*s);
    datastore::etcd::EtcdConfig c;
    c.endpoints = {etcd_->endpoint()};
    store_ = std::make_unique<datastore::etcd::EtcdDatastore>(c);
    add_pool("pool-v4", "10.94.0.0/24", 26);
    add_pool("pool-v6", "fd00:94::/120", 122);
    api::ClusterInformation ci;
    ci.metadata.name = "default";
    ci.spec.datastore_ready = true;
    ASSERT_TRUE(store_->create(ci));
    std::ofstream(dir_.path() + "/nodename") << "node-a\n";
    node_ = std::make_unique<testlib::NetNs>();
    ASSERT_TRUE(node_->ok()) << node_->error();
    ASSERT_EQ(node_->exec({"sysctl", "-qw", "net.ipv4.ip_forward=1"}).exit_code, 0);
    // A node has an uplink with its default route; proxy ARP answers for 169.254.1.1 only
    // because the node routes it (out of another interface).  A veth whose peer stays in
    // the node namespace: whatever is routed there is dropped, nothing leaves.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"link", "add", "node0", "type", "veth", "peer", "name", "node0-peer"},
             {"link", "set", "node0", "up"},
             {"addr", "add", "10.64.255.1/32", "dev", "node0"},
             {"route", "add", "default", "dev", "node0"}}) {
      std::vector<std::string> argv = {"ip"};
      argv.insert(argv.end(), args.begin(), args.end());
      auto r = node_->exec(argv);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    // The plugin runs inside the node namespace: etcd's loopback port is relayed there.
    auto relay = LoopbackRelay::start(node_->name(), etcd_->client_port());
    ASSERT_TRUE(relay) << relay.error();
    relay_ = std::move(*relay);
  }

  void add_pool(const std::string& name, const std::string& cidr, int block_size) {
    api::IPPool p;
    p.metadata.name = name;
    p.spec.cidr = cidr;
    p.spec.block_size = block_size;
    p.spec.node_selector = "all()";
    ASSERT_TRUE(store_->create(p)) << name;
  }

  // A pod network namespace; kept until the test ends.
  testlib::NetNs& pod() {
    pods_.push_back(std::make_unique<testlib::NetNs>());
    EXPECT_TRUE(pods_.back()->ok()) << pods_.back()->error();
    return *pods_.back();
  }
  static std::string netns_path(const testlib::NetNs& ns) { return "/run/netns/" + ns.name(); }

  json conf(json ipam = json{{"type", "calico-ipam"}}, const std::string& version = "1.0.0") const {
    return json{{"cniVersion", version},
                {"name", "k8s-pod-network"},
                {"type", "calico"},
                {"etcd_endpoints", etcd_->endpoint()},
                {"datastore_type", "etcdv3"},
                {"nodename_file", dir_.path() + "/nodename"},
                {"ipam_lock_file", dir_.path() + "/ipam.lock"},
                {"log_file_path", dir_.path() + "/cni.log"},
                {"mtu", 1400},
                {"ipam", ipam}};
  }

  // The runtime's environment for one call (CNI_PATH: our IPAM plugin, then the
  // reference plugins).
  static std::map<std::string, std::string> env(const std::string& command, const std::string& id,
                                                const std::string& netns,
                                                const std::string& args = "") {
    const std::string ours = std::filesystem::path(CALICO_IPAM_PLUGIN).parent_path().string();
    std::map<std::string, std::string> e = {{"CNI_COMMAND", command},
                                            {"CNI_CONTAINERID", id},
                                            {"CNI_IFNAME", "eth0"},
                                            {"CNI_PATH", ours + ":" + kRefPluginDir},
                                            {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
    if (!netns.empty()) {
      e["CNI_NETNS"] = netns;
    }
    if (!args.empty()) {
      e["CNI_ARGS"] = args;
    }
    return e;
  }

  // Runs a plugin binary inside the node namespace, as the node's runtime would.
  testlib::ExecResult run_plugin(const std::string& binary,
                                 const std::map<std::string, std::string>& e, const json& c) const {
    return testlib::run_with_input({kIp, "netns", "exec", node_->name(), binary}, e, c.dump());
  }
  testlib::ExecResult calico(const std::map<std::string, std::string>& e, const json& c) const {
    return run_plugin(CALICO_PLUGIN, e, c);
  }

  static json parse(const std::string& text) {
    return json::parse(text, nullptr, /*allow_exceptions=*/false);
  }

  // `ip -j <args>` inside `ns`, parsed; null on failure.
  static json ip_json(const testlib::NetNs& ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-j"});
    auto r = ns.exec(args);
    return r.exit_code == 0 ? parse(r.output) : json();
  }
  static std::string sysctl(const testlib::NetNs& ns, const std::string& key) {
    auto r = ns.exec({"cat", "/proc/sys/" + key});
    std::string out = r.output;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return r.exit_code == 0 ? out : "<" + r.output + ">";
  }

  // Addresses ("10.94.0.1/32") on `dev` in `ns`; link-local ones only when asked.
  static std::vector<std::string> addresses(const testlib::NetNs& ns, const std::string& dev,
                                            bool link_local = false) {
    std::vector<std::string> out;
    const json links = ip_json(ns, {"addr", "show", "dev", dev});
    if (!links.is_array() || links.empty()) {
      return out;
    }
    for (const auto& a : links[0].value("addr_info", json::array())) {
      if (!link_local && a.value("scope", "") == "link") {
        continue;
      }
      out.push_back(a.value("local", "") + "/" + std::to_string(a.value("prefixlen", 0)));
    }
    return out;
  }

  std::set<std::string> handle_ips(const std::string& container) const {
    ipam::Allocator a(*store_);
    std::set<std::string> ips;
    if (auto r = a.ips_by_handle("k8s-pod-network." + container)) {
      for (const auto& ip : *r) {
        ips.insert(ip.to_string());
      }
    }
    return ips;
  }

  std::optional<api::WorkloadEndpoint> wep(const std::string& ns, const std::string& name) const {
    auto o = store_->get({api::Kind::WorkloadEndpoint, ns, name});
    if (!o) {
      return std::nullopt;
    }
    return std::get<api::WorkloadEndpoint>(o->value);
  }

  std::unique_ptr<testlib::EtcdServer> etcd_;
  std::unique_ptr<datastore::etcd::EtcdDatastore> store_;
  testlib::TempDir dir_{"calico-cni-it"};
  std::unique_ptr<testlib::NetNs> node_;
  std::unique_ptr<LoopbackRelay> relay_;
  std::vector<std::unique_ptr<testlib::NetNs>> pods_;
};

}  // namespace calico::cni::it
