// The calico plugin delegating to the real calico-ipam logic (run_ipam_plugin, in-process)
// over one MemoryStore: a repeated ADD must not leak addresses, a rolled-back ADD must
// release what it got, and args.cni.ips must reach IPAM.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cni/calico_plugin.h"
#include "cni/ipam_plugin.h"
#include "datastore/kdd/projections.h"
#include "ipam/allocator.h"
#include "tests/unit/cni/calico_plugin_fixture.h"

namespace calico::cni {
namespace {

using nlohmann::json;

class CalicoWithIpamTest : public test::CalicoPluginTest {
 protected:
  void SetUp() override {
    CalicoPluginTest::SetUp();
    api::IPPool p;
    p.metadata.name = "pool";
    p.spec.cidr = "10.70.0.0/24";
    p.spec.block_size = 26;
    p.spec.node_selector = "all()";
    ASSERT_TRUE(store.create(p));
    // calico-ipam in-process: the same environment (plus the delegate's overrides), files
    // and store as the calico plugin.
    io.delegate =
        [this](
            const std::string& type, const std::string& command, std::string_view in,
            const std::map<std::string, std::string>& over) -> Result<DelegateOutput, std::string> {
      EXPECT_EQ(type, "calico-ipam");
      auto vars = env;
      vars["CNI_COMMAND"] = command;
      for (const auto& [k, v] : over) {
        vars[k] = v;
      }
      PluginIo ipam_io = io.base;
      ipam_io.getenv = [vars](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
      };
      ipam_io.allocator.sleep = [](std::chrono::milliseconds) {};
      auto out = run_ipam_plugin(in, ipam_io);
      return DelegateOutput{out.exit_code, out.stdout_text, ""};
    };
  }

  std::vector<std::string> held(const std::string& container) {
    ipam::Allocator a(store);
    std::vector<std::string> out;
    if (auto r = a.ips_by_handle("k8s-pod-network." + container)) {
      for (const auto& ip : *r) {
        out.push_back(ip.to_string());
      }
    }
    return out;
  }
};

TEST_F(CalicoWithIpamTest, RepeatedAddDoesNotLeak) {
  const std::string args = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1";
  auto first = run("ADD", conf(), args);
  ASSERT_EQ(first.exit_code, 0) << first.stdout_text;
  auto second = run("ADD", conf(), args);
  ASSERT_EQ(second.exit_code, 0) << second.stdout_text;
  const std::string a1 = json::parse(first.stdout_text)["ips"][0]["address"];
  const std::string a2 = json::parse(second.stdout_text)["ips"][0]["address"];
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(a1.substr(a1.size() - 3), "/32");
  EXPECT_EQ(held("ctr1").size(), 1u);
  // The endpoint is the same object, written twice.
  auto wep = get_wep("shop", "node--a-k8s-web--1-eth0");
  ASSERT_TRUE(wep);
  EXPECT_EQ(wep->spec.ip_networks, std::vector<std::string>{a1});

  ASSERT_EQ(run("DEL", conf(), args).exit_code, 0);
  EXPECT_TRUE(held("ctr1").empty());
  ASSERT_EQ(run("DEL", conf(), args).exit_code, 0);
}

TEST_F(CalicoWithIpamTest, RolledBackAddReleasesItsAddress) {
  dataplane.fail_create = "netlink: Operation not permitted";
  auto out = run("ADD", conf(), "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1");
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrInterface);
  EXPECT_TRUE(held("ctr1").empty());
  // The runtime retries: the ADD now succeeds and the container holds exactly one address.
  dataplane.fail_create.clear();
  out = run("ADD", conf(), "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(held("ctr1").size(), 1u);
}

TEST_F(CalicoWithIpamTest, RequestedAddressIsAssigned) {
  json c = conf();
  c["args"] = {{"cni", {{"ips", json::array({"10.70.0.42"})}}}};
  auto out = run("ADD", c, "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(json::parse(out.stdout_text)["ips"][0]["address"], "10.70.0.42/32");
  EXPECT_EQ(held("ctr1"), std::vector<std::string>{"10.70.0.42"});
  // Someone else asking for it gets calico-ipam's "in use" error, passed through.
  env["CNI_CONTAINERID"] = "ctr2";
  out = run("ADD", c, "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-2");
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(json::parse(out.stdout_text)["code"], kErrAddressInUse) << out.stdout_text;
  EXPECT_TRUE(dataplane.created.count(datastore::kdd::workload_interface_name("shop", "web-2")) ==
              0);
}

}  // namespace
}  // namespace calico::cni
