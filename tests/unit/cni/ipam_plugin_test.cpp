// The calico-ipam plugin end to end in-process: run_ipam_plugin with a fake PluginIo
// (environment, nodename file, host name, lock, clock) over the in-memory store.  The
// same binary against a real etcd is tested in tests/integration/cni.
#include "cni/ipam_plugin.h"

#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datastore/memory_store.h"
#include "ipam/block.h"
#include "ipam/check.h"

namespace calico::cni {
namespace {

using nlohmann::json;

// Hands the shared MemoryStore to the plugin as if freshly opened.
class Borrowed final : public datastore::Datastore {
 public:
  explicit Borrowed(datastore::Datastore& ds) : ds_(ds) {}
  Result<datastore::Object, datastore::StoreError> get(const datastore::Key& k) override {
    return ds_.get(k);
  }
  Result<datastore::ListResult, datastore::StoreError> list(
      const datastore::ListOptions& o) override {
    return ds_.list(o);
  }
  Result<datastore::Object, datastore::StoreError> create(const api::AnyResource& v) override {
    return ds_.create(v);
  }
  Result<datastore::Object, datastore::StoreError> update(const api::AnyResource& v) override {
    return ds_.update(v);
  }
  Result<datastore::Object, datastore::StoreError> remove(const datastore::Key& k,
                                                          const std::string& rev) override {
    return ds_.remove(k, rev);
  }
  std::unique_ptr<datastore::Watch> watch(const datastore::WatchOptions& o,
                                          datastore::WatchCallbacks cb) override {
    return ds_.watch(o, std::move(cb));
  }

 private:
  datastore::Datastore& ds_;
};

class IpamPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add_pool("pool-v4", "10.50.0.0/24", 26);
    add_pool("pool-v6", "fd00:50::/120", 122);
    set_ready(true);
    files["/var/lib/calico/nodename"] = "node-a\n";
    io.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    io.read_file =
        [this](const std::string& path) -> Result<std::optional<std::string>, std::string> {
      auto it = files.find(path);
      return it == files.end() ? std::optional<std::string>()
                               : std::optional<std::string>(it->second);
    };
    io.hostname = [] { return std::string("Host-From-Uname"); };
    io.open_datastore = [this](const datastore::DatastoreConfig& cfg)
        -> Result<std::unique_ptr<datastore::Datastore>, std::string> {
      opened.push_back(cfg);
      return std::unique_ptr<datastore::Datastore>(std::make_unique<Borrowed>(store));
    };
    io.lock = [this](const std::string& path,
                     std::chrono::milliseconds) -> Result<LockGuard, std::string> {
      locks.push_back(path);
      ++held;
      return LockGuard(this, [this](void*) { --held; });
    };
    io.now = [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    };
    io.log = [this](const std::string& path, const std::string& line) {
      log_lines.push_back(path + ": " + line);
    };
    io.allocator.sleep = [](std::chrono::milliseconds) {};
    env = {{"CNI_COMMAND", "ADD"},
           {"CNI_CONTAINERID", "abc123"},
           {"CNI_NETNS", "/var/run/netns/x"},
           {"CNI_IFNAME", "eth0"},
           {"CNI_PATH", "/opt/cni/bin"},
           {"ETCD_ENDPOINTS", "http://127.0.0.1:2379"}};
  }

  void add_pool(const std::string& name, const std::string& cidr, int block_size,
                bool disabled = false) {
    api::IPPool p;
    p.metadata.name = name;
    p.spec.cidr = cidr;
    p.spec.block_size = block_size;
    p.spec.node_selector = "all()";
    p.spec.disabled = disabled;
    ASSERT_TRUE(store.create(p)) << name;
  }

  void set_ready(std::optional<bool> ready) {
    api::ClusterInformation ci;
    ci.metadata.name = "default";
    ci.spec.datastore_ready = ready;
    (void)store.remove({api::Kind::ClusterInformation, "", "default"});
    ASSERT_TRUE(store.create(ci));
  }

  json conf(json ipam = json::object(), const std::string& version = "1.0.0") {
    ipam["type"] = "calico-ipam";
    return json{
        {"cniVersion", version}, {"name", "k8s-pod-network"}, {"type", "calico"}, {"ipam", ipam}};
  }

  PluginOutput run(const std::string& command, const json& c) {
    env["CNI_COMMAND"] = command;
    return run_ipam_plugin(c.dump(), io);
  }
  PluginOutput run(const std::string& command) { return run(command, conf()); }

  static json parsed(const PluginOutput& out) {
    return out.stdout_text.empty() ? json() : json::parse(out.stdout_text);
  }

  std::set<std::string> handle_ips(const std::string& handle) {
    ipam::Allocator a(store);
    auto ips = a.ips_by_handle(handle);
    std::set<std::string> out;
    if (ips) {
      for (const auto& ip : *ips) {
        out.insert(ip.to_string());
      }
    }
    return out;
  }

  // The secondary attributes (+ "handle") recorded for one address.
  std::map<std::string, std::string> attrs_of(const std::string& ip) {
    auto addr = net::IpAddr::parse(ip);
    auto list = store.list({api::Kind::IPAMBlock, "", ""});
    for (const auto& o : list->items) {
      auto b = ipam::Block::from_spec(std::get<api::IPAMBlock>(o.value).spec);
      if (!b || !addr || !b->contains(*addr)) {
        continue;
      }
      const auto& alloc = b->spec().allocations[*b->ordinal(*addr)];
      if (!alloc) {
        return {};
      }
      const auto& attr = b->spec().attributes[static_cast<std::size_t>(*alloc)];
      auto out = attr.secondary;
      out["handle"] = attr.handle_id.value_or("");
      return out;
    }
    return {};
  }

  void expect_check_clean() {
    // Consistency only (no workloads or nodes exist in this store): handles agree with
    // blocks, no duplicates, nothing corrupt.
    ipam::CheckOptions opts;
    opts.in_use = [](const std::string&, const net::IpAddr&) { return true; };
    opts.node_exists = [](const std::string&) { return true; };
    auto report = ipam::check(store, opts);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->problems.empty()) << report->to_text();
  }

  datastore::MemoryStore store;
  PluginIo io;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  std::vector<datastore::DatastoreConfig> opened;
  std::vector<std::string> locks;
  std::vector<std::string> log_lines;
  int held = 0;
};

TEST_F(IpamPluginTest, AddAssignsOneIpv4WithBlockPrefixAndRoute) {
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  json r = parsed(out);
  EXPECT_EQ(r["cniVersion"], "1.0.0");
  ASSERT_EQ(r["ips"].size(), 1u);
  const std::string addr = r["ips"][0]["address"];
  EXPECT_EQ(addr.rfind("10.50.0.", 0), 0u) << addr;
  EXPECT_EQ(addr.substr(addr.size() - 3), "/26");
  EXPECT_FALSE(r["ips"][0].contains("gateway"));
  ASSERT_EQ(r["routes"].size(), 1u);
  EXPECT_EQ(r["routes"][0]["dst"], addr);
  EXPECT_FALSE(r.contains("interfaces"));

  const std::string ip = addr.substr(0, addr.find('/'));
  EXPECT_EQ(handle_ips("k8s-pod-network.abc123"), std::set<std::string>{ip});
  auto attrs = attrs_of(ip);
  EXPECT_EQ(attrs["node"], "node-a");
  EXPECT_EQ(attrs["timestamp"], "2023-11-14 22:13:20 +0000 UTC");
  EXPECT_FALSE(attrs.contains("pod"));
  // The host lock was taken and released; the datastore came from the environment.
  EXPECT_EQ(locks, std::vector<std::string>{"/var/run/calico/ipam.lock"});
  EXPECT_EQ(held, 0);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].etcd_endpoints, std::vector<std::string>{"http://127.0.0.1:2379"});
  expect_check_clean();
}

TEST_F(IpamPluginTest, AddUnderKubernetesRecordsPodAndNamespace) {
  env["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_UID=u";
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  const std::string addr = parsed(out)["ips"][0]["address"];
  auto attrs = attrs_of(addr.substr(0, addr.find('/')));
  EXPECT_EQ(attrs["pod"], "web-1");
  EXPECT_EQ(attrs["namespace"], "shop");
  EXPECT_EQ(attrs["handle"], "k8s-pod-network.abc123");
}

TEST_F(IpamPluginTest, NamespaceLabelsFromTheNamespaceProfileSelectPools) {
  // Only pods in namespaces labelled team=blue may use pool-blue (and the plain v4 pool
  // is disabled, so the selector decides).
  auto v4 = store.get({api::Kind::IPPool, "", "pool-v4"});
  std::get<api::IPPool>(v4->value).spec.disabled = true;
  ASSERT_TRUE(store.update(v4->value));
  api::IPPool blue;
  blue.metadata.name = "pool-blue";
  blue.spec.cidr = "10.51.0.0/24";
  blue.spec.block_size = 26;
  blue.spec.node_selector = "all()";
  blue.spec.namespace_selector = "team == 'blue'";
  ASSERT_TRUE(store.create(blue));
  api::Profile kns;
  kns.metadata.name = "kns.web";
  kns.spec.labels_to_apply = {{"pcns.team", "blue"}, {"pcns.projectcalico.org/name", "web"}};
  ASSERT_TRUE(store.create(kns));

  env["CNI_ARGS"] = "K8S_POD_NAMESPACE=web;K8S_POD_NAME=w;K8S_POD_UID=u";
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(parsed(out)["ips"][0]["address"].get<std::string>().rfind("10.51.0.", 0), 0u)
      << out.stdout_text;

  env["CNI_CONTAINERID"] = "other";
  env["CNI_ARGS"] = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=s;K8S_POD_UID=u2";
  out = run("ADD");
  EXPECT_NE(out.exit_code, 0) << out.stdout_text;  // no profile, no labels: no pool
  EXPECT_NE(parsed(out)["msg"].get<std::string>().find("pool"), std::string::npos)
      << out.stdout_text;
}

TEST_F(IpamPluginTest, DualStackAndIpv6Only) {
  auto out = run("ADD", conf({{"assign_ipv6", "true"}}));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  json r = parsed(out);
  ASSERT_EQ(r["ips"].size(), 2u);
  EXPECT_EQ(std::string(r["ips"][0]["address"]).rfind("10.50.0.", 0), 0u);
  const std::string v6 = r["ips"][1]["address"];
  EXPECT_EQ(v6.rfind("fd00:50::", 0), 0u) << v6;
  EXPECT_EQ(v6.substr(v6.size() - 4), "/122");
  EXPECT_EQ(r["routes"].size(), 2u);

  env["CNI_CONTAINERID"] = "v6only";
  out = run("ADD", conf({{"assign_ipv4", "false"}, {"assign_ipv6", "true"}}));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  r = parsed(out);
  ASSERT_EQ(r["ips"].size(), 1u);
  EXPECT_EQ(std::string(r["ips"][0]["address"]).find(':') != std::string::npos, true);

  out = run("ADD", conf({{"assign_ipv4", "false"}}));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrInvalidNetworkConfig);
  expect_check_clean();
}

TEST_F(IpamPluginTest, DualStackFailureReleasesTheOtherFamily) {
  // No IPv6 pool usable: the IPv4 address must not stay allocated.
  auto out = run("ADD", conf({{"assign_ipv6", "true"}, {"ipv6_pools", {"missing-pool"}}}));
  ASSERT_EQ(out.exit_code, 1);
  json e = parsed(out);
  EXPECT_EQ(e["code"], kErrNoPool) << out.stdout_text;
  EXPECT_NE(std::string(e["msg"]).find("missing-pool"), std::string::npos) << e["msg"];
  EXPECT_TRUE(handle_ips("k8s-pod-network.abc123").empty());
  expect_check_clean();
}

TEST_F(IpamPluginTest, PoolsByNameAndCidr) {
  add_pool("pool-b", "10.60.0.0/24", 28);
  auto out = run("ADD", conf({{"ipv4_pools", {"pool-b"}}}));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(std::string(parsed(out)["ips"][0]["address"]).rfind("10.60.0.", 0), 0u);
  EXPECT_NE(std::string(parsed(out)["ips"][0]["address"]).find("/28"), std::string::npos);

  env["CNI_CONTAINERID"] = "second";
  out = run("ADD", conf({{"ipv4_pools", {"10.60.0.0/24"}}}));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(std::string(parsed(out)["ips"][0]["address"]).rfind("10.60.0.", 0), 0u);

  env["CNI_CONTAINERID"] = "third";
  out = run("ADD", conf({{"ipv4_pools", {"fd00:50::/120"}}}));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrNoPool) << out.stdout_text;
}

TEST_F(IpamPluginTest, SpecificAddressesFromCniArgs) {
  env["CNI_ARGS"] = "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;IP=10.50.0.77,fd00:50::99";
  auto out = run("ADD", conf({{"assign_ipv6", "true"}}));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  json r = parsed(out);
  ASSERT_EQ(r["ips"].size(), 2u);
  EXPECT_EQ(r["ips"][0]["address"], "10.50.0.77/32");
  EXPECT_EQ(r["ips"][1]["address"], "fd00:50::99/128");
  EXPECT_EQ(handle_ips("k8s-pod-network.abc123"),
            (std::set<std::string>{"10.50.0.77", "fd00:50::99"}));

  // Another container asking for a taken address: clear error, nothing changed.
  env["CNI_CONTAINERID"] = "other";
  env["CNI_ARGS"] = "IP=10.50.0.77";
  out = run("ADD");
  ASSERT_EQ(out.exit_code, 1);
  json e = parsed(out);
  EXPECT_EQ(e["code"], kErrAddressInUse) << out.stdout_text;
  EXPECT_NE(std::string(e["msg"]).find("10.50.0.77"), std::string::npos) << e["msg"];
  EXPECT_EQ(handle_ips("k8s-pod-network.abc123").size(), 2u);

  // Partly taken pair: the free one is not kept.
  env["CNI_ARGS"] = "IP=10.50.0.78,fd00:50::99";
  out = run("ADD", conf({{"assign_ipv6", "true"}}));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_TRUE(handle_ips("k8s-pod-network.other").empty());

  env["CNI_ARGS"] = "IP=192.168.1.1";
  out = run("ADD");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrNoPool) << out.stdout_text;

  env["CNI_ARGS"] = "IP=not-an-ip";
  out = run("ADD");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrInvalidEnvironment) << out.stdout_text;
  expect_check_clean();
}

TEST_F(IpamPluginTest, RepeatedAddReturnsTheSameAddress) {
  auto first = run("ADD");
  ASSERT_EQ(first.exit_code, 0);
  auto second = run("ADD");
  ASSERT_EQ(second.exit_code, 0);
  EXPECT_EQ(parsed(first)["ips"], parsed(second)["ips"]);
  EXPECT_EQ(handle_ips("k8s-pod-network.abc123").size(), 1u);
  // A re-ADD asking for more (now dual stack) replaces, not accumulates.
  auto third = run("ADD", conf({{"assign_ipv6", "true"}}));
  ASSERT_EQ(third.exit_code, 0) << third.stdout_text;
  EXPECT_EQ(parsed(third)["ips"].size(), 2u);
  EXPECT_EQ(handle_ips("k8s-pod-network.abc123").size(), 2u);
  expect_check_clean();
}

TEST_F(IpamPluginTest, DelReleasesAndIsIdempotent) {
  ASSERT_EQ(run("ADD").exit_code, 0);
  ASSERT_EQ(handle_ips("k8s-pod-network.abc123").size(), 1u);
  env.erase("CNI_NETNS");  // optional for DEL
  auto out = run("DEL");
  EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(out.stdout_text, "");
  EXPECT_TRUE(handle_ips("k8s-pod-network.abc123").empty());
  out = run("DEL");
  EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
  expect_check_clean();
}

TEST_F(IpamPluginTest, DelAlsoReleasesTheLegacyHandle) {
  ipam::Allocator a(store);
  ipam::AutoAssignRequest r;
  r.num4 = 1;
  r.handle_id = "shop.web-1";  // Calico v2.x: <namespace>.<pod>
  r.host = "node-a";
  ASSERT_TRUE(a.auto_assign(r));
  ASSERT_EQ(handle_ips("shop.web-1").size(), 1u);
  env["CNI_ARGS"] = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1";
  auto out = run("DEL");
  EXPECT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_TRUE(handle_ips("shop.web-1").empty());
}

TEST_F(IpamPluginTest, ExhaustedPoolIsAClearErrorAndKeepsExistingAllocations) {
  (void)store.remove({api::Kind::IPPool, "", "pool-v4"});
  add_pool("tiny", "10.70.0.0/30", 30);
  std::set<std::string> got;
  for (int i = 0; i < 4; ++i) {
    env["CNI_CONTAINERID"] = "c" + std::to_string(i);
    auto out = run("ADD");
    ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
    got.insert(parsed(out)["ips"][0]["address"]);
  }
  EXPECT_EQ(got.size(), 4u);
  env["CNI_CONTAINERID"] = "c4";
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 1);
  json e = parsed(out);
  EXPECT_EQ(e["code"], kErrNoAddresses) << out.stdout_text;
  EXPECT_NE(std::string(e["msg"]).find("no addresses available in pools"), std::string::npos)
      << e["msg"];
  EXPECT_EQ(e["cniVersion"], "1.0.0");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(handle_ips("k8s-pod-network.c" + std::to_string(i)).size(), 1u);
  }
  expect_check_clean();
}

TEST_F(IpamPluginTest, NotReadyDatastoreRefusesAddAndDel) {
  set_ready(false);
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrTryAgainLater);
  EXPECT_NE(out.stdout_text.find("not ready"), std::string::npos);
  EXPECT_EQ(run("DEL").exit_code, 1);
  EXPECT_TRUE(store.list({api::Kind::IPAMBlock, "", ""})->items.empty());
  set_ready(std::nullopt);  // unset counts as ready
  EXPECT_EQ(run("ADD").exit_code, 0);
  // No ClusterInformation at all (no calico-node): calico-ipam still works, as Calico's.
  (void)store.remove({api::Kind::ClusterInformation, "", "default"});
  env["CNI_CONTAINERID"] = "no-ci";
  EXPECT_EQ(run("ADD").exit_code, 0);
}

TEST_F(IpamPluginTest, LockFailureIsLoggedAndTheCommandProceeds) {
  io.lock = [](const std::string& path,
               std::chrono::milliseconds) -> Result<LockGuard, std::string> {
    return fail("cannot open the IPAM lock file " + path + ": Permission denied");
  };
  json c = conf();
  c["log_file_path"] = "/tmp/x/cni.log";
  auto out = run("ADD", c);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  ASSERT_EQ(log_lines.size(), 2u);
  EXPECT_NE(log_lines[0].find("proceeding without the IPAM lock"), std::string::npos)
      << log_lines[0];
}

TEST_F(IpamPluginTest, NodenameSources) {
  files.clear();
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_NE(out.stdout_text.find("/var/lib/calico/nodename"), std::string::npos);

  json c = conf();
  c["nodename_file_optional"] = true;
  out = run("ADD", c);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  const std::string addr = parsed(out)["ips"][0]["address"];
  EXPECT_EQ(attrs_of(addr.substr(0, addr.find('/')))["node"], "host-from-uname");

  env["CNI_CONTAINERID"] = "explicit";
  c = conf();
  c["nodename"] = "node-z";
  out = run("ADD", c);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  const std::string addr2 = parsed(out)["ips"][0]["address"];
  EXPECT_EQ(attrs_of(addr2.substr(0, addr2.find('/')))["node"], "node-z");
}

TEST_F(IpamPluginTest, NetconfOverridesDatastoreEnvironment) {
  json c = conf();
  c["etcd_endpoints"] = "http://127.0.0.1:4001";
  c["ipam_lock_file"] = "/tmp/x/ipam.lock";
  c["log_file_path"] = "/tmp/x/cni.log";
  ASSERT_EQ(run("ADD", c).exit_code, 0);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].etcd_endpoints, std::vector<std::string>{"http://127.0.0.1:4001"});
  EXPECT_EQ(locks.back(), "/tmp/x/ipam.lock");
  ASSERT_EQ(log_lines.size(), 1u);
  EXPECT_NE(log_lines[0].find("ok ADD k8s-pod-network.abc123"), std::string::npos) << log_lines[0];

  c["etcd_endpoints"] = "not a url";
  auto out = run("ADD", c);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrInvalidNetworkConfig) << out.stdout_text;
}

TEST_F(IpamPluginTest, BadInvocationsGetCniErrors) {
  env.erase("CNI_CONTAINERID");
  auto out = run("ADD");
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrInvalidEnvironment);
  EXPECT_NE(out.stdout_text.find("CNI_CONTAINERID"), std::string::npos);
  env["CNI_CONTAINERID"] = "abc123";

  env["CNI_COMMAND"] = "ADD";
  out = run_ipam_plugin("{not json", io);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrDecodingFailure);

  out = run("ADD", conf(json::object(), "2.0.0"));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrIncompatibleVersion);

  out = run("ADD", conf({{"assign_ipv4", "yes"}}));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrInvalidNetworkConfig);
  EXPECT_NE(out.stdout_text.find("assign_ipv4"), std::string::npos);
  EXPECT_TRUE(opened.empty());  // nothing reached the datastore
}

TEST_F(IpamPluginTest, ResultFormatFollowsTheConfigVersion) {
  auto out = run("ADD", conf({{"assign_ipv6", "true"}}, "0.3.1"));
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  json r = parsed(out);
  EXPECT_EQ(r["ips"][0]["version"], "4");
  EXPECT_EQ(r["ips"][1]["version"], "6");

  env["CNI_CONTAINERID"] = "legacy";
  json c = conf();
  c.erase("cniVersion");  // 0.2.0
  out = run("ADD", c);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  r = parsed(out);
  EXPECT_TRUE(r.contains("ip4")) << out.stdout_text;
  EXPECT_EQ(std::string(r["ip4"]["ip"]).rfind("10.50.0.", 0), 0u);
}

TEST_F(IpamPluginTest, VersionReply) {
  env = {{"CNI_COMMAND", "VERSION"}};
  auto out = run_ipam_plugin(R"({"cniVersion":"1.1.0"})", io);
  ASSERT_EQ(out.exit_code, 0);
  json r = parsed(out);
  EXPECT_EQ(r["cniVersion"], "1.1.0");
  EXPECT_NE(std::find(r["supportedVersions"].begin(), r["supportedVersions"].end(), "1.1.0"),
            r["supportedVersions"].end());
  out = run_ipam_plugin("", io);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_TRUE(opened.empty());
}

TEST_F(IpamPluginTest, CheckVerifiesPrevResult) {
  auto add = run("ADD", conf(json::object(), "1.1.0"));
  ASSERT_EQ(add.exit_code, 0);
  json c = conf(json::object(), "1.1.0");
  c["prevResult"] = parsed(add);
  EXPECT_EQ(run("CHECK", c).exit_code, 0);

  c["prevResult"]["ips"][0]["address"] = "10.50.0.250/26";
  auto out = run("CHECK", c);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrCheckFailed);
  EXPECT_NE(out.stdout_text.find("10.50.0.250"), std::string::npos);

  c.erase("prevResult");
  EXPECT_EQ(parsed(run("CHECK", c))["code"], kErrInvalidNetworkConfig);
  c = conf(json::object(), "0.3.1");
  c["prevResult"] = parsed(add);
  EXPECT_EQ(parsed(run("CHECK", c))["code"], kErrIncompatibleVersion);
}

TEST_F(IpamPluginTest, GcReleasesThisNodesStaleAttachmentsOnly) {
  json c = conf(json::object(), "1.1.0");
  for (const char* id : {"live", "stale1", "stale2"}) {
    env["CNI_CONTAINERID"] = id;
    ASSERT_EQ(run("ADD", c).exit_code, 0);
  }
  // Another node's attachment and another network's: never touched by this GC.
  files["/var/lib/calico/nodename"] = "node-b";
  env["CNI_CONTAINERID"] = "remote";
  ASSERT_EQ(run("ADD", c).exit_code, 0);
  files["/var/lib/calico/nodename"] = "node-a";
  json other = c;
  other["name"] = "other-net";
  env["CNI_CONTAINERID"] = "stale3";
  ASSERT_EQ(run("ADD", other).exit_code, 0);

  env = {{"CNI_COMMAND", "GC"}, {"ETCD_ENDPOINTS", "http://127.0.0.1:2379"}};
  c["cni.dev/valid-attachments"] = json::array({{{"containerID", "live"}, {"ifname", "eth0"}}});
  auto out = run_ipam_plugin(c.dump(), io);
  ASSERT_EQ(out.exit_code, 0) << out.stdout_text;
  EXPECT_EQ(handle_ips("k8s-pod-network.live").size(), 1u);
  EXPECT_TRUE(handle_ips("k8s-pod-network.stale1").empty());
  EXPECT_TRUE(handle_ips("k8s-pod-network.stale2").empty());
  EXPECT_EQ(handle_ips("k8s-pod-network.remote").size(), 1u);
  EXPECT_EQ(handle_ips("other-net.stale3").size(), 1u);
  expect_check_clean();

  c["cniVersion"] = "1.0.0";
  out = run_ipam_plugin(c.dump(), io);
  EXPECT_EQ(parsed(out)["code"], kErrIncompatibleVersion);
}

TEST_F(IpamPluginTest, StatusReportsReadiness) {
  env = {{"CNI_COMMAND", "STATUS"}, {"ETCD_ENDPOINTS", "http://127.0.0.1:2379"}};
  json c = conf(json::object(), "1.1.0");
  EXPECT_EQ(run_ipam_plugin(c.dump(), io).exit_code, 0);
  c["ipam"]["assign_ipv6"] = "true";
  EXPECT_EQ(run_ipam_plugin(c.dump(), io).exit_code, 0);

  (void)store.remove({api::Kind::IPPool, "", "pool-v6"});
  add_pool("pool-v6", "fd00:50::/120", 122, /*disabled=*/true);
  auto out = run_ipam_plugin(c.dump(), io);
  ASSERT_EQ(out.exit_code, 1);
  EXPECT_EQ(parsed(out)["code"], kErrPluginNotAvailable);
  EXPECT_NE(out.stdout_text.find("IPv6"), std::string::npos);

  c["ipam"]["assign_ipv6"] = "false";
  set_ready(false);
  out = run_ipam_plugin(c.dump(), io);
  EXPECT_EQ(parsed(out)["code"], kErrPluginNotAvailable);
}

TEST(GoTimeString, MatchesGoFormatting) {
  using std::chrono::system_clock;
  EXPECT_EQ(go_time_string(system_clock::time_point(std::chrono::seconds(0))),
            "1970-01-01 00:00:00 +0000 UTC");
  const auto t = system_clock::time_point(std::chrono::seconds(1'700'000'000)) +
                 std::chrono::microseconds(123'400);
  EXPECT_EQ(go_time_string(t), "2023-11-14 22:13:20.1234 +0000 UTC");
}

}  // namespace
}  // namespace calico::cni
