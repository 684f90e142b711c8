// calico-lab, exec'd as a user runs it: whole labs with real etcd, BIRD or FRR, calico-node
// and pods through the calico CNI plugin, in network namespaces named after a unique lab
// name; state under a temporary directory.  Every lab is torn down (`down`) at the end of
// its test, also when an assertion fails, and the test checks nothing is left behind.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::lab {
namespace {

using namespace std::chrono_literals;
using testlib::ExecResult;

class Lab {
 public:
  Lab() : dir_("calico-lab-it") {
    // FRR drops to user frr, which must reach its sockets under the state directory.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    name_ = "it" + std::to_string(::getpid() % 100000) + std::to_string(counter_++);
  }
  ~Lab() {
    const auto r = run({"down"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator("/run/netns")) {
      if (e.path().filename().string().rfind(name_ + "-", 0) == 0) {
        left.push_back(e.path().filename().string());
      }
    }
    EXPECT_TRUE(left.empty()) << "namespaces left: " << left.size() << " "
                              << (left.empty() ? "" : left[0]);
    EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/" + name_));
  }
  ExecResult run(std::vector<std::string> args, std::chrono::seconds timeout = 240s) const {
    args.insert(args.begin(), {CALICO_LAB_BINARY, "--name", name_});
    return testlib::run_with_input(args, {{"CALICO_LAB_STATE_DIR", dir_.path()}}, "",
                                   /*clear_env=*/false, timeout);
  }
  // Polls a probe until its exit status is `want` (policy takes a moment to reach nodes).
  bool probe_becomes(const std::vector<std::string>& args, int want) const {
    std::vector<std::string> a = {"probe"};
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), {"--timeout", "400"});
    return testlib::wait_until([&] { return run(a, 10s).exit_code == want; }, 15s, 200ms);
  }
  const std::string& name() const { return name_; }
  std::string state_dir() const { return dir_.path() + "/" + name_; }

 private:
  static inline int counter_ = 0;
  testlib::TempDir dir_;
  std::string name_;
};

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

int count(const std::string& text, const std::regex& re) {
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// The README's main job, smaller: 2 nodes, each with its own AS, eBGP to a BIRD ToR; the
// demo's pods, matrix, policy; then the subcommands by hand.
TEST(Lab, TorWithBirdDemoPolicyNamespacesAndPods) {
  Lab lab;
  auto up = lab.run({"up", "--nodes", "2"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const std::string& o = up.out;
  EXPECT_TRUE(contains(o, "12 of 12 connected")) << o;  // 4 pods, no policy
  EXPECT_TRUE(contains(o, "4 of 12 connected")) << o;   // clients -> webs only
  EXPECT_EQ(count(o, std::regex(R"(\| 10\.99\.0\.254 +\| global +\| up +\|)")), 2) << o;
  // The ToR learned one block per node, each with the node's own AS.
  EXPECT_TRUE(contains(o, "[AS65001i]")) << o;
  EXPECT_TRUE(contains(o, "[AS65002i]")) << o;
  EXPECT_TRUE(contains(o, lab.name() + "-demo.web-1")) << o;  // predictable netns names
  EXPECT_TRUE(contains(o, "Tear it down with:")) << o;

  // A second run reuses the healthy lab.
  auto again = lab.run({"up", "--nodes", "2"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(contains(again.out, "already running with these options: reusing it"));

  // Namespaces with labels, pods with named ports and servers, a Kubernetes
  // NetworkPolicy selecting by namespace labels and a named port.
  for (auto args : std::vector<std::vector<std::string>>{
           {"ns", "create", "prod", "env=prod"},
           {"ns", "create", "dev", "env=dev"},
           {"pod", "add", "prod/db", "--node", "node2", "--label", "app=db", "--port",
            "pg:TCP:5432", "--listen", "tcp:5432", "--listen", "udp:5353"},
           {"pod", "add", "prod/api", "--node", "node1", "--label", "app=api"},
           {"pod", "add", "dev/tool", "--node", "node1"}}) {
    auto r = lab.run(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.out << r.err;
  }
  EXPECT_TRUE(lab.probe_becomes({"dev/tool", "prod/db", "5432"}, 0));
  EXPECT_TRUE(lab.probe_becomes({"dev/tool", "prod/db", "5353", "--proto", "udp"}, 0));
  const std::string policy = lab.state_dir() + "-db-policy.yaml";
  std::ofstream(policy)
      << ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
          "metadata: {name: db-from-prod, namespace: prod}\n"
          "spec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n"
          "  - from: [{namespaceSelector: {matchLabels: {env: prod}}}]\n"
          "    ports: [{protocol: TCP, port: pg}]\n");
  auto applied = lab.run({"apply", "-f", policy});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(lab.probe_becomes({"dev/tool", "prod/db", "5432"}, 1)) << "dev still reaches db";
  EXPECT_TRUE(lab.probe_becomes({"prod/api", "prod/db", "5432"}, 0));
  EXPECT_TRUE(lab.probe_becomes({"prod/api", "prod/db", "5353", "--proto", "udp"}, 1));
  // Namespace labels feed namespaceSelector: relabel dev as prod and it gets in.
  ASSERT_EQ(lab.run({"ns", "label", "dev", "env=prod"}).exit_code, 0);
  EXPECT_TRUE(lab.probe_becomes({"dev/tool", "prod/db", "5432"}, 0));
  // Pod labels feed podSelector: web-1 becomes a client of web-2 (the demo policy).
  EXPECT_TRUE(lab.probe_becomes({"demo/web-1", "demo/web-2", "80"}, 1));
  ASSERT_EQ(lab.run({"pod", "label", "demo/web-1", "app=client"}).exit_code, 0);
  EXPECT_TRUE(lab.probe_becomes({"demo/web-1", "demo/web-2", "80"}, 0));

  auto matrix = lab.run({"matrix", "--port", "5432", "--timeout", "400"});
  ASSERT_EQ(matrix.exit_code, 0);
  EXPECT_TRUE(contains(matrix.out, "2 of 42 connected")) << matrix.out;  // api and tool -> db

  // Bad input: clear errors, nothing changes.
  auto bad = lab.run({"pod", "add", "nope/x", "--node", "node1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "namespace 'nope' does not exist")) << bad.err;
  bad = lab.run({"pod", "add", "prod/x", "--node", "node7"});
  EXPECT_TRUE(contains(bad.err, "node 'node7' is not in the lab")) << bad.err;
  bad = lab.run({"pod", "add", "prod/db", "--node", "node1"});
  EXPECT_TRUE(contains(bad.err, "pod prod/db already exists")) << bad.err;
  bad = lab.run({"pod", "label", "prod/api", "projectcalico.org/namespace=x"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "is Calico's own")) << bad.err;
  bad = lab.run({"ns", "label", "prod", "kubernetes.io/metadata.name=x"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "is set by Kubernetes")) << bad.err;
  bad = lab.run({"probe", "prod/nobody", "prod/db", "80"});
  EXPECT_EQ(bad.exit_code, 2);
  bad = lab.run({"probe", "prod/api", "prod/db", "70000"});
  EXPECT_EQ(bad.exit_code, 2);

  // Delete: the address goes back to IPAM; the namespace takes its pods along.
  const auto pods = lab.run({"pods"}).out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(pods, m, std::regex(R"(prod/db +node2 +([0-9.]+))"))) << pods;
  const std::string db_ip = m[1];
  ASSERT_EQ(lab.run({"pod", "delete", "prod/db"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + lab.name() + "-prod.db"));
  auto ipam = lab.run({"calicoctl", "ipam", "show", "--ip=" + db_ip});
  EXPECT_TRUE(contains(ipam.out, db_ip + " is not assigned")) << ipam.out << ipam.err;
  auto del = lab.run({"ns", "delete", "dev"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_TRUE(contains(del.out, "pod/dev/tool deleted"));
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + lab.name() + "-dev.tool"));
  auto status = lab.run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_FALSE(contains(status.out, "dev/tool"));
}

// An in-cluster route reflector (node1) with an FRR ToR: the clients peer only with the
// reflector (and the ToR), and pod traffic between two clients follows the reflected route.
TEST(Lab, RouteReflectorWithFrr) {
  Lab lab;
  auto up = lab.run({"up", "--nodes", "3", "--topology", "rr", "--tor", "frr", "--no-demo"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(contains(up.out, "calico-node (route reflector)")) << up.out;
  // node1 (the reflector) has both clients and the ToR; node2 has the reflector and the ToR.
  const auto& o = up.out;
  const auto node1 = o.substr(o.find("--- node1: calicoctl"),
                              o.find("--- node2:") - o.find("--- node1: calicoctl"));
  EXPECT_EQ(count(node1, std::regex(R"(\| 10\.99\.0\.(2|3|254) +\|[^|]+\| up +\|)")), 3) << node1;
  const auto node2 = o.substr(o.find("--- node2:"), o.find("--- node3:") - o.find("--- node2:"));
  EXPECT_EQ(count(node2, std::regex(R"(\| 10\.99\.0\.(1|254) +\|[^|]+\| up +\|)")), 2) << node2;
  EXPECT_FALSE(contains(node2, "10.99.0.3 ")) << node2;

  for (auto args : std::vector<std::vector<std::string>>{
           {"pod", "add", "a", "--node", "node2", "--listen", "tcp:8080"},
           {"pod", "add", "b", "--node", "node3", "--listen", "tcp:8080"}}) {
    auto r = lab.run(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  EXPECT_TRUE(lab.probe_becomes({"default/a", "default/b", "8080"}, 0));
  EXPECT_TRUE(lab.probe_becomes({"b", "a", "8080"}, 0));
  // node2 reaches node3's block directly (the reflected route), not via its default route.
  const auto routes = testlib::run_command({"ip", "-n", lab.name() + "-node2", "route"}).output;
  EXPECT_TRUE(std::regex_search(routes, std::regex(R"(10\.65\.\d+\.\d+/26 via 10\.99\.0\.3 )")))
      << routes;
}

TEST(Lab, BadArgumentsAndMissingLab) {
  Lab lab;
  auto r = lab.run({"up", "--nodes", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "--nodes 0: expected 1 to 50")) << r.err;
  r = lab.run({"up", "--topology", "star"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown topology 'star'")) << r.err;
  r = lab.run({"up", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  r = lab.run({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "no lab '" + lab.name() + "' here")) << r.err;
  r = lab.run({"probe", "a", "b", "80"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace calico::lab
