// calico-cni-install: placeholder substitution, the default conflist, kubeconfig
// rendering, settings from the environment, and a whole install into a temporary
// directory (binaries, kubeconfig, conflist; atomic writes leave no temporary files).
#include "cni/install.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace calico::cni::install {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class TempTree {
 public:
  TempTree() {
    std::string tmpl = (fs::temp_directory_path() / "cni-install-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  TempTree(TempTree&&) = delete;
  TempTree& operator=(TempTree&&) = delete;
  std::string operator/(const std::string& p) const { return path_ + "/" + p; }

 private:
  std::string path_;
};

Settings settings(std::map<std::string, std::string> env) {
  auto s = settings_from_env([&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_TRUE(s) << s.error();
  return s ? *s : Settings{};
}

TEST(CniInstall, SubstituteReplacesEveryOccurrence) {
  EXPECT_EQ(substitute("a __X__ b __X__ __Y__", {{"__X__", "1"}, {"__Y__", "__X__"}}),
            "a 1 b 1 __X__");
  EXPECT_EQ(substitute("none", {{"__X__", "1"}}), "none");
}

TEST(CniInstall, DefaultConfigRendersCalicoThenPortmap) {
  Settings s = settings({{"KUBERNETES_NODE_NAME", "node-7"}, {"CNI_MTU", "1440"}});
  auto text = render_network_config(default_network_config(), s);
  ASSERT_TRUE(text) << text.error();
  const json j = json::parse(*text);
  EXPECT_EQ(j["name"], "k8s-pod-network");
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  ASSERT_EQ(j["plugins"].size(), 2u);
  const json& calico = j["plugins"][0];
  EXPECT_EQ(calico["type"], "calico");
  EXPECT_EQ(calico["nodename"], "node-7");
  EXPECT_EQ(calico["mtu"], 1440);
  EXPECT_EQ(calico["datastore_type"], "kubernetes");
  EXPECT_EQ(calico["log_level"], "info");
  EXPECT_EQ(calico["ipam"]["type"], "calico-ipam");
  EXPECT_EQ(calico["policy"]["type"], "k8s");
  EXPECT_EQ(calico["kubernetes"]["kubeconfig"], "/etc/cni/net.d/calico-kubeconfig");
  EXPECT_EQ(j["plugins"][1]["type"], "portmap");
  EXPECT_EQ(j["plugins"][1]["capabilities"]["portMappings"], true);
}

TEST(CniInstall, BadTemplatesAreRefused) {
  Settings s = settings({});
  EXPECT_FALSE(render_network_config("{\"mtu\": __CNI_MTU__", s));  // not JSON
  auto unknown = render_network_config(R"({"x": "__NOT_A_PLACEHOLDER__"})", s);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("__NOT_A_PLACEHOLDER__"), std::string::npos);
  auto ok = render_network_config(R"({"a__b": "x__y", "e": "__ETCD_ENDPOINTS__"})",
                                  settings({{"ETCD_ENDPOINTS", "http://10.0.0.1:2379"}}));
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(json::parse(*ok)["e"], "http://10.0.0.1:2379");
}

TEST(CniInstall, SettingsFromEnvironment) {
  Settings d = settings({});
  EXPECT_EQ(d.bin_dir, "/host/opt/cni/bin");
  EXPECT_EQ(d.net_dir, "/host/etc/cni/net.d");
  EXPECT_EQ(d.conf_name, "10-calico.conflist");
  EXPECT_EQ(d.mtu, "1500");
  EXPECT_EQ(d.binaries, (std::vector<std::string>{"calico", "calico-ipam"}));
  EXPECT_TRUE(d.update_binaries);
  Settings s = settings({{"CNI_BIN_DIR", "/b"},
                         {"CNI_NET_DIR", "/n"},
                         {"CNI_CONF_NAME", "05-x.conflist"},
                         {"CNI_BINARIES", "calico,,calico-ipam,extra"},
                         {"UPDATE_CNI_BINARIES", "false"},
                         {"SKIP_TLS_VERIFY", "true"}});
  EXPECT_EQ(s.bin_dir, "/b");
  EXPECT_EQ(s.net_dir, "/n");
  EXPECT_EQ(s.conf_name, "05-x.conflist");
  EXPECT_EQ(s.binaries, (std::vector<std::string>{"calico", "calico-ipam", "extra"}));
  EXPECT_FALSE(s.update_binaries);
  EXPECT_TRUE(s.skip_tls_verify);
  auto bad = settings_from_env([](const std::string& k) -> std::optional<std::string> {
    return k == "CNI_MTU" ? std::optional<std::string>("15oo") : std::nullopt;
  });
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("CNI_MTU"), std::string::npos);
}

TEST(CniInstall, KubeconfigFromTheServiceAccount) {
  Settings s =
      settings({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  const std::string k = render_kubeconfig(s, "tok-123\n", "-----BEGIN CERTIFICATE-----\nAB\n");
  EXPECT_NE(k.find("server: https://10.96.0.1:443\n"), std::string::npos) << k;
  EXPECT_NE(k.find("token: tok-123\n"), std::string::npos) << k;
  EXPECT_NE(k.find("certificate-authority-data: \"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFCCg==\""),
            std::string::npos)
      << k;
  EXPECT_NE(k.find("current-context: calico-context"), std::string::npos);
  EXPECT_EQ(k.find("insecure-skip-tls-verify"), std::string::npos);
  s.k8s_service_host = "fd00::1";
  s.skip_tls_verify = true;
  const std::string v6 = render_kubeconfig(s, "t", "ca");
  EXPECT_NE(v6.find("server: https://[fd00::1]:443\n"), std::string::npos) << v6;
  EXPECT_NE(v6.find("insecure-skip-tls-verify: true"), std::string::npos);
}

TEST(CniInstall, RunInstallWritesEverythingAtomically) {
  TempTree t;
  spit(t / "src/calico", "calico-binary-bytes");
  spit(t / "src/calico-ipam", "ipam-binary-bytes");
  spit(t / "sa/token", "the-token\n");
  spit(t / "sa/ca.crt", "CA");
  spit(t / "host/opt/cni/bin/calico", "old version");  // replaced
  Settings s = settings(
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
       {"KUBERNETES_SERVICE_PORT", "443"},
       {"KUBERNETES_NODE_NAME", "node-1"},
       {"CNI_NETWORK_CONFIG", R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"calico",)"
                              R"("nodename":"__KUBERNETES_NODE_NAME__","mtu":__CNI_MTU__,)"
                              R"("kubernetes":{"kubeconfig":"__KUBECONFIG_FILEPATH__"}}]})"}});
  s.source_dir = t / "src";
  s.bin_dir = t / "host/opt/cni/bin";
  s.net_dir = t / "host/etc/cni/net.d";
  s.serviceaccount_dir = t / "sa";
  auto r = run_install(s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->installed.size(), 4u);
  EXPECT_EQ(slurp(t / "host/opt/cni/bin/calico"), "calico-binary-bytes");
  EXPECT_EQ(slurp(t / "host/opt/cni/bin/calico-ipam"), "ipam-binary-bytes");
  struct stat st {};
  ASSERT_EQ(::stat((t / "host/opt/cni/bin/calico").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  const json conf = json::parse(slurp(t / "host/etc/cni/net.d/10-calico.conflist"));
  EXPECT_EQ(conf["plugins"][0]["nodename"], "node-1");
  EXPECT_EQ(conf["plugins"][0]["mtu"], 1500);
  EXPECT_EQ(conf["plugins"][0]["kubernetes"]["kubeconfig"], "/etc/cni/net.d/calico-kubeconfig");
  const std::string kc = slurp(t / "host/etc/cni/net.d/calico-kubeconfig");
  EXPECT_NE(kc.find("token: the-token\n"), std::string::npos) << kc;
  ASSERT_EQ(::stat((t / "host/etc/cni/net.d/calico-kubeconfig").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left behind.
  for (const auto& dir : {t / "host/opt/cni/bin", t / "host/etc/cni/net.d"}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
    }
  }
  // UPDATE_CNI_BINARIES=false keeps what is there.
  spit(t / "host/opt/cni/bin/calico", "kept");
  s.update_binaries = false;
  r = run_install(s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(slurp(t / "host/opt/cni/bin/calico"), "kept");
  EXPECT_EQ(r->skipped.size(), 2u);
}

TEST(CniInstall, FailuresNameTheFileAndWriteNoConfig) {
  TempTree t;
  Settings s = settings({});
  s.source_dir = t / "missing";
  s.bin_dir = t / "bin";
  s.net_dir = t / "net.d";
  auto r = run_install(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(t / "missing/calico"), std::string::npos) << r.error();
  EXPECT_FALSE(fs::exists(t / "net.d/10-calico.conflist"));
  // A broken template: binaries are in, the config is not written.
  spit(t / "missing/calico", "x");
  spit(t / "missing/calico-ipam", "y");
  s.network_config = "{broken";
  r = run_install(s);
  ASSERT_FALSE(r);
  EXPECT_FALSE(fs::exists(t / "net.d/10-calico.conflist"));
  // Not in a cluster: no kubeconfig, and the default template.
  s.network_config.clear();
  r = run_install(s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(fs::exists(t / "net.d/calico-kubeconfig"));
  EXPECT_TRUE(json::parse(slurp(t / "net.d/10-calico.conflist")).is_object());
}

}  // namespace
}  // namespace calico::cni::install
