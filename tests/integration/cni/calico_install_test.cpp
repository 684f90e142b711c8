// The calico-cni-install binary as the DaemonSet's init container runs it: flags and
// environment pointing at temporary "host" directories; it copies the plugins it finds
// next to itself, writes the conflist and the kubeconfig, and the installed calico binary
// runs.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/lib/process.h"

namespace calico::cni::it {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CalicoCniInstall, InstallsPluginsConfigAndKubeconfig) {
  testlib::TempDir dir("calico-install-it");
  const std::string host = dir.path() + "/host";
  fs::create_directories(dir.path() + "/sa");
  std::ofstream(dir.path() + "/sa/token") << "sa-token\n";
  std::ofstream(dir.path() + "/sa/ca.crt") << "-----BEGIN CERTIFICATE-----\n";
  const std::string src = fs::path(CALICO_PLUGIN).parent_path().string();
  auto r = testlib::run_with_input(
      {CALICO_CNI_INSTALL, "--source-dir", src, "--bin-dir", host + "/opt/cni/bin", "--net-dir",
       host + "/etc/cni/net.d", "--serviceaccount-dir", dir.path() + "/sa"},
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
       {"KUBERNETES_SERVICE_PORT", "443"},
       {"KUBERNETES_NODE_NAME", "node-9"},
       {"CNI_MTU", "1450"}},
      "");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* bin : {"calico", "calico-ipam"}) {
    const std::string installed = host + "/opt/cni/bin/" + bin;
    ASSERT_TRUE(fs::exists(installed)) << installed;
    EXPECT_EQ(fs::file_size(installed), fs::file_size(src + "/" + bin));
    EXPECT_NE(fs::status(installed).permissions() & fs::perms::owner_exec, fs::perms::none);
  }
  const json conf = json::parse(slurp(host + "/etc/cni/net.d/10-calico.conflist"));
  EXPECT_EQ(conf["plugins"][0]["type"], "calico");
  EXPECT_EQ(conf["plugins"][0]["nodename"], "node-9");
  EXPECT_EQ(conf["plugins"][0]["mtu"], 1450);
  EXPECT_EQ(conf["plugins"][1]["type"], "portmap");
  const std::string kc = slurp(host + "/etc/cni/net.d/calico-kubeconfig");
  EXPECT_NE(kc.find("server: https://10.96.0.1:443"), std::string::npos) << kc;
  EXPECT_NE(kc.find("token: sa-token"), std::string::npos) << kc;
  // The installed plugin is a working binary.
  auto v = testlib::run_with_input({host + "/opt/cni/bin/calico", "-v"}, {}, "");
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("CNI spec"), std::string::npos);

  auto bad = testlib::run_with_input({CALICO_CNI_INSTALL, "--bin-dir"}, {}, "");
  EXPECT_EQ(bad.exit_code, 2);
  auto missing =
      testlib::run_with_input({CALICO_CNI_INSTALL, "--source-dir", dir.path() + "/nothing",
                               "--bin-dir", dir.path() + "/b", "--net-dir", dir.path() + "/n"},
                              {}, "");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(dir.path() + "/nothing/calico"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace calico::cni::it
