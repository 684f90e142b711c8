// The calico-ipam binary as a container runtime runs it: exec'd with CNI_* variables and
// the network config on stdin, against a real etcd started by the test.  Covers ADD/DEL/
// CHECK/GC/STATUS/VERSION, concurrent plugin processes on two nodes and etcd going away.
// (Chaining under the reference ptp/bridge plugins is not tested: calico-ipam's result, like
// Calico's, routes each address's block prefix, which collides with the connected route
// those plugins' ConfigureIface creates; the calico plugin consumes it instead.)
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cni/ipam_plugin.h"
#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "ipam/check.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/process.h"

namespace calico::cni {
namespace {

using nlohmann::json;
using testlib::ExecResult;

constexpr const char* kRefPluginDir = "/usr/lib/cni";

class CalicoIpamBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testlib::is_root()) << "needs root (etcd, network namespaces)";
    auto s = testlib::EtcdServer::start();
    ASSERT_TRUE(s) << s.error();
    etcd_ = std::move(*s);
    datastore::etcd::EtcdConfig c;
    c.endpoints = {etcd_->endpoint()};
    store_ = std::make_unique<datastore::etcd::EtcdDatastore>(c);
    add_pool("pool-v4", "10.91.0.0/24", 26);
    add_pool("pool-v6", "fd00:91::/120", 122);
    api::ClusterInformation ci;
    ci.metadata.name = "default";
    ci.spec.datastore_ready = true;
    ASSERT_TRUE(store_->create(ci));
    for (const char* node : {"node-a", "node-b"}) {
      api::Node n;
      n.metadata.name = node;
      ASSERT_TRUE(store_->create(n));
      std::filesystem::create_directories(dir_.path() + "/" + node);
      std::ofstream(dir_.path() + "/" + node + "/nodename") << node << "\n";
    }
  }

  void add_pool(const std::string& name, const std::string& cidr, int block_size) {
    api::IPPool p;
    p.metadata.name = name;
    p.spec.cidr = cidr;
    p.spec.block_size = block_size;
    p.spec.node_selector = "all()";
    ASSERT_TRUE(store_->create(p)) << name;
  }

  // The network config a node's runtime would pass (files under the test's temp dir).
  json conf(const std::string& node = "node-a", json ipam = json::object(),
            const std::string& version = "1.1.0") const {
    ipam["type"] = "calico-ipam";
    const std::string nd = dir_.path() + "/" + node;
    return json{{"cniVersion", version},
                {"name", "k8s-pod-network"},
                {"type", "calico"},
                {"etcd_endpoints", etcd_->endpoint()},
                {"datastore_type", "etcdv3"},
                {"nodename_file", nd + "/nodename"},
                {"ipam_lock_file", nd + "/ipam.lock"},
                {"log_file_path", nd + "/cni.log"},
                {"ipam", ipam}};
  }

  std::map<std::string, std::string> env(const std::string& command, const std::string& id,
                                         const std::string& args = "") const {
    std::map<std::string, std::string> e = {{"CNI_COMMAND", command},
                                            {"CNI_CONTAINERID", id},
                                            {"CNI_NETNS", "/var/run/netns/none"},
                                            {"CNI_IFNAME", "eth0"},
                                            {"CNI_PATH", kRefPluginDir}};
    if (!args.empty()) {
      e["CNI_ARGS"] = args;
    }
    return e;
  }

  static ExecResult plugin(const std::map<std::string, std::string>& env, const json& conf) {
    return testlib::run_with_input({CALICO_IPAM_PLUGIN}, env, conf.dump());
  }

  static json out(const ExecResult& r) {
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  std::set<std::string> handle_ips(const std::string& handle) const {
    ipam::Allocator a(*store_);
    std::set<std::string> ips;
    if (auto r = a.ips_by_handle(handle)) {
      for (const auto& ip : *r) {
        ips.insert(ip.to_string());
      }
    }
    return ips;
  }

  void expect_check_clean(const std::set<std::string>& live_handles) const {
    ipam::CheckOptions opts;
    opts.in_use = [&live_handles](const std::string& h, const net::IpAddr&) {
      return live_handles.contains(h);
    };
    auto report = ipam::check(*store_, opts);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->problems.empty()) << report->to_text();
  }

  std::unique_ptr<testlib::EtcdServer> etcd_;
  std::unique_ptr<datastore::etcd::EtcdDatastore> store_;
  testlib::TempDir dir_{"calico-ipam-it"};
};

TEST_F(CalicoIpamBinaryTest, AddCheckDelLifecycle) {
  auto add = plugin(env("ADD", "ctr-1", "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1"),
                    conf("node-a", {{"assign_ipv6", "true"}}));
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  EXPECT_EQ(add.err, "");
  json r = out(add);
  ASSERT_EQ(r["ips"].size(), 2u) << add.out;
  const std::string v4 = r["ips"][0]["address"];
  EXPECT_EQ(v4.rfind("10.91.0.", 0), 0u);
  EXPECT_EQ(v4.substr(v4.size() - 3), "/26");
  EXPECT_EQ(r["routes"][0]["dst"], v4);
  EXPECT_EQ(handle_ips("k8s-pod-network.ctr-1").size(), 2u);

  // The block is affine to node-a and the allocation records the pod.
  auto blocks = store_->list({api::Kind::IPAMBlock, "", ""});
  ASSERT_TRUE(blocks);
  bool found = false;
  for (const auto& o : blocks->items) {
    const auto& b = std::get<api::IPAMBlock>(o.value).spec;
    EXPECT_EQ(b.affinity.value_or(""), "host:node-a");
    for (const auto& a : b.attributes) {
      if (a.handle_id == "k8s-pod-network.ctr-1") {
        found = true;
        EXPECT_EQ(a.secondary.at("pod"), "web-1");
        EXPECT_EQ(a.secondary.at("namespace"), "shop");
        EXPECT_EQ(a.secondary.at("node"), "node-a");
      }
    }
  }
  EXPECT_TRUE(found);

  json c = conf("node-a", {{"assign_ipv6", "true"}});
  c["prevResult"] = r;
  auto check = plugin(env("CHECK", "ctr-1"), c);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  auto del = plugin(env("DEL", "ctr-1", "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1"), conf());
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_EQ(del.out, "");
  EXPECT_TRUE(handle_ips("k8s-pod-network.ctr-1").empty());
  check = plugin(env("CHECK", "ctr-1"), c);
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_EQ(out(check)["code"], kErrCheckFailed) << check.out;
  // DEL again: success, as the spec requires.
  EXPECT_EQ(plugin(env("DEL", "ctr-1"), conf()).exit_code, 0);
  expect_check_clean({});

  // The log file names what happened.
  std::ifstream log(dir_.path() + "/node-a/cni.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ok ADD k8s-pod-network.ctr-1"), std::string::npos) << text;
  EXPECT_NE(text.find("ok DEL k8s-pod-network.ctr-1"), std::string::npos) << text;
}

TEST_F(CalicoIpamBinaryTest, VersionStatusAndErrors) {
  auto v = plugin({{"CNI_COMMAND", "VERSION"}}, json{{"cniVersion", "1.0.0"}});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(out(v)["cniVersion"], "1.0.0");
  EXPECT_EQ(out(v)["supportedVersions"].size(), kSupportedVersions.size());

  auto st = plugin({{"CNI_COMMAND", "STATUS"}}, conf());
  EXPECT_EQ(st.exit_code, 0) << st.out << st.err;

  auto missing = plugin({{"CNI_COMMAND", "ADD"}}, conf());
  ASSERT_EQ(missing.exit_code, 1);
  EXPECT_EQ(out(missing)["code"], kErrInvalidEnvironment) << missing.out;
  EXPECT_NE(missing.out.find("CNI_CONTAINERID"), std::string::npos);

  auto garbage = testlib::run_with_input({CALICO_IPAM_PLUGIN}, env("ADD", "x"), "{\"name\":");
  ASSERT_EQ(garbage.exit_code, 1);
  EXPECT_EQ(out(garbage)["code"], kErrDecodingFailure) << garbage.out;

  json nonode = conf();
  nonode["nodename_file"] = dir_.path() + "/absent/nodename";
  auto nn = plugin(env("ADD", "x"), nonode);
  ASSERT_EQ(nn.exit_code, 1);
  EXPECT_NE(out(nn)["msg"].get<std::string>().find("absent/nodename"), std::string::npos);

  auto flag = testlib::run_with_input({CALICO_IPAM_PLUGIN, "-v"}, {}, "");
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_NE(flag.out.find("calico-ipam"), std::string::npos);
  // Nothing above allocated anything.
  auto blocks = store_->list({api::Kind::IPAMBlock, "", ""});
  ASSERT_TRUE(blocks);
  EXPECT_TRUE(blocks->items.empty());
}

TEST_F(CalicoIpamBinaryTest, ConcurrentPluginsOnTwoNodesNeverShareAnAddress) {
  constexpr int kPerNode = 12;
  std::vector<ExecResult> results(2 * kPerNode);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kPerNode; ++i) {
    threads.emplace_back([&, i] {
      const std::string node = i % 2 == 0 ? "node-a" : "node-b";
      results[static_cast<std::size_t>(i)] =
          plugin(env("ADD", "par-" + std::to_string(i)), conf(node));
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> addresses;
  std::set<std::string> handles;
  for (int i = 0; i < 2 * kPerNode; ++i) {
    const auto& r = results[static_cast<std::size_t>(i)];
    ASSERT_EQ(r.exit_code, 0) << i << ": " << r.out << r.err;
    addresses.insert(out(r)["ips"][0]["address"].get<std::string>());
    handles.insert("k8s-pod-network.par-" + std::to_string(i));
  }
  EXPECT_EQ(addresses.size(), static_cast<std::size_t>(2 * kPerNode));
  expect_check_clean(handles);
  // Each node got its own block(s).
  auto aff_a = store_->list({api::Kind::BlockAffinity, "node-a", ""});
  auto aff_b = store_->list({api::Kind::BlockAffinity, "node-b", ""});
  ASSERT_TRUE(aff_a && aff_b);
  EXPECT_GE(aff_a->items.size(), 1u);
  EXPECT_GE(aff_b->items.size(), 1u);

  threads.clear();
  for (int i = 0; i < 2 * kPerNode; ++i) {
    threads.emplace_back([&, i] {
      const std::string node = i % 2 == 0 ? "node-a" : "node-b";
      results[static_cast<std::size_t>(i)] =
          plugin(env("DEL", "par-" + std::to_string(i)), conf(node));
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  auto handles_left = store_->list({api::Kind::IPAMHandle, "", ""});
  ASSERT_TRUE(handles_left);
  EXPECT_TRUE(handles_left->items.empty());
  expect_check_clean({});
}

TEST_F(CalicoIpamBinaryTest, GcReleasesStaleAttachments) {
  for (const char* id : {"keep", "gone-1", "gone-2"}) {
    ASSERT_EQ(plugin(env("ADD", id), conf()).exit_code, 0);
  }
  json c = conf();
  c["cni.dev/valid-attachments"] = json::array({{{"containerID", "keep"}, {"ifname", "eth0"}}});
  auto gc = plugin({{"CNI_COMMAND", "GC"}}, c);
  ASSERT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_EQ(handle_ips("k8s-pod-network.keep").size(), 1u);
  EXPECT_TRUE(handle_ips("k8s-pod-network.gone-1").empty());
  EXPECT_TRUE(handle_ips("k8s-pod-network.gone-2").empty());
  expect_check_clean({"k8s-pod-network.keep"});
}

TEST_F(CalicoIpamBinaryTest, EtcdDownIsTryAgainLaterAndNothingIsLost) {
  auto first = plugin(env("ADD", "before"), conf());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  etcd_->stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto down = plugin(env("ADD", "during"), conf());
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(down.exit_code, 1) << down.out << down.err;
  EXPECT_EQ(out(down)["code"], kErrTryAgainLater) << down.out;
  EXPECT_NE(down.out.find("127.0.0.1"), std::string::npos) << down.out;
  EXPECT_LT(took, std::chrono::seconds(30));
  auto st = plugin({{"CNI_COMMAND", "STATUS"}}, conf());
  EXPECT_EQ(out(st)["code"], kErrPluginNotAvailable) << st.out;

  ASSERT_TRUE(etcd_->restart());
  EXPECT_EQ(handle_ips("k8s-pod-network.before").size(), 1u);
  EXPECT_TRUE(handle_ips("k8s-pod-network.during").empty());
  auto after = plugin(env("ADD", "after"), conf());
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(out(after)["ips"][0]["address"], out(first)["ips"][0]["address"]);
  expect_check_clean({"k8s-pod-network.before", "k8s-pod-network.after"});
}

}  // namespace
}  // namespace calico::cni
