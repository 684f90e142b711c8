// Test doubles and the fixture for the calico plugin's unit tests: a fake dataplane that
// records what it was asked, a fake IPAM delegate (addresses per container, failure
// injection), and run_calico_plugin wired to them over a MemoryStore.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cni/calico_plugin.h"
#include "datastore/memory_store.h"

namespace calico::cni::test {

class FakeDataplane final : public WorkloadDataplane {
 public:
  static constexpr const char* kContainerMac = "0a:58:0a:3c:00:01";

  Result<WorkloadLinks, std::string> create(const WorkloadInterface& wi) override {
    created[wi.host_ifname] = wi;  // a failure may leave a half-made interface
    if (!fail_create.empty()) {
      return fail(fail_create);
    }
    return WorkloadLinks{"ee:ee:ee:ee:ee:ee", kContainerMac};
  }
  Result<void, std::string> remove(const WorkloadInterface& wi) override {
    removed.push_back(wi);
    if (!wi.host_ifname.empty()) {
      created.erase(wi.host_ifname);
    }
    return {};
  }
  Result<void, std::string> check(const WorkloadInterface& wi) override {
    checked.push_back(wi);
    if (!fail_check.empty()) {
      return fail(fail_check);
    }
    if (!created.contains(wi.host_ifname)) {
      return fail("host interface " + wi.host_ifname + " does not exist");
    }
    return {};
  }

  std::map<std::string, WorkloadInterface> created;  // by host interface name
  std::vector<WorkloadInterface> removed, checked;
  std::string fail_create, fail_check;
};

// A stand-in for the delegate IPAM plugin: one IPv4 address per container ID.
class FakeIpam {
 public:
  struct Call {
    std::string type, command, stdin_bytes;
    std::map<std::string, std::string> env;
  };

  explicit FakeIpam(const std::map<std::string, std::string>& process_env) : env_(process_env) {}

  Result<DelegateOutput, std::string> operator()(const std::string& type,
                                                 const std::string& command,
                                                 std::string_view stdin_bytes,
                                                 const std::map<std::string, std::string>& env) {
    calls.push_back(Call{type, command, std::string(stdin_bytes), env});
    if (missing_binary) {
      return fail("failed to find plugin \"" + type + "\" in path [/opt/cni/bin]");
    }
    const std::string id = env_.count("CNI_CONTAINERID") ? env_.at("CNI_CONTAINERID") : "";
    if (command == "DEL") {
      allocated.erase(id);
      return DelegateOutput{};
    }
    if (command != "ADD") {
      return DelegateOutput{};
    }
    if (fail_add) {
      nlohmann::json e = {
          {"cniVersion", "1.0.0"}, {"code", fail_add->code}, {"msg", fail_add->msg}};
      return DelegateOutput{1, e.dump(), ""};
    }
    if (empty_result) {
      return DelegateOutput{0, R"({"cniVersion":"1.0.0","ips":[]})", ""};
    }
    if (!allocated.contains(id)) {
      allocated[id] = "10.60.0." + std::to_string(next_++) + "/26";
    }
    nlohmann::json r = {{"cniVersion", "1.0.0"},
                        {"ips", {{{"address", allocated[id]}}}},
                        {"routes", {{{"dst", "10.60.0.0/26"}}}},
                        {"dns", {{"nameservers", {"10.96.0.10"}}}}};
    return DelegateOutput{0, r.dump(), ""};
  }

  std::vector<std::string> commands() const {
    std::vector<std::string> out;
    for (const auto& c : calls) {
      out.push_back(c.command);
    }
    return out;
  }

  std::vector<Call> calls;
  std::map<std::string, std::string> allocated;  // container ID -> address
  std::optional<Error> fail_add;
  bool empty_result = false;
  bool missing_binary = false;

 private:
  const std::map<std::string, std::string>& env_;
  int next_ = 1;
};

// Hands the shared store to the plugin as if freshly opened; gets can be made to fail.
class BorrowedStore final : public datastore::Datastore {
 public:
  BorrowedStore(datastore::Datastore& ds, const bool& fail_gets) : ds_(ds), fail_gets_(fail_gets) {}
  Result<datastore::Object, datastore::StoreError> get(const datastore::Key& k) override {
    if (fail_gets_) {
      return fail(
          datastore::StoreError{datastore::ErrorCode::Unavailable, "etcd: connection refused"});
    }
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
  const bool& fail_gets_;
};

class CalicoPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ready(true);
    files["/var/lib/calico/nodename"] = "node-a\n";
    env = {{"CNI_CONTAINERID", "ctr1"},
           {"CNI_NETNS", "/run/netns/pod1"},
           {"CNI_IFNAME", "eth0"},
           {"CNI_PATH", "/opt/cni/bin"},
           {"ETCD_ENDPOINTS", "http://127.0.0.1:2379"}};
    io.base.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    io.base.read_file =
        [this](const std::string& path) -> Result<std::optional<std::string>, std::string> {
      auto it = files.find(path);
      return it == files.end() ? std::optional<std::string>()
                               : std::optional<std::string>(it->second);
    };
    io.base.hostname = [] { return std::string("host"); };
    io.base.open_datastore = [this](const datastore::DatastoreConfig&)
        -> Result<std::unique_ptr<datastore::Datastore>, std::string> {
      return std::unique_ptr<datastore::Datastore>(
          std::make_unique<BorrowedStore>(store, fail_gets));
    };
    io.base.now = [] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    };
    io.delegate = [this](const std::string& type, const std::string& command, std::string_view in,
                         const std::map<std::string, std::string>& e) {
      return ipam(type, command, in, e);
    };
    io.dataplane = &dataplane;
  }

  void set_ready(bool ready) {
    api::ClusterInformation ci;
    ci.metadata.name = "default";
    ci.spec.datastore_ready = ready;
    (void)store.remove({api::Kind::ClusterInformation, "", "default"});
    ASSERT_TRUE(store.create(ci));
  }

  static nlohmann::json conf() {
    return nlohmann::json{{"cniVersion", "1.0.0"},
                          {"name", "k8s-pod-network"},
                          {"type", "calico"},
                          {"ipam", {{"type", "calico-ipam"}}}};
  }

  PluginOutput run(const std::string& command, const nlohmann::json& c, const std::string& args) {
    env["CNI_ARGS"] = args;
    return run_raw(command, c.dump());
  }
  PluginOutput run_raw(const std::string& command, const std::string& text) {
    env["CNI_COMMAND"] = command;
    return run_calico_plugin(text, io);
  }

  std::optional<api::WorkloadEndpoint> get_wep(const std::string& ns, const std::string& name) {
    auto o = store.get({api::Kind::WorkloadEndpoint, ns, name});
    if (!o) {
      return std::nullopt;
    }
    return std::get<api::WorkloadEndpoint>(o->value);
  }

  datastore::MemoryStore store;
  bool fail_gets = false;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  FakeDataplane dataplane;
  FakeIpam ipam{env};
  CalicoPluginIo io;
};

}  // namespace calico::cni::test
